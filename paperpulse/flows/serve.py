"""Scheduling on one machine: serve the deployments in this process (no work pool needed)."""

from __future__ import annotations

from typing import cast

from prefect import serve as prefect_serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from paperpulse.flows.backfill import backfill
from paperpulse.flows.daily import daily


def deployments(cron: str, timezone: str) -> list[RunnerDeployment]:
    """``daily`` on the configured cron (one run at a time; a late one waits its turn) and
    ``backfill`` on demand, with its parameters checked against the flow's signature."""
    made = [
        daily.to_deployment(
            name="daily",
            schedules=[Cron(cron, timezone=timezone)],
            concurrency_limit=ConcurrencyLimitConfig(
                limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
            ),
            description="Fetch, store and deliver the day's digest.",
        ),
        backfill.to_deployment(
            name="backfill",
            enforce_parameter_schema=True,
            description="Fetch a range of list dates; resumable.",
        ),
    ]
    # to_deployment is "async-compatible": called from sync code it returns the value.
    return [cast(RunnerDeployment, d) for d in made]


def serve(cron: str, timezone: str) -> None:
    prefect_serve(*deployments(cron, timezone))  # blocks until interrupted
