"""The Atom feed never loses a paper between versions (docs/digest-semantics.md, rule 10): over
a catch-up that heals four busy days into a real git archive, every paper the archive
announced is in some committed version of ``feed.xml`` (and of its topic's feed), read back
with feedparser from each commit."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from paperpulse.app.compose import ARCHIVE
from paperpulse.app.deliver import deliver
from paperpulse.app.publish import FEED_MAX, FEED_SIZE, _kept
from paperpulse.config.file import ArchiveConfig, Config, TopicConfig
from paperpulse.config.settings import Settings
from paperpulse.core.kinds import Edition
from paperpulse.core.models import Author, Listing, ListingItem, Paper
from paperpulse.digest.calendar import period_for
from tests.contexts import context, repository
from tests.flows.month import SimClock
from tests.storage.builders import start_run

DAYS = tuple(date(2026, 11, 16) + timedelta(days=n) for n in range(4))  # Mon-Thu
PER_DAY = 60  # more than FEED_SIZE: one day alone overflows the old 50-entry window
CONFIG = Config(
    topics=(TopicConfig(name="Agents", include=("agent",)),),
    archive=ArchiveConfig(feed_url="https://example.github.io/papers"),
)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 18, tzinfo=UTC)


def observe(settings: Settings, day: date) -> None:
    papers = [
        Paper(
            arxiv_id=f"2611.{day.day:02d}{n:03d}",
            title=f"{'An agent for' if n % 3 == 0 else 'A study of'} problem {n} of {day}",
            authors=(Author(name="Ada Lovelace"),),
            abstract=f"Problem {n}.",
        )
        for n in range(PER_DAY)
    ]
    listing = Listing(
        source="hf-daily",
        period=day.isoformat(),
        url="u",
        fetched_at=at(day),
        items=tuple(ListingItem(paper=p, rank=i + 1, upvotes=3) for i, p in enumerate(papers)),
    )
    repo = repository(settings.database_url)
    run = start_run(repo, "hf-daily", day.isoformat(), "u", at(day))
    repo.save_listing(run, listing, at(day), finished_at=at(day))


def versions(archive: Path, name: str) -> list[set[str]]:
    """The entries' arXiv ids of every committed version of ``name``, oldest first."""
    shas = subprocess.run(
        ["git", "-C", str(archive), "log", "--reverse", "--format=%H", "--", name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    found = []
    for sha in shas:
        body = subprocess.run(
            ["git", "-C", str(archive), "show", f"{sha}:{name}"], capture_output=True, check=True
        ).stdout
        feed = feedparser.parse(body)
        assert not feed.bozo, feed.bozo_exception
        found.append({entry.id.rsplit("/", 1)[1] for entry in feed.entries})
    return found


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        archive_dir=tmp_path / "archive",
        clock=SimClock(at(DAYS[-1]) + timedelta(hours=12)),
    )


def test_every_paper_a_catch_up_announced_is_in_some_version_of_the_feed(
    settings: Settings,
) -> None:
    # The machine was off: the next run heals the four days, one archive commit each.
    for day in DAYS:
        observe(settings, day)
    for day in DAYS:
        deliver(context(settings, CONFIG), period_for(Edition.DAILY, day), email=False)

    repo = repository(settings.database_url)
    announced = set(repo.announced_since(ARCHIVE, at(DAYS[0]) - timedelta(days=1)))
    assert len(announced) == len(DAYS) * PER_DAY

    every = versions(settings.archive_dir, "feed.xml")
    assert len(every) == len(DAYS)  # one version per healed day
    assert set().union(*every) == announced
    # Each version holds its own day's papers and the FEED_SIZE newest before them.
    for n, version in enumerate(every):
        own = {i for i in announced if i.startswith(f"2611.{DAYS[n].day:02d}")}
        assert own <= version and len(version) == PER_DAY + min(FEED_SIZE, n * PER_DAY)

    agents = {i for i in announced if int(i[-3:]) % 3 == 0}
    topic = versions(settings.archive_dir, "feeds/agents.xml")
    assert set().union(*topic) == agents


def test_a_version_holds_the_digests_papers_then_the_newest_others_within_a_bound() -> None:
    newest = [f"p{n:04d}" for n in range(3000)]  # newest first
    small = frozenset(newest[2000:2010])  # an old day backfilled now
    assert _kept(newest, small) == newest[:FEED_SIZE] + newest[2000:2010]
    huge = frozenset(newest[100:2100])  # more than FEED_MAX announced at once
    kept = _kept(newest, huge)
    assert len(kept) == FEED_MAX and kept == newest[100 : 100 + FEED_MAX]
