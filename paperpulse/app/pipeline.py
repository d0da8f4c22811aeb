"""The one pipeline: the daily run and a backfill as plain functions (no Prefect here).

A one-off ``paperpulse run`` / ``backfill`` calls these directly; the Prefect flows
(``flows.daily``, ``flows.backfill``) call the same functions with ``Steps`` whose job runner
submits Prefect tasks, and the benchmarks call them too. What differs between the two is only
*how* jobs are run and digests delivered, never *what* a run does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, date
from pathlib import Path
from typing import TypeVar

from paperpulse.app.collect import SourceOutcome, collect, daily_jobs, failed_outcome
from paperpulse.app.compose import digest_periods, failing, owed_weeks, reads
from paperpulse.app.context import Context
from paperpulse.app.deliver import DeliveryOutcome, archive_relpath, deliver, weekly_readers
from paperpulse.app.jobs import Job, backfill_plan
from paperpulse.core.deadline import Stopped
from paperpulse.core.errors import PaperpulseError
from paperpulse.core.kinds import DeliveryStatus, Edition, RunStatus, Source
from paperpulse.digest.calendar import Period, date_range, period_for

WORKERS = 4  # concurrent jobs; the shared HTTP client keeps each host at its own pace
MAX_LINE = 600  # characters of the closing error line: each failure is also logged above
NOT_STARTED = "not started: "  # a job the run had no time for: no run row, listed once

log = logging.getLogger("paperpulse.pipeline")

# The CLI's progress bar listens here: (jobs done, jobs total, the outcome just finished).
Progress = Callable[[int, int, SourceOutcome], None]
progress_hook: ContextVar[Progress | None] = ContextVar("paperpulse_progress", default=None)

F = TypeVar("F")  # a future: concurrent.futures' or Prefect's

RunJobs = Callable[[Context, Sequence[Job]], list[SourceOutcome]]
Deliver = Callable[[Context, Period, bool], list[DeliveryOutcome]]


class SourcesFailed(PaperpulseError):
    """At least one source failed; everything that worked was still stored and delivered."""

    def __init__(self, summary: RunSummary) -> None:
        # Each failure once (a run and its delivery can fail alike), the line kept readable.
        unique = list(dict.fromkeys(summary.failures))
        line = "; ".join(unique)
        if len(line) > MAX_LINE:
            line = line[: MAX_LINE - 1].rstrip() + "… (see the lines above, or run with -v)"
        super().__init__(line)
        self.summary = summary


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    list_date: date | None
    outcomes: tuple[SourceOutcome, ...]
    deliveries: tuple[DeliveryOutcome, ...] = ()
    archive: str | None = None  # where the main digest went
    alerts: tuple[str, ...] = ()  # sources failing run after run (digest.dead_sources)
    # Listings a backfill was asked for that are still not stored when it ends.
    incomplete: tuple[str, ...] = ()
    undone: str | None = None  # why the run stopped early (deadline, signal), if it did

    @property
    def failures(self) -> list[str]:
        skipped = [
            o for o in self.outcomes if o.status == RunStatus.FAILED and _not_started(o.error)
        ]
        left = ", ".join(f"{o.source} {o.period}" for o in skipped[:5])
        why = (skipped[0].error or "").removeprefix(NOT_STARTED) if skipped else ""
        more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        return (
            [
                f"{o.source} {o.period} failed: {o.error}"
                for o in self.outcomes
                if o.status == RunStatus.FAILED and not _not_started(o.error)
            ]
            + (
                [
                    f"{len(skipped)} job(s) left undone ({why}): "
                    f"{left}{more}; run again to fetch them"
                ]
                if skipped
                else []
            )
            + ([self.undone] if self.undone else [])
            + [
                f"{d.channel} to {d.recipient} {d.status}: {d.detail}"
                for d in self.deliveries
                if d.status in (DeliveryStatus.FAILED, DeliveryStatus.UNCONFIRMED)
            ]
            + list(self.alerts)
            + (
                [
                    f"not stored: {', '.join(self.incomplete)}; run the same backfill again "
                    "to fetch them (complete dates are skipped)"
                ]
                if self.incomplete
                else []
            )
        )

    def line(self) -> str:
        """The one line `paperpulse run` prints."""
        fetched = sum(o.fetched for o in self.outcomes)
        new = sum(o.new for o in self.outcomes)
        updated = sum(o.updated for o in self.outcomes)
        archived = [
            d
            for d in self.deliveries
            if d.channel == "archive"
            and d.status in (DeliveryStatus.SENT, DeliveryStatus.UNCHANGED)
        ]
        if self.archive:
            where = f"digest: {self.archive}"
            if len(archived) > 1:
                where += f" (+{len(archived) - 1} more: healed days, weeklies)"
        elif archived:
            folder = Path(archived[0].recipient).parents[2]
            where = f"{len(archived)} digest(s) written to {folder}"
        else:
            where = "no digest written"
        sent = [d for d in self.deliveries if d.status == DeliveryStatus.SENT]
        mailed = [d for d in sent if d.channel == "email"]
        boxed = [d for d in sent if d.channel == "outbox"]
        mail = f"; {len(mailed)} email(s) sent" if mailed else ""
        if boxed:
            where_to = Path(boxed[0].detail).parent
            mail += f"; {len(boxed)} email(s) written to {where_to} (no SMTP configured)"
        head = self.list_date.isoformat() if self.list_date else "backfill"
        return f"{head}: {fetched} papers fetched, {new} new, {updated} updated; {where}{mail}"

    def raise_for_failures(self) -> RunSummary:
        if self.failures:
            raise SourcesFailed(self)
        return self


def _not_started(error: str | None) -> bool:
    return (error or "").startswith(NOT_STARTED)


def run_jobs_in_threads(ctx: Context, jobs: Sequence[Job]) -> list[SourceOutcome]:
    """``collect`` every job on ``WORKERS`` threads, at most ``2 * WORKERS`` in flight so
    memory stays flat. No retries here: the HTTP client already retried each request.
    Once the run's time is up (deadline or signal) the jobs left are not started."""

    def one(job: Job) -> SourceOutcome:
        if (why := ctx.budget.why_over()) is not None:
            return replace(failed_outcome(job, Stopped(why)), error=NOT_STARTED + why)
        try:
            return collect(ctx, job)
        except Exception as exc:  # the run ledger already holds the failure
            return failed_outcome(job, exc)

    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="collect") as pool:
        return drain(jobs, lambda job: pool.submit(one, job), Future.result, log)


