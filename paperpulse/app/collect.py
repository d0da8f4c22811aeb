"""Fetch one job's listing and store it as one run of the ledger (plain functions).

``collect`` is what one Prefect task runs: start a run, fetch, check completeness against the
previous run, save papers and sightings in one transaction, close the run. Any failure closes
the run as "failed" with the reason, then propagates (Prefect retries transient ones).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from paperpulse.app.context import Context
from paperpulse.app.jobs import Job, daily_plan
from paperpulse.core.bounds import bound_listing
from paperpulse.core.errors import PaperpulseError
from paperpulse.core.kinds import RunStatus, Source
from paperpulse.core.models import AuthorProfile, Listing
from paperpulse.scrapers import arxiv_source, authors, hf_daily, hf_papers
from paperpulse.scrapers.completeness import check_against_previous, size_warning

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceOutcome:
    """What one job did: a line of the run summary and of the digest's health header."""

    source: str
    period: str  # the ledger's key of the listing
    status: RunStatus  # COMPLETE, EMPTY, FAILED, or SKIPPED (another run had it)
    run_id: int | None = None
    fetched: int = 0
    new: int = 0
    updated: int = 0
    declared: int | None = None
    error: str | None = None


def fetch(ctx: Context, job: Job, now: datetime) -> Listing | AuthorProfile:
    """One job's network work; returns the parsed listing (or an author profile)."""
    client, settings = ctx.http, ctx.settings
    if job.source == Source.HF_DAILY:
        return hf_daily.fetch_daily(
            client, base_url=settings.hf_url, list_date=job.day, via=settings.hf_via, now=now
        )
    if job.source == Source.HF_WEEK:
        return hf_papers.fetch_period(
            client,
            base_url=settings.hf_url,
            kind="week",
            key=job.ledger_period,
            via=settings.hf_via,
            now=now,
        )
    if job.source == Source.HF_TRENDING:
        return hf_papers.fetch_trending(client, base_url=settings.hf_url, now=now)
    if job.source == Source.HF_SEARCH:
        return hf_papers.search(client, base_url=settings.hf_url, query=job.target, now=now)
    if job.source == Source.ARXIV_LISTING:
        return arxiv_source.fetch_category_new(
            client, base_url=settings.arxiv_url, category=job.target, now=now
        )
    if job.source == Source.ARXIV_AUTHOR:
        return authors.fetch_author_papers(
            client, api_base_url=settings.arxiv_api_url, name=job.target, since=None, now=now
        )
    if job.source == Source.S2_PROFILE:
        author_id = next(
            (a.semantic_scholar_id for a in ctx.config.authors if a.name == job.target), None
        )
        return authors.fetch_author_profile(
            client,
            s2_base_url=settings.semantic_scholar_url,
            name=job.target,
            author_id=author_id,
            now=now,
        )
    raise ValueError(f"no fetcher for source {job.source!r}")


def job_url(ctx: Context, job: Job) -> str:
    """Where a job reads from, for the run ledger (the fetch may page beyond it)."""
    if job.source == Source.HF_DAILY:
        return hf_daily.api_url(ctx.settings.hf_url, date=job.ledger_period)
    if job.source == Source.ARXIV_LISTING:
        return f"{ctx.settings.arxiv_url.rstrip('/')}/list/{job.target}/new"
    return f"{job.source}:{job.target or job.ledger_period}"


# How far back the ledger is asked which HF list dates are complete (covers heal and refresh).
PLAN_LOOKBACK = timedelta(days=60)


def daily_jobs(ctx: Context, day: date) -> list[Job]:
    """The daily run's jobs for ``day``, planned against the run ledger."""
    done = ctx.repository.complete_periods(
        Source.HF_DAILY, (day - PLAN_LOOKBACK).isoformat(), day.isoformat()
    )
    return daily_plan(ctx.config, day, hf_daily_done=done)


def collect(ctx: Context, job: Job, now: datetime | None = None) -> SourceOutcome:
    """Fetch and store one job as one run; raises (after recording) when it fails.

    If another process is fetching the same listing right now, returns a "skipped" outcome
    instead of fetching it twice.
    """
    repo, period = ctx.repository, job.ledger_period
    started = now or ctx.settings.clock.now()

    def finished() -> datetime:
        # A caller that fixes the time (tests, replays) gets a ledger on that clock too.
        return started if now is not None else ctx.settings.clock.now()

    run_id = repo.start_exclusive_run(
        job.source, period, job_url(ctx, job), started, purpose=job.reason
    )
    if run_id is None:
        return SourceOutcome(
            source=job.source,
            period=period,
            status=RunStatus.SKIPPED,
            error="another run is fetching this listing right now",
        )
    try:
        result = fetch(ctx, job, started)
        if isinstance(result, AuthorProfile):
            repo.save_author_profile(run_id, job.target, result, observed_at=started)
            repo.finish_run(run_id, status=RunStatus.COMPLETE, fetched=1, finished_at=finished())
            return SourceOutcome(
                source=job.source,
                period=period,
                status=RunStatus.COMPLETE,
                run_id=run_id,
                fetched=1,
            )
        # The ledger keys a listing by the job (an arXiv category, HF trending by list date);
        # the parser's own period (the announcement day) lives on in each paper's list_date.
        result = replace(result, period=period)
        result, warnings = bound_listing(result)  # oversized fields cut, duplicates named
        for warning in warnings:
            log.warning("%s %s: %s", job.source, period, warning)
        previous = repo.latest_complete_run(job.source, period)
        check_against_previous(result, previous.fetched if previous else None)
        if grown := size_warning(result, previous.fetched if previous else None):
            log.warning("%s %s: %s", job.source, period, grown)
        saved = repo.save_listing(
            run_id, result, observed_at=result.fetched_at, finished_at=finished()
        )
    except BaseException as exc:
        try:
            repo.finish_run(
                run_id, status=RunStatus.FAILED, error=describe(exc), finished_at=finished()
            )
        except PaperpulseError as closing:  # e.g. the disk is still full: the next run's
            # start closes this run (its process will be gone); the first error is the news.
            log.warning("run %d of %s %s left open: %s", run_id, job.source, period, closing)
        raise
    return SourceOutcome(
        source=job.source,
        period=period,
        status=RunStatus.COMPLETE if saved.fetched else RunStatus.EMPTY,
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
        source=job.source, period=job.ledger_period, status=RunStatus.FAILED, error=describe(error)
    )
