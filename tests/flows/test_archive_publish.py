"""The archive's feeds, index and navigation, built from the database over several days:
a real SQLite ledger and a real git archive; feeds read back with feedparser."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import feedparser
import pytest

from paperpulse.app.deliver import deliver
from paperpulse.config.file import ArchiveConfig, Config, TopicConfig
from paperpulse.config.settings import Settings
from paperpulse.core.models import Author, Listing, ListingItem, Paper
from paperpulse.digest.calendar import period_for
from tests.contexts import context, repository
from tests.flows.month import SimClock
from tests.storage.builders import start_run

DAYS = (date(2026, 11, 19), date(2026, 11, 20))
FEEDS = "https://example.github.io/papers"
CONFIG = Config(
    topics=(
        TopicConfig(name="Decoding", include=("decoding",)),
        TopicConfig(name="Robotics", include=("robot",)),
    ),
    archive=ArchiveConfig(web_url="https://github.com/example/papers/blob/main", feed_url=FEEDS),
)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 18, tzinfo=UTC)


def paper(n: int, title: str) -> Paper:
    return Paper(
        arxiv_id=f"2611.{n:05d}",
        title=title,
        authors=(Author(name="Ada Lovelace"), Author(name="Alan Turing")),
        abstract=f"We present result {n}. <style>body{{}}</style> It holds & scales.",
        ai_summary=f"Result {n} in one line.",
        github_repo="https://github.com/example/code" if n == 2 else None,
    )


DAY_PAPERS = {
    DAYS[0]: [paper(1, "Speculative decoding, faster"), paper(2, "A robot that folds")],
    DAYS[1]: [paper(3, "Decoding with drafts"), paper(4, "Another robot arm")],
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        archive_dir=tmp_path / "archive",
        clock=SimClock(at(DAYS[0])),
    )


def observe(settings: Settings, day: date) -> None:
    repo = repository(settings.database_url)
    listing = Listing(
        source="hf-daily",
        period=day.isoformat(),
        url="u",
        fetched_at=at(day),
        items=tuple(
            ListingItem(paper=p, rank=i + 1, upvotes=9 - i) for i, p in enumerate(DAY_PAPERS[day])
        ),
    )
    run = start_run(repo, "hf-daily", day.isoformat(), "u", at(day))
    repo.save_listing(run, listing, at(day), finished_at=at(day))


def publish(settings: Settings, day: date) -> str:
    settings.clock.at = at(day)  # type: ignore[attr-defined]
    [outcome] = deliver(context(settings, CONFIG), period_for("daily", day), email=False)
    return outcome.status


def commits(archive: Path) -> int:
    out = subprocess.run(
        ["git", "-C", str(archive), "rev-list", "--count", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


def test_feeds_carry_each_new_paper_with_its_abstract_and_links(settings: Settings) -> None:
    for day in DAYS:
        observe(settings, day)
        assert publish(settings, day) == "sent"
    archive = settings.archive_dir

    feed = feedparser.parse((archive / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert [link.rel for link in feed.feed.links] == ["alternate", "self"]
    assert feed.feed.links[1].href == f"{FEEDS}/feed.xml"
    ids = [e.id for e in feed.entries]
    assert ids == [f"tag:paperpulse,2024:arxiv/2611.{n:05d}" for n in (4, 3, 2, 1)]  # newest first
    second = next(e for e in feed.entries if e.id.endswith("2611.00002"))
    content = second.content[0].value
    assert "<style" not in content and "&lt;style&gt;" in content  # a tag in text stays text
    assert "We present result 2." in content and "It holds &amp; scales." in content
    assert "Result 2 in one line." in content and "Ada Lovelace, Alan Turing" in content
    for href in (
        "https://huggingface.co/papers/2611.00002",
        "https://arxiv.org/abs/2611.00002",
        "https://arxiv.org/pdf/2611.00002",
        "https://github.com/example/code",
    ):
        assert f'href="{href}"' in content, href
    assert second.updated == "2026-11-19T18:00:00+00:00"  # when the archive announced it
    assert len((archive / "feed.xml").read_bytes()) < 20_000  # entries, not whole pages

    robotics = feedparser.parse((archive / "feeds" / "robotics.xml").read_bytes())
    assert not robotics.bozo and robotics.feed.links[1].href == f"{FEEDS}/feeds/robotics.xml"
    assert [e.id[-10:] for e in robotics.entries] == ["2611.00004", "2611.00002"]
    assert robotics.entries[1].content[0].value == content  # the same content as the main feed


def test_feeds_are_rebuilt_from_the_database_not_from_their_files(settings: Settings) -> None:
    for day in DAYS:
        observe(settings, day)
        publish(settings, day)
    archive = settings.archive_dir
    before = (archive / "feed.xml").read_bytes()
    (archive / "feed.xml").write_text("<not a feed", encoding="utf-8")  # damaged by hand
    subprocess.run(["git", "-C", str(archive), "commit", "-qam", "oops"], check=True)
    publish(settings, DAYS[1])
    assert (archive / "feed.xml").read_bytes() == before  # every entry back


def test_the_index_and_navigation_come_from_the_ledger(settings: Settings) -> None:
    for day in DAYS:
        observe(settings, day)
        publish(settings, day)
    archive = settings.archive_dir
    index = (archive / "README.md").read_text(encoding="utf-8")
    assert "**Latest:** [Daily Papers · Friday 20 November 2026](2026/11/2026-11-20.md)" in index
    assert (
        '[19](2026/11/2026-11-19.md "2 papers") | [20](2026/11/2026-11-20.md "2 papers")' in index
    )
    latest = (archive / "2026/11/2026-11-20.md").read_text(encoding="utf-8")
    assert latest.startswith("[← Thu 19 Nov](2026-11-19.md) · [All digests](../../README.md)\n")
    assert "Topics: [Decoding](#decoding) · [Robotics](#robotics)" in latest

    # Re-publishing the earlier day gains its "next" link; nothing else changes.
    count = commits(archive)
    publish(settings, DAYS[0])
    earlier = (archive / "2026/11/2026-11-19.md").read_text(encoding="utf-8")
    assert earlier.startswith("[All digests](../../README.md) · [Fri 20 Nov →](2026-11-20.md)")
    assert commits(archive) == count + 1
    assert publish(settings, DAYS[0]) == "unchanged" and commits(archive) == count + 1


def test_a_rerun_with_nothing_new_changes_no_byte(settings: Settings) -> None:
    observe(settings, DAYS[0])
    assert publish(settings, DAYS[0]) == "sent"
    assert publish(settings, DAYS[0]) == "unchanged"
    assert commits(settings.archive_dir) == 1