def drain(
    jobs: Sequence[Job],
    submit: Callable[[Job], F],
    result: Callable[[F], SourceOutcome],
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger],
) -> list[SourceOutcome]:
    """Submit jobs in order, keeping ``2 * WORKERS`` in flight; log each outcome in one line
    and tell the progress hook. Shared by the plain runner and the Prefect one."""
    outcomes: list[SourceOutcome] = []
    hook = progress_hook.get()
    pending: list[F] = []

    def finish_oldest() -> None:
        outcome = result(pending.pop(0))
        log_outcome(logger, outcome)
        outcomes.append(outcome)
        if hook:
            hook(len(outcomes), len(jobs), outcome)

    for job in jobs:
        pending.append(submit(job))
        if len(pending) >= 2 * WORKERS:
            finish_oldest()
    while pending:
        finish_oldest()
    return outcomes


def log_outcome(
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger], outcome: SourceOutcome
) -> None:
    if outcome.status == RunStatus.FAILED:
        logger.error("%s %s failed: %s", outcome.source, outcome.period, outcome.error)
    else:
        logger.info(
            "%s %s: %s, %d papers (%d new, %d updated)",
            outcome.source,
            outcome.period,
            outcome.status,
            outcome.fetched,
            outcome.new,
            outcome.updated,
        )


def deliver_plain(ctx: Context, period: Period, email: bool) -> list[DeliveryOutcome]:
    return deliver(ctx, period, email=email)


@dataclass(frozen=True, slots=True, kw_only=True)
class Steps:
    """How jobs run and digests are delivered: plain threads here, Prefect tasks in flows."""

    run_jobs: RunJobs = run_jobs_in_threads
    deliver: Deliver = deliver_plain


PLAIN = Steps()


def daily_run(ctx: Context, day: date, email: bool, steps: Steps = PLAIN) -> RunSummary:
    """Fetch every enabled source for one list date (healing missed dates, refreshing recent
    ones), store it, and deliver the day's digest (and the week's, on Sundays).

    Returns the summary even when sources failed: the caller decides when to raise
    (``RunSummary.raise_for_failures``), after publishing what worked."""
    refuse_future(ctx, day)
    jobs = daily_jobs(ctx, day)
    outcomes = steps.run_jobs(ctx, jobs)
    alerts = tuple(f.notice() for f in failing(ctx.repository, ctx.config, ctx.now()))
    if (why := ctx.budget.why_over()) is not None:
        return RunSummary(
            list_date=day,
            outcomes=tuple(outcomes),
            alerts=alerts,
            undone=f"digest not delivered ({why}): `paperpulse deliver --date {day}` delivers it",
        )
    other = await_other_fetch(ctx, day, outcomes)
    dailies = digest_periods(day, jobs, outcomes)
    main = period_for(Edition.DAILY, day)
    deliveries: list[DeliveryOutcome] = []
    if main not in dailies and reads(ctx).day_listing(day).status != "missing":
        # Another process fetched this run's own date meanwhile: the ledger owes it all the
        # same. Another daily run writes the archive itself; after a backfill (which may not
        # deliver) this run writes it.
        if other == "scheduled":
            deliveries += deliver(ctx, main, email=email and not dailies, archive=False)
        else:
            dailies = sorted([*dailies, main], key=lambda p: p.days[0])
    periods = dailies + owed_weeks(ctx, day, weekly_readers(ctx))
    for period in periods:
        # Healed days go to the archive; each reader gets one email covering what they missed.
        mail = email and (period.edition == Edition.WEEKLY or period == dailies[-1])
        deliveries += steps.deliver(ctx, period, mail)
    archive = str(ctx.settings.archive_dir / archive_relpath(main)) if main in periods else None
    return RunSummary(
        list_date=day,
        outcomes=tuple(outcomes),
        deliveries=tuple(deliveries),
        archive=archive,
        alerts=alerts,
    )


