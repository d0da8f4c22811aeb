"""Fourteen real days replayed, each observed twice with upvotes growing in between.

Runs the plain pipeline functions (collect, compose) on a simulated clock against a real replay
server and a real SQLite file: no paper is announced as new twice, rising papers come in order of
their gain, weekends are explained, and the weekly edition lists each day's papers under it.
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from paperpulse.digest.edition import RISING, shown_items
from paperpulse.digest.models import Digest
from paperpulse.flows.collect import collect
from paperpulse.flows.compose import build, period_for
from paperpulse.flows.config import Config
from paperpulse.flows.context import Context, repository
from paperpulse.flows.jobs import hf_daily_jobs
from paperpulse.flows.settings import Settings
from tests.flows.month import SimClock
from tests.replay import ReplayServer

FIRST = date(2024, 8, 5)  # a Monday: two full weeks with their weekends
DAYS = [FIRST + timedelta(days=n) for n in range(14)]
READER = "reader@example.org"
Replayed = tuple[Settings, list[Digest]]


def growth(arxiv_id: str, generation: int) -> int:
    """Deterministic, uneven growth: some papers gain fast, some not at all."""
    return generation * (zlib.crc32(arxiv_id.encode()) % 9)


@pytest.fixture(scope="module")
def replayed(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    tmp_path = tmp_path_factory.mktemp("replay")
    digests: list[Digest] = []
    clock = SimClock(datetime.combine(FIRST, time(6), tzinfo=UTC))
    with ReplayServer(shared_data / "hf_api_daily", upvote_growth=growth) as server:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
            archive_dir=tmp_path / "archive",
            hf_url=server.url,
            hf_min_interval=0.0,
            clock=clock,
        )
        config = Config()
        ctx = Context.open(settings, config)
        repo = ctx.repository
        for k, day in enumerate(DAYS):
            for observation, hour in enumerate((6, 18)):
                server.generation = 2 * k + observation
                clock.at = datetime.combine(day, time(hour), tzinfo=UTC)
                done = repo.complete_periods("hf-daily", "2024-01-01", day.isoformat())
                for job in hf_daily_jobs(day, done=done, heal_days=14, refresh_days=6):
                    collect(ctx, job)
            digest = build(settings, config, period_for("daily", day), reader=READER)
            repo.record_shown(READER, digest.key, shown_items(digest), digest.generated_at)
            digests.append(digest)
        ctx.close()
    return settings, digests


def test_no_paper_is_announced_as_new_twice(replayed: Replayed) -> None:
    _, digests = replayed
    announced = [i for d in digests for i, _, new in shown_items(d) if new]
    assert len(announced) > 50
    assert len(announced) == len(set(announced))


def test_rising_papers_come_in_order_of_their_gain(replayed: Replayed) -> None:
    _, digests = replayed
    rising_seen = 0
    for digest in digests:
        rising = next((s for s in digest.sections if s.title == RISING), None)
        if rising is None:
            continue
        gains = [i.gain or 0 for i in rising.items]
        assert gains == sorted(gains, reverse=True) and min(gains) >= 10
        assert all(i.listed is not None and i.listed < date.fromisoformat(digest.period)
                   for i in rising.items)  # fmt: skip
        rising_seen += len(gains)
    assert rising_seen > 0  # growth between observations did produce rising papers


def test_weekends_are_explained(replayed: Replayed) -> None:
    _, digests = replayed
    for day, digest in zip(DAYS, digests, strict=True):
        notes = " ".join(digest.notes)
        if day.weekday() >= 5:
            assert "Hugging Face publishes none on weekends" in notes, day
        else:
            assert "weekends" not in notes, day


def test_the_weekly_edition_lists_each_day_under_its_date(replayed: Replayed) -> None:
    settings, _ = replayed
    repo = repository(settings.database_url)
    digest = build(settings, Config(), period_for("weekly", DAYS[-1]))
    assert digest.period == "2024-W33" and digest.edition == "weekly"
    for day in DAYS[7:12]:  # Monday to Friday of that week
        section = next(s for s in digest.sections if s.title == f"Papers of {day:%a %d %b}")
        run = max(
            (r for r in repo.runs("hf-daily", day.isoformat()) if r.status == "complete"),
            key=lambda r: r.id,
        )
        listed = {s.arxiv_id for _, s in repo.listing_items(run.id)}
        assert {i.paper.arxiv_id for i in section.items} == listed
        upvotes = [i.upvotes or 0 for i in section.items]
        assert upvotes == sorted(upvotes, reverse=True)
    assert "Hugging Face publishes none on weekends" in " ".join(digest.notes)
