"""What a run fetches: a plan of jobs, one per source page (pure; no I/O, no Prefect).

A job is one listing to fetch and store as one run in the ledger. The daily run plans:
- HF Daily Papers for the list date, for every missed date since the last complete one
  (gap healing, bounded), and again for the last few complete dates (upvotes keep growing for
  a week or two: re-observing them is what makes velocity and "rising" measurable);
- the week list, HF trending, each topic's HF searches, arXiv categories, followed authors,
  as the config enables them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from paperpulse.config.file import Config
from paperpulse.core.kinds import Source
from paperpulse.digest.calendar import date_range, iso_week

Reason = Literal["scheduled", "heal", "refresh", "backfill"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    source: Source
    period: date | str  # a list date for day jobs; else the listing's key: a week, a query...
    target: str = ""  # what to fetch when it is not the period: a category, a query, a name
    reason: Reason = "scheduled"

    @property
    def ledger_period(self) -> str:
        """The period as the run ledger keys the listing."""
        return self.period.isoformat() if isinstance(self.period, date) else self.period

    @property
    def day(self) -> date:
        """The list date of a day job."""
        if not isinstance(self.period, date):
            raise ValueError(f"a {self.source} job for {self.period!r} is not for a list date")
        return self.period

    @property
    def key(self) -> str:
        return f"{self.source}:{self.target or self.ledger_period}"


def hf_daily_jobs(
    day: date, *, done: Collection[str], heal_days: int, refresh_days: int
) -> list[Job]:
    """The list date itself; every missed date of the last ``heal_days`` after the first
    complete one (heal: a fresh install does not reach back, a hole between complete days is
    filled); the last ``refresh_days`` complete dates again (refresh: upvotes keep growing)."""
    jobs = [Job(source=Source.HF_DAILY, period=day)]
    window = [day - timedelta(days=back) for back in range(1, heal_days + 1)]
    known = [d for d in window if d.isoformat() in done]
    first_done = min(known) if known else None
    for back in range(1, max(heal_days, refresh_days) + 1):
        past = day - timedelta(days=back)
        if past.isoformat() in done:
            if back <= refresh_days:
                jobs.append(Job(source=Source.HF_DAILY, period=past, reason="refresh"))
        elif first_done is not None and past > first_done and back <= heal_days:
            jobs.append(Job(source=Source.HF_DAILY, period=past, reason="heal"))
    return jobs


def daily_plan(
    config: Config, day: date, *, hf_daily_done: Collection[str], refresh_days: int = 6
) -> list[Job]:
    """Every job of the daily run for ``day``, HF daily first (the digest's spine)."""
    sources = config.sources
    jobs: list[Job] = []
    if sources.hf_daily:
        jobs += hf_daily_jobs(
            day,
            done=hf_daily_done,
            heal_days=config.schedule.heal_days,
            refresh_days=refresh_days,
        )
    if sources.hf_weekly:
        jobs.append(Job(source=Source.HF_WEEK, period=iso_week(day)))
    if sources.hf_trending:
        jobs.append(Job(source=Source.HF_TRENDING, period=day.isoformat()))
    if sources.hf_search:
        for query in unique(q for t in config.topics for q in t.hf_queries):
            jobs.append(Job(source=Source.HF_SEARCH, period=query, target=query))
    for category in unique(sources.arxiv_categories):
        jobs.append(Job(source=Source.ARXIV_LISTING, period=category, target=category))
    if sources.followed_authors:
        for author in config.authors:
            jobs.append(Job(source=Source.ARXIV_AUTHOR, period=author.name, target=author.name))
    if sources.semantic_scholar:
        for author in config.authors:
            jobs.append(Job(source=Source.S2_PROFILE, period=author.name, target=author.name))
    return jobs


def backfill_plan(
    start: date,
    end: date,
    *,
    sources: Iterable[Source],
    done: Collection[tuple[str, str]],
    force: bool = False,
) -> list[Job]:
    """One job per source and list date; complete ones are skipped unless ``force``."""
    jobs = []
    for day in date_range(start, end):
        for source in sources:
            period = day if source == Source.HF_DAILY else iso_week(day)
            job = Job(source=source, period=period, reason="backfill")
            if (force or (source, job.ledger_period) not in done) and job not in jobs:
                jobs.append(job)
    return jobs


def unique(values: Iterable[str]) -> list[str]:
    """Keep the first of values that differ only in case and spacing, in order."""
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(" ".join(value.casefold().split()), value)
    return list(seen.values())
