"""The ``daily`` flow: every enabled source for one list date -> store -> digest -> deliver."""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from prefect import flow

from paperpulse.core.kinds import Edition
from paperpulse.flows.collect import daily_jobs
from paperpulse.flows.compose import digest_periods, period_for
from paperpulse.flows.context import Context
from paperpulse.flows.deliver import DeliveryOutcome, archive_relpath
from paperpulse.flows.settings import Settings, from_environment
from paperpulse.flows.tasks import (
    RunSummary,
    SourcesFailed,
    deliver_task,
    publish,
    run_jobs,
    thread_pool,
)


def logical_date(list_date: date | None) -> date:
    """An explicit date wins; a scheduled run digests the day before its scheduled start (UTC),
    whose HF list is complete by then. Retried and late runs agree on the same date."""
    if list_date is not None:
        return list_date
    from prefect.runtime import flow_run

    start = flow_run.scheduled_start_time
    moment = start if isinstance(start, datetime) else Settings.from_env().clock.now()
    return (moment.astimezone(UTC) - timedelta(days=1)).date()


@flow(name="daily", task_runner=thread_pool(), log_prints=True)
def daily(list_date: date | None = None, email: bool = True) -> RunSummary:
    """Fetch every enabled source for one list date (healing missed dates, refreshing recent
    ones), store it, and deliver the day's digest (and the week's, on Sundays)."""
    settings, config = from_environment()
    day = logical_date(list_date)
    with closing(Context.open(settings, config)) as ctx:
        jobs = daily_jobs(ctx, day)
        outcomes = run_jobs(ctx, jobs)
    periods = digest_periods(day, jobs, outcomes)
    deliveries: list[DeliveryOutcome] = []
    last_daily = max(
        (p for p in periods if p.edition == "daily"), key=lambda p: p.days, default=None
    )
    for period in periods:
        # Healed days go to the archive; each reader gets one email covering what they missed.
        mail = email and (period is last_daily or period.edition == "weekly")
        deliveries += deliver_task(settings, config, period, mail)
    main = period_for(Edition.DAILY, day)
    archive = str(settings.archive_dir / archive_relpath(main)) if main in periods else None
    summary = RunSummary(
        list_date=day, outcomes=tuple(outcomes), deliveries=tuple(deliveries), archive=archive
    )
    published = Path(archive) if archive else None
    markdown = published.read_text(encoding="utf-8") if published and published.exists() else None
    publish(summary, markdown, main.key)
    if summary.failures:
        raise SourcesFailed(summary)
    return summary
