"""The ``backfill`` flow: ``pipeline.backfill_run`` as a Prefect flow run (deployments,
``--prefect``); its steps run as Prefect tasks and it publishes a summary artifact."""

from __future__ import annotations

from datetime import date

from prefect import flow

from paperpulse.app.context import Context
from paperpulse.app.pipeline import RunSummary, backfill_run
from paperpulse.config.settings import from_environment
from paperpulse.flows.secrets import prefect_secret
from paperpulse.flows.shared_pacing import shared_host_budgets
from paperpulse.flows.tasks import PREFECT, publish, thread_pool


@flow(name="backfill", task_runner=thread_pool(), log_prints=True)
def backfill(
    start: date,
    end: date,
    sources: list[str] | None = None,
    force: bool = False,
    deliver: bool = False,
) -> RunSummary:
    """Fetch every list date in ``[start, end]``; complete dates are skipped unless ``force``.

    Dates are list dates, never run dates. Resumable: an interrupted backfill run again
    fetches only what is missing. With ``deliver`` each day's digest is delivered too.
    """
    settings, config = from_environment()
    # Several workers: one budget per host, taken by the run's one HTTP client.
    with (
        shared_host_budgets(settings, config),
        Context.open(settings, config, secret=prefect_secret) as ctx,
    ):
        summary = backfill_run(
            ctx, start, end, sources, force=force, deliver=deliver, steps=PREFECT
        )
    publish(summary, None, f"backfill-{start.isoformat()}-{end.isoformat()}")
    return summary.raise_for_failures()
