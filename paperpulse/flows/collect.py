"""Fetch one job's listing and store it as one run of the ledger (plain functions).

``collect`` is what one Prefect task runs: start a run, fetch, check completeness against the
previous run, save papers and sightings in one transaction, close the run. Any failure closes
the run as "failed" with the reason, then propagates (Prefect retries transient ones).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache

from paperpulse.core.bounds import bound_listing
from paperpulse.core.errors import PaperpulseError
from paperpulse.core.models import AuthorProfile, Listing
from paperpulse.flows.config import Config
from paperpulse.flows.jobs import Job, daily_plan
from paperpulse.flows.settings import Settings
from paperpulse.scrapers import arxiv_source, authors, hf_daily, hf_papers
from paperpulse.scrapers.completeness import check_against_previous
from paperpulse.scrapers.http import HttpClient, default_settings
from paperpulse.storage.db import create_engine
from paperpulse.storage.migrate import upgrade
from paperpulse.storage.repository import Repository

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceOutcome:
    """What one job did: a line of the run summary and of the digest's health header."""

    source: str
    period: str
    status: str  # "complete" | "empty" | "failed" | "skipped" (another run had it)
    run_id: int | None = None
    fetched: int = 0
    new: int = 0
    updated: int = 0
    declared: int | None = None
    error: str | None = None


def now_utc() -> datetime:
    return datetime.now(UTC)


@cache
def repository(database_url: str) -> Repository:
    """One engine (and one migration check) per database per process, shared by all steps."""
    engine = create_engine(database_url)
    upgrade(engine)
    return Repository(engine)


@cache
def http_client(settings: Settings) -> HttpClient:
    """One client per process: per-host pacing must hold across concurrent tasks."""
    return HttpClient(
        default_settings(
            hf_url=settings.hf_url,
            arxiv_url=settings.arxiv_url,
            arxiv_api_url=settings.arxiv_api_url,
            semantic_scholar_url=settings.semantic_scholar_url,
            contact=settings.contact,
            hf_token=settings.hf_token,
            s2_api_key=settings.s2_api_key,
            hf_min_interval=settings.hf_min_interval,
            deadline=settings.http_deadline,
        )
    )


def fetch(settings: Settings, config: Config, job: Job, now: datetime) -> Listing | AuthorProfile:
    """One job's network work; returns the parsed listing (or an author profile)."""
    client = http_client(settings)
    if job.source == "hf-daily":
        return hf_daily.fetch_daily(
            client,
            base_url=settings.hf_url,
            list_date=date.fromisoformat(job.period),
            via=settings.hf_via,
            now=now,
        )
    if job.source == "hf-week":
        return hf_papers.fetch_period(
            client,
            base_url=settings.hf_url,
            kind="week",
            key=job.period,
            via=settings.hf_via,
            now=now,
        )
    if job.source == "hf-trending":
        return hf_papers.fetch_trending(client, base_url=settings.hf_url, now=now)
    if job.source == "hf-search":
        return hf_papers.search(client, base_url=settings.hf_url, query=job.target, now=now)
    if job.source == "arxiv-listing":
        return arxiv_source.fetch_category_new(
            client, base_url=settings.arxiv_url, category=job.target, now=now
        )
    if job.source == "arxiv-author":
        return authors.fetch_author_papers(
            client, api_base_url=settings.arxiv_api_url, name=job.target, since=None, now=now
        )
    if job.source == "s2-profile":
        author_id = next(
            (a.semantic_scholar_id for a in config.authors if a.name == job.target), None
        )
        return authors.fetch_author_profile(
            client,
            s2_base_url=settings.semantic_scholar_url,
            name=job.target,
            author_id=author_id,
            now=now,
        )
    raise ValueError(f"no fetcher for source {job.source!r}")


def job_url(settings: Settings, job: Job) -> str:
    """Where a job reads from, for the run ledger (the fetch may page beyond it)."""
    if job.source == "hf-daily":
        return hf_daily.api_url(settings.hf_url, date=job.period)
    if job.source in ("arxiv-listing",):
        return f"{settings.arxiv_url.rstrip('/')}/list/{job.target}/new"
    return f"{job.source}:{job.target or job.period}"


# How far back the ledger is asked which HF list dates are complete (covers heal and refresh).
PLAN_LOOKBACK = timedelta(days=60)


def daily_jobs(settings: Settings, config: Config, day: date) -> list[Job]:
    """The daily run's jobs for ``day``, planned against the run ledger."""
    done = repository(settings.database_url).complete_periods(
        "hf-daily", (day - PLAN_LOOKBACK).isoformat(), day.isoformat()
    )
    return daily_plan(config, day, hf_daily_done=done)


def collect(
    settings: Settings, config: Config, job: Job, now: datetime | None = None
) -> SourceOutcome:
    """Fetch and store one job as one run; raises (after recording) when it fails.

    If another process is fetching the same listing right now, returns a "skipped" outcome
    instead of fetching it twice.
    """
    repo = repository(settings.database_url)
    started = now or now_utc()

    def finished() -> datetime:
        # A caller that fixes the time (tests, replays) gets a ledger on that clock too.
        return started if now is not None else now_utc()

    run_id = repo.start_exclusive_run(job.source, job.period, job_url(settings, job), started)
    if run_id is None:
        return SourceOutcome(
            source=job.source,
            period=job.period,
            status="skipped",
            error="another run is fetching this listing right now",
        )
    try:
        result = fetch(settings, config, job, started)
        if isinstance(result, AuthorProfile):
            repo.save_author_profile(run_id, job.target, result, observed_at=started)
            repo.finish_run(run_id, status="complete", fetched=1, finished_at=finished())
            return SourceOutcome(
                source=job.source, period=job.period, status="complete", run_id=run_id, fetched=1
            )
        # The ledger keys a listing by the job (an arXiv category, HF trending by list date);
        # the parser's own period (the announcement day) lives on in each paper's list_date.
        result = replace(result, period=job.period)
        result, warnings = bound_listing(result)  # oversized fields cut, duplicates named
        for warning in warnings:
            log.warning("%s %s: %s", job.source, job.period, warning)
        previous = repo.latest_complete_run(job.source, job.period)
        check_against_previous(result, previous.fetched if previous else None)
        saved = repo.save_listing(
            run_id, result, observed_at=result.fetched_at, finished_at=finished()
        )
    except BaseException as exc:
        try:
            repo.finish_run(run_id, status="failed", error=describe(exc), finished_at=finished())
        except PaperpulseError as closing:  # e.g. the disk is still full: the next run's
            # start closes this run (its process will be gone); the first error is the news.
            log.warning("run %d of %s %s left open: %s", run_id, job.source, job.period, closing)
        raise
    return SourceOutcome(
        source=job.source,
        period=job.period,
        status="complete" if saved.fetched else "empty",
        run_id=run_id,
        fetched=saved.fetched,
        new=saved.new,
        updated=saved.updated,
        declared=result.declared_count,
    )


def describe(error: BaseException) -> str:
    """One line for the ledger and the user: our errors say it all; others get their type."""
    return str(error) if isinstance(error, PaperpulseError) else f"{type(error).__name__}: {error}"


def failed_outcome(job: Job, error: BaseException) -> SourceOutcome:
    return SourceOutcome(
        source=job.source, period=job.period, status="failed", error=describe(error)
    )
