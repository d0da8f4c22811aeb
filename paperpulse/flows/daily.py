"""The ``daily`` flow: ``pipeline.daily_run`` as a Prefect flow run (serve, deployments,
``--prefect``); its steps run as Prefect tasks and it publishes artifacts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from prefect import flow

from paperpulse.app.context import Context
from paperpulse.app.pipeline import RunSummary, archived_markdown, daily_run
from paperpulse.config.settings import Settings, from_environment
from paperpulse.digest.calendar import period_for
from paperpulse.flows.secrets import prefect_secret
from paperpulse.flows.shared_pacing import shared_host_budgets
from paperpulse.flows.tasks import PREFECT, publish, thread_pool


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
    # Several workers: one budget per host, taken by the run's one HTTP client.
    with (
        shared_host_budgets(settings, config),
        Context.open(settings, config, secret=prefect_secret) as ctx,
    ):
        summary = daily_run(ctx, day, email, steps=PREFECT)
    publish(summary, archived_markdown(summary), period_for("daily", day).key)
    return summary.raise_for_failures()
