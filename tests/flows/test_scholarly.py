""" "Cites your work" and "Now published" where readers meet them: the archive's digest and
each reader's email (written to the outbox), day after simulated day, against a local
Semantic Scholar stand-in serving the Graph API's documented shapes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from email import message_from_bytes
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from paperpulse.app.deliver import deliver
from paperpulse.config.settings import Settings, from_environment
from paperpulse.digest.archive_paths import daily_path
from paperpulse.digest.calendar import period_for
from tests.contexts import context, repository
from tests.scholar_standins import S2Paper, S2StandIn
from tests.storage.builders import make_listing, make_paper, save

UTC = ZoneInfo("UTC")
DAY1 = date(2026, 8, 3)
ADA = "ada@example.org"
X_TITLE = "Attention Is Mostly What You Need"


def world() -> list[S2Paper]:
    return [
        S2Paper(
            paper_id="a1",
            title=X_TITLE,
            arxiv="2401.00001",
            venue="ICLR",
            venue_since=3,
            publication_venue="ICLR 2026",
        ),
        S2Paper(paper_id="l1", title="A Paper Ada Liked", arxiv="2405.00005"),
        # In the library by its DOI only (no arXiv id).
        S2Paper(paper_id="d1", title="A Published Paper", doi="10.5555/Published.1"),
        S2Paper(paper_id="c3", title="Citing By DOI", arxiv="2407.00007", cites=[("d1", 2)]),
        # Day 3: S2 indexes a 2019 paper citing X: found late, but no new paper.
        S2Paper(paper_id="c9", title="An Ancient Citer", year=2019, cites=[("a1", 3)]),
        # Cited X before anyone watched it: the baseline, never news.
        S2Paper(paper_id="c0", title="An Old Citer", arxiv="2402.00002", cites=[("a1", 0)]),
        # A journal paper without an arXiv id, from day 2.
        S2Paper(paper_id="c1", title="A Fresh Citer", doi="10.1000/Fresh", cites=[("a1", 2)]),
        # Day 4: the same paper as a second S2 record (its preprint), under another S2 id and
        # an arXiv id, sharing the DOI: the same paper, never announced again.
        S2Paper(
            paper_id="c1b",
            title="A Fresh Citer (preprint)",
            arxiv="2403.00003",
            doi="10.1000/FRESH",
            cites=[("a1", 4)],
        ),
        S2Paper(
            paper_id="c2", title="Citing What Ada Liked", arxiv="2406.00006", cites=[("l1", 3)]
        ),
    ]


@pytest.fixture
def s2(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[S2StandIn]:
    with S2StandIn(world()) as standin:
        monkeypatch.setenv("PAPERPULSE_S2_URL", standin.url)
        monkeypatch.setenv("PAPERPULSE_OUTBOX_DIR", str(workspace / "outbox"))
        library = workspace / "mine.txt"
        mine = [
            "# my papers",
            "https://arxiv.org/abs/2401.00001v2",
            "https://doi.org/10.5555/Published.1",
        ]
        library.write_text("\n".join(mine) + "\n", encoding="utf-8")
        (workspace / "paperpulse.toml").write_text(
            "[citations]\nenabled = true\n"
            f'[archive]\ngit = false\nlibrary = "{library}"\n'
            f'[[email.recipients]]\naddress = "{ADA}"\nlibrary = "{library}"\n',
            encoding="utf-8",
        )
        yield standin


def live_day(monkeypatch: pytest.MonkeyPatch, s2: S2StandIn, n: int) -> tuple[str, str, list[str]]:
    """Day ``n``: the stand-in's world moves on, the day's HF list is stored, the digest is
    delivered; returns the archive's Markdown, Ada's email text and what S2 was asked."""
    day = DAY1 + timedelta(days=n - 1)
    s2.day = n
    monkeypatch.setenv("PAPERPULSE_NOW", f"{day}T09:00:00+00:00")
    repo = repository(Settings.from_env().database_url)
    paper = make_paper(f"2408.{n:05d}", list_date=day)
    listed = datetime.combine(day, time(6), UTC)
    save(repo, make_listing([paper], period=day.isoformat()), at=listed)
    deliver(context(*from_environment()), period_for("daily", day))
    settings = Settings.from_env()
    archive = (settings.archive_dir / daily_path(day)).read_text(encoding="utf-8")
    return archive, email_text(settings.outbox_dir, day), asked(s2)


def email_text(outbox: Path, day: date) -> str:
    found = [p for p in outbox.glob("*.eml") if day.isoformat() in p.name]
    if not found:
        return ""
    message = message_from_bytes(found[0].read_bytes())
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


def asked(s2: S2StandIn) -> list[str]:
    return [
        f"{r.method} {r.path}" + (f" {len(r.body['ids'])} ids" if r.method == "POST" else "")
        for r in s2.asked()
    ]


def section(markdown: str, title: str) -> str:
    if f"## {title}" not in markdown:
        return ""
    rest = markdown.split(f"## {title}", 1)[1]
    return rest.split("\n## ", 1)[0]


def test_cites_your_work_and_now_published_are_announced_once_per_reader(
    s2: S2StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repository(Settings.from_env().database_url)
    liked = datetime(2026, 8, 1, tzinfo=UTC)
    repo.record_feedback(ADA, {"2405.00005": "like"}, origin="cli", at=liked)

    # Day 1: the first look is the baseline: the old citation is not news.
    archive, mail, requests = live_day(monkeypatch, s2, 1)
    assert "Cites your work" not in archive and "Cites your work" not in mail
    assert "An Old Citer" not in archive
    assert requests[0] == "POST /graph/v1/paper/batch 3 ids"  # X, the DOI, Ada's liked paper
    # Citations are asked by S2's own id, as the batch answered it.
    assert requests[1:] == [
        "GET /graph/v1/paper/a1/citations",
        "GET /graph/v1/paper/l1/citations",
        "GET /graph/v1/paper/d1/citations",
    ]

    # Day 2: a journal paper cites X: both readers hear of it, naming X by its S2 title.
    archive, mail, requests = live_day(monkeypatch, s2, 2)
    cites = section(archive, "Cites your work")
    assert "[A Fresh Citer](https://doi.org/10.1000/fresh)" in cites
    assert f"cites “{X_TITLE}”" in cites
    assert "An Old Citer" not in cites
    assert "[Citing By DOI](https://arxiv.org/abs/2407.00007)" in cites
    assert "cites “A Published Paper”" in cites
    assert "A Fresh Citer" in mail and f"cites “{X_TITLE}”" in mail
    # Incremental: only these two citation counts moved, so only their citations are read.
    assert requests[0].startswith("POST /graph/v1/paper/batch")
    assert requests[1:] == ["GET /graph/v1/paper/a1/citations", "GET /graph/v1/paper/d1/citations"]

    # Day 3: nothing new cites X (not shown again); X is now published; Ada's liked paper
    # is cited, which only Ada hears of.
    archive, mail, requests = live_day(monkeypatch, s2, 3)
    assert "A Fresh Citer" not in archive and "A Fresh Citer" not in mail
    assert "now published at ICLR 2026" in section(archive, "Now published")
    assert "now published at ICLR 2026" in mail
    assert "Citing What Ada Liked" in mail and "cites “A Paper Ada Liked”" in mail
    assert "Citing What Ada Liked" not in archive
    assert "An Ancient Citer" not in archive and "An Ancient Citer" not in mail
    assert requests[1:] == ["GET /graph/v1/paper/a1/citations", "GET /graph/v1/paper/l1/citations"]

    # Day 4: the citing paper reappears under another S2 record and an arXiv id (same DOI):
    # one identity, so no reader hears of it again; the venue is not repeated either.
    archive, mail, requests = live_day(monkeypatch, s2, 4)
    assert requests[1:] == ["GET /graph/v1/paper/a1/citations"]
    for text in (archive, mail):
        assert "Fresh Citer" not in text and "Citing By DOI" not in text
        assert "now published" not in text and "Cites your work" not in text


def test_a_second_run_the_same_day_asks_nothing_and_shows_the_same_news(
    s2: S2StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    live_day(monkeypatch, s2, 1)
    first, _, _ = live_day(monkeypatch, s2, 2)
    assert "A Fresh Citer" in first
    day = DAY1 + timedelta(days=1)
    deliver(context(*from_environment()), period_for("daily", day))  # a re-run of day 2's digest
    # Every paper was asked about today already, except the one the first run announced (its
    # venue is watched from then on); no citations are read again.
    assert asked(s2) == ["POST /graph/v1/paper/batch 1 ids"]
    again = (Settings.from_env().archive_dir / daily_path(day)).read_text(encoding="utf-8")
    assert section(again, "Cites your work") == section(first, "Cites your work")


def test_semantic_scholar_down_leaves_the_digest_as_it_was(
    s2: S2StandIn, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PAPERPULSE_S2_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("PAPERPULSE_HTTP_DEADLINE", "2")
    with caplog.at_level(logging.WARNING, logger="paperpulse.scholarly"):
        archive, mail, _ = live_day(monkeypatch, s2, 1)
    assert "Papers of the day" in archive or "2408.00001" in archive
    assert "Semantic Scholar" not in archive and "Semantic Scholar" not in mail
    assert any("Semantic Scholar not asked" in r.getMessage() for r in caplog.records)


def test_without_the_section_configured_nothing_is_asked(
    s2: S2StandIn, monkeypatch: pytest.MonkeyPatch, workspace: Path
) -> None:
    config = workspace / "paperpulse.toml"
    config.write_text(config.read_text().replace("enabled = true", "enabled = false"))
    archive, _, requests = live_day(monkeypatch, s2, 1)
    assert requests == [] and "Cites your work" not in archive


def test_identity_merges_keep_the_ledger(s2: S2StandIn) -> None:
    from paperpulse.core.scholarly import PaperIds, ScholarPaper
    from paperpulse.storage.citations import CitationStore

    store = CitationStore(repository(Settings.from_env().database_url).engine)
    at = datetime(2026, 8, 3, tzinfo=UTC)
    [by_doi] = store.resolve([PaperIds.of(doi="https://doi.org/10.1234/ABC")], at)
    [by_arxiv] = store.resolve([PaperIds.of(arxiv="2409.00009v3")], at + timedelta(seconds=1))
    assert (by_doi, by_arxiv) == ("doi:10.1234/abc", "arxiv:2409.00009")
    store.record_announced(ADA, "daily/2026-08-03", [("cites", by_arxiv)], at)
    # One answer names both: they are one paper, under the older key, and what was told
    # under the other key counts as told.
    [both] = store.resolve([PaperIds.of(arxiv="2409.00009", doi="10.1234/abc", s2="F00")], at)
    assert both == by_doi
    assert store.resolve([PaperIds.of(s2="f00")], at) == [by_doi]
    # The ledger moved with the merge: the paper counts as told under its surviving key.
    store.add_citations(
        "arxiv:2401.00001",
        [(by_doi, ScholarPaper(ids=PaperIds.of(doi="10.1234/abc"), title="T"))],
        baseline=False,
        at=at,
    )
    assert store.citing_news(ADA, {"arxiv:2401.00001": "X"}, "daily/2026-08-04") == []
    assert len(store.citing_news("alan@example.org", {"arxiv:2401.00001": "X"}, "d")) == 1


def test_news_in_an_email_that_failed_is_told_in_the_next_one(
    s2: S2StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    live_day(monkeypatch, s2, 1)
    outbox = Settings.from_env().outbox_dir
    blocked = outbox.parent / "not-a-directory"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("PAPERPULSE_OUTBOX_DIR", str(blocked))  # the email cannot be written
    day = DAY1 + timedelta(days=1)
    s2.day = 2
    monkeypatch.setenv("PAPERPULSE_NOW", f"{day}T09:00:00+00:00")
    repo = repository(Settings.from_env().database_url)
    save(
        repo,
        make_listing([make_paper("2408.00002", list_date=day)], period=day.isoformat()),
        at=datetime.combine(day, time(6), UTC),
    )
    outcomes = deliver(context(*from_environment()), period_for("daily", day))
    assert [o.status for o in outcomes] == ["sent", "failed"]
    archive = (Settings.from_env().archive_dir / daily_path(day)).read_text(encoding="utf-8")
    assert "A Fresh Citer" in archive
    monkeypatch.setenv("PAPERPULSE_OUTBOX_DIR", str(outbox))
    _, mail, _ = live_day(monkeypatch, s2, 3)
    assert "A Fresh Citer" in mail  # Ada was never told: her next email says it