def backfill_run(
    ctx: Context,
    start: date,
    end: date,
    sources: Sequence[str] | None = None,
    *,
    force: bool = False,
    deliver: bool = False,
    steps: Steps = PLAIN,
) -> RunSummary:
    """Fetch every list date in ``[start, end]``; complete dates are skipped unless ``force``.

    Dates are list dates, never run dates. Resumable: an interrupted backfill run again
    fetches only what is missing. With ``deliver`` each day's digest is delivered too.
    """
    if end < start:
        raise PaperpulseError(f"backfill: --end {end} is before --start {start}")
    refuse_future(ctx, end)
    kinds = [Source(s) for s in sources or [Source.HF_DAILY]]
    done = {
        (s, p)
        for s in kinds
        for p in ctx.repository.complete_periods(s, start.isoformat(), end.isoformat())
    }
    jobs = backfill_plan(start, end, sources=kinds, done=done, force=force)
    outcomes = steps.run_jobs(ctx, jobs)
    # Whatever happened to each job (a failure, another process still at it), the exit status
    # says whether every listing asked for is stored now.
    stored = {
        (s, p)
        for s in kinds
        for p in ctx.repository.complete_periods(s, start.isoformat(), end.isoformat())
    }
    wanted = backfill_plan(start, end, sources=kinds, done=(), force=True)
    incomplete = tuple(
        f"{j.source} {j.ledger_period}" for j in wanted if (j.source, j.ledger_period) not in stored
    )
    deliveries: list[DeliveryOutcome] = []
    if deliver:
        for day in date_range(start, end):
            # Every day to the archive; readers get one catch-up email, not one per day.
            period = period_for(Edition.DAILY, day)
            deliveries += steps.deliver(ctx, period, day == end)
        for week in owed_weeks(ctx, end, weekly_readers(ctx)):
            deliveries += steps.deliver(ctx, week, True)
    return RunSummary(
        list_date=None,
        outcomes=tuple(outcomes),
        deliveries=tuple(deliveries),
        incomplete=incomplete,
    )


OTHERS_WAIT = 300.0  # seconds a run waits for another process fetching its own list date


def await_other_fetch(
    ctx: Context, day: date, outcomes: Sequence[SourceOutcome], poll: float = 0.2
) -> str | None:
    """When another process holds this run's own list date, wait for its answer (bounded by
    ``OTHERS_WAIT`` and the run's time) so the date is delivered by this run; what that
    process's run was for ("scheduled", "backfill", ...), or None if it was not another's."""
    own = (Source.HF_DAILY, day.isoformat(), RunStatus.SKIPPED)
    if not any((o.source, o.period, o.status) == own for o in outcomes):
        return None
    deadline = time.monotonic() + min(OTHERS_WAIT, ctx.budget.remaining())
    while True:
        runs = ctx.repository.runs_of(Source.HF_DAILY, [day.isoformat()])
        running = [r for r in runs if r.status == RunStatus.RUNNING]
        if not running or time.monotonic() >= deadline:
            break
        time.sleep(poll)  # another process's I/O: real time, not the product's clock
    return (running or runs)[-1].purpose if runs else None


def refuse_future(ctx: Context, day: date) -> None:
    """A list date after today (UTC, on the run's clock) has no listing yet: fetching it would
    store an empty answer that hides the real one."""
    today = ctx.now().astimezone(UTC).date()
    if day > today:
        raise PaperpulseError(
            f"{day} is in the future (today is {today}, UTC): no papers are listed for it yet"
        )


def archived_markdown(summary: RunSummary) -> str | None:
    """The main digest as published, for the flow's artifact."""
    published = Path(summary.archive) if summary.archive else None
    return published.read_text(encoding="utf-8") if published and published.exists() else None
