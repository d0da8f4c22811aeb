"""The ``backfill`` flow: any range of list dates, resumable, at each host's pace."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import date, timedelta

from prefect import flow

from paperpulse.core.errors import PaperpulseError
from paperpulse.core.kinds import Edition, Source
from paperpulse.flows.compose import period_for
from paperpulse.flows.context import Context
from paperpulse.flows.deliver import DeliveryOutcome
from paperpulse.flows.jobs import backfill_plan
from paperpulse.flows.settings import from_environment
from paperpulse.flows.tasks import (
    RunSummary,
    SourcesFailed,
    deliver_task,
    publish,
    run_jobs,
    thread_pool,
)


@flow(name="backfill", task_runner=thread_pool(), log_prints=True)
def backfill(
    start: date,
    end: date,
    sources: list[Source] | None = None,
    force: bool = False,
    deliver: bool = False,
) -> RunSummary:
    """Fetch every list date in ``[start, end]``; complete dates are skipped unless ``force``.

    Dates are list dates, never run dates. Resumable: an interrupted backfill run again
    fetches only what is missing. With ``deliver`` each day's digest is delivered too.
    """
    settings, config = from_environment()
    sources = sources or [Source.HF_DAILY]
    if end < start:
        raise PaperpulseError(f"backfill: --end {end} is before --start {start}")
    with closing(Context.open(settings, config)) as ctx:
        done = {
            (s, p)
            for s in sources
            for p in ctx.repository.complete_periods(s, start.isoformat(), end.isoformat())
        }
        jobs = backfill_plan(start, end, sources=sources, done=done, force=force)
        outcomes = run_jobs(ctx, jobs)
    deliveries: list[DeliveryOutcome] = []
    if deliver:
        days = list(_days(start, end))
        for day in days:
            # Every day to the archive; readers get one catch-up email, not one per day.
            deliveries += deliver_task(
                settings, config, period_for(Edition.DAILY, day), day == days[-1]
            )
    summary = RunSummary(list_date=None, outcomes=tuple(outcomes), deliveries=tuple(deliveries))
    publish(summary, None, f"backfill-{start.isoformat()}-{end.isoformat()}")
    if summary.failures:
        raise SourcesFailed(summary)
    return summary


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)
