"""The ``daily`` flow: every enabled source for one list date -> store -> digest -> deliver."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from prefect import flow

from paperpulse.flows.collect import daily_jobs, repository
from paperpulse.flows.compose import digest_periods, failing, period_for
from paperpulse.flows.config import load_config
from paperpulse.flows.deliver import DeliveryOutcome, archive_relpath
from paperpulse.flows.settings import Settings
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
    moment = start if isinstance(start, datetime) else datetime.now(UTC)
    return (moment.astimezone(UTC) - timedelta(days=1)).date()


@flow(name="daily", task_runner=thread_pool(), log_prints=True)
def daily(list_date: date | None = None, email: bool = True) -> RunSummary:
    """Fetch every enabled source for one list date (healing missed dates, refreshing recent
    ones), store it, and deliver the day's digest (and the week's, on Sundays)."""
    settings, config = Settings.from_env(), load_config()
    day = logical_date(list_date)
    jobs = daily_jobs(settings, config, day)
    outcomes = run_jobs(settings, config, jobs)
    periods = digest_periods(day, jobs, outcomes)
    deliveries: list[DeliveryOutcome] = []
    for period in periods:
        deliveries += deliver_task(settings, config, period, email)
    main = period_for("daily", day)
    archive = str(settings.archive_dir / archive_relpath(main)) if main in periods else None
    alerts = tuple(
        f.notice() for f in failing(repository(settings.database_url), config, datetime.now(UTC))
    )
    summary = RunSummary(
        list_date=day,
        outcomes=tuple(outcomes),
        deliveries=tuple(deliveries),
        archive=archive,
        alerts=alerts,
    )
    published = Path(archive) if archive else None
    markdown = published.read_text(encoding="utf-8") if published and published.exists() else None
    publish(summary, markdown, main.key)
    if summary.failures:
        raise SourcesFailed(summary)
    return summary
