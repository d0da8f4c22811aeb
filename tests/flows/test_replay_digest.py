"""Fourteen real days replayed, each observed twice with upvotes growing in between.

Runs the plain pipeline functions (collect, compose) on a fixed clock against a real replay
server and a real SQLite file: no paper is announced as new twice, rising papers come in score
order, and weekends are explained.
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from paperpulse.digest.diff import ChangeKind
from paperpulse.digest.edition import Edition
from paperpulse.digest.trending import score_paper
from paperpulse.flows.collect import collect
from paperpulse.flows.compose import build, period_for
from paperpulse.flows.config import Config
from paperpulse.flows.context import Context, repository
from paperpulse.flows.jobs import hf_daily_jobs
from paperpulse.flows.settings import Settings
from tests.replay import ReplayServer

FIRST = date(2024, 8, 5)  # a Monday: two full weeks with their weekends
DAYS = [FIRST + timedelta(days=n) for n in range(14)]
READER = "reader@example.org"
Replayed = tuple[Settings, list[Edition]]


def growth(arxiv_id: str, generation: int) -> int:
    """Deterministic, uneven growth: some papers gain fast, some not at all."""
    return generation * (zlib.crc32(arxiv_id.encode()) % 9)


@pytest.fixture(scope="module")
def replayed(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    tmp_path = tmp_path_factory.mktemp("replay")
    editions: list[Edition] = []
    with ReplayServer(shared_data / "hf_api_daily", upvote_growth=growth) as server:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
            archive_dir=tmp_path / "archive",
            hf_url=server.url,
            hf_min_interval=0.0,
        )
        config = Config()
        ctx = Context.open(settings, config)
        repo = ctx.repository
        for k, day in enumerate(DAYS):
            for observation, hour in enumerate((6, 18)):
                server.generation = 2 * k + observation
                now = datetime.combine(day, time(hour), tzinfo=UTC)
                done = repo.complete_periods("hf-daily", "2024-01-01", day.isoformat())
                for job in hf_daily_jobs(day, done=done, heal_days=14, refresh_days=6):
                    collect(ctx, job, now=now)
            edition = build(settings, config, period_for("daily", day), recipient=READER)
            repo.mark_sent_new(READER, "daily", edition.announced_new, edition.digest.generated_at)
            editions.append(edition)
        ctx.close()
    return settings, editions


def test_no_paper_is_announced_as_new_twice(replayed: Replayed) -> None:
    _, editions = replayed
    announced = [i for e in editions for i in e.announced_new]
    assert len(announced) > 50
    assert len(announced) == len(set(announced))


def test_rising_papers_come_in_score_order(replayed: Replayed) -> None:
    settings, editions = replayed
    repo = repository(settings.database_url)
    rising_seen = 0
    for edition in editions:
        digest = edition.digest
        trending = next((s for s in digest.sections if s.title == "Trending"), None)
        rising = {c.arxiv_id for c in edition.changes if c.kind is ChangeKind.RISING}
        if trending is None:
            continue
        ids = [i.paper.arxiv_id for i in trending.items]
        history = repo.sightings(ids, until=digest.generated_at + timedelta(microseconds=1))
        papers = repo.papers(ids)
        start = digest.generated_at - timedelta(days=1)
        scores = [
            score_paper(
                papers[i], history[i], topic="t", window_start=start, now=digest.generated_at
            ).score
            for i in ids
        ]
        assert scores == sorted(scores, reverse=True)
        rising_seen += len(rising & set(ids))
        labelled = [i for i in trending.items if "rising" in i.labels]
        assert all(i.paper.arxiv_id in rising for i in labelled)
    assert rising_seen > 0  # growth between observations did produce rising papers


def test_weekends_are_explained(replayed: Replayed) -> None:
    _, editions = replayed
    for day, edition in zip(DAYS, editions, strict=True):
        notes = " ".join(edition.digest.notes)
        if day.weekday() >= 5:
            assert "Hugging Face publishes none on weekends" in notes, day
        else:
            assert "weekends" not in notes, day


def test_the_weekly_edition_covers_its_week(replayed: Replayed) -> None:
    settings, _ = replayed
    edition = build(settings, Config(), period_for("weekly", DAYS[-1]))
    digest = edition.digest
    assert digest.period == "2024-W33" and digest.edition == "weekly"
    week = next(s for s in digest.sections if s.title == "Papers of the week")
    listed = {i.paper.list_date for i in week.items}
    assert listed and all(date(2024, 8, 12) <= d <= date(2024, 8, 16) for d in listed if d)
    upvotes = [i.upvotes or 0 for i in week.items]
    assert upvotes == sorted(upvotes, reverse=True)
    assert not digest.notes  # every weekday of the week was fetched
