"""A day too long for one email, delivered to the outbox over a real SQLite ledger: every paper
is a card or a one-line link, or behind "…and N more" linked to a page that exists; the reader's
ledger records what the email showed (one-line links too) and never a cut paper."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from paperpulse.app.deliver import deliver, email_links
from paperpulse.config.file import ArchiveConfig, Config, EmailConfig, RecipientConfig
from paperpulse.config.settings import Settings
from paperpulse.core.kinds import Edition
from paperpulse.core.models import Author, Listing, ListingItem, Paper
from paperpulse.digest.calendar import catch_up, period_for
from tests.contexts import context, repository
from tests.flows.month import SimClock
from tests.storage.builders import start_run

DAY = date(2026, 11, 19)
PAPERS = 150
HF_BASE = "https://hf.example.org"  # the settings' HF base: where its day page is linked
WEB = "https://github.com/example/papers/blob/main"
READER = "ada@example.org"


def observe(settings: Settings) -> list[str]:
    at = datetime(2026, 11, 19, 18, tzinfo=UTC)
    papers = [
        Paper(
            arxiv_id=f"2611.{n:05d}",
            title=f"A long enough title about problem number {n} and its many solutions",
            authors=tuple(Author(name=f"Author {k}") for k in range(6)),
            abstract="We study the problem and report what we found. " * 10,
            ai_summary=f"Paper {n} in one line.",
        )
        for n in range(PAPERS)
    ]
    listing = Listing(
        source="hf-daily",
        period=DAY.isoformat(),
        url="u",
        fetched_at=at,
        items=tuple(
            ListingItem(paper=p, rank=i + 1, upvotes=PAPERS - i) for i, p in enumerate(papers)
        ),
    )
    repo = repository(settings.database_url)
    run = start_run(repo, "hf-daily", DAY.isoformat(), "u", at)
    repo.save_listing(run, listing, at, finished_at=at)
    return [p.arxiv_id for p in papers]


@pytest.mark.parametrize("web_url", [None, WEB], ids=["source-page", "archive"])
def test_a_day_too_long_for_one_email_cuts_only_behind_a_link_and_the_ledger_agrees(
    tmp_path: Path, web_url: str | None
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        archive_dir=tmp_path / "archive",
        clock=SimClock(datetime(2026, 11, 20, 6, tzinfo=UTC)),
        outbox_dir=tmp_path / "outbox",
        hf_url=HF_BASE,
    )
    config = Config(
        email=EmailConfig(
            max_bytes=20_000,
            unsubscribe="https://example.org/u",
            recipients=(RecipientConfig(address=READER),),
        ),
        archive=ArchiveConfig(web_url=web_url),
    )
    listed = observe(settings)
    outcomes = deliver(context(settings, config), period_for(Edition.DAILY, DAY))
    assert [o.status for o in outcomes] == ["sent", "sent"]
    [eml] = (tmp_path / "outbox").rglob("*.eml")
    assert len(eml.read_bytes()) <= 20_000  # as sent: CRLF, transfer-encoded
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    visible = set(re.findall(r'href="https://huggingface\.co/papers/([\d.]+)"', html))
    lines = html.count("<li>")
    cut = int(re.search(r"…and (\d+) more, no room in this email", html).group(1))  # type: ignore[union-attr]
    assert lines > 0 and cut > 0 and len(visible) + cut == PAPERS
    assert visible == set(listed[: len(visible)])  # the most upvoted are shown, the tail cut
    assert f"{len(visible)} papers · {len(visible)} new" in html  # counts of what is shown
    page = f"{web_url}/2026/11/2026-11-19.md" if web_url else f"{HF_BASE}/papers/date/2026-11-19"
    assert f'href="{page}"' in html and page in text

    ledger = repository(settings.database_url).shown(READER, listed, before="daily/9999-12-31")
    assert set(ledger) == visible  # one-line links reached the reader; cut papers did not
    assert all(record.announced_new for record in ledger.values())


def test_a_catch_ups_archive_link_is_the_index_that_lists_its_days() -> None:
    config = Config(archive=ArchiveConfig(web_url=WEB))
    reader = RecipientConfig(address=READER)
    days = catch_up([DAY, DAY + timedelta(days=1)])
    assert email_links(config, days, reader).digest_url == f"{WEB}/README.md"
    one = period_for(Edition.DAILY, DAY)
    assert email_links(config, one, reader).digest_url == f"{WEB}/2026/11/2026-11-19.md"
