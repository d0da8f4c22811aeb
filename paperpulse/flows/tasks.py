"""The Prefect tasks both flows use: the plain pipeline's steps, run as Prefect tasks.

One task per source page or per day, never per paper. Tasks do not retry: the HTTP client
already retried each request (one retry policy per request, so its "gave up after N attempts"
is the true count); one failing source never stops the others, and the flow ends Failed with
a per-source summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from paperpulse.app.collect import SourceOutcome, collect, failed_outcome
from paperpulse.app.context import Context
from paperpulse.app.deliver import DeliveryOutcome, deliver
from paperpulse.app.jobs import Job
from paperpulse.app.pipeline import (
    WORKERS,
    RunSummary,
    SourcesFailed,
    Steps,
    drain,
    progress_hook,
)
from paperpulse.digest.calendar import Period

__all__ = ["PREFECT", "WORKERS", "RunSummary", "SourcesFailed", "progress_hook", "publish"]


def thread_pool() -> TaskRunner[PrefectFuture[Any]]:
    """Tasks run in threads: the work is waiting on hosts, and pacing lives in one client."""
    return cast("TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=WORKERS))


@task(
    retries=0,  # the HTTP client's retries are the one policy (a retried task multiplied them)
    cache_policy=NO_CACHE,
    task_run_name="{job.source}-{job.period}",
)
def collect_task(ctx: Context, job: Job) -> SourceOutcome:
    return collect(ctx, job)


@task(cache_policy=NO_CACHE, task_run_name="deliver-{period.edition}-{period.key}")
def deliver_task(ctx: Context, period: Period, email: bool) -> list[DeliveryOutcome]:
    return deliver(ctx, period, email=email)


def run_jobs(ctx: Context, jobs: Sequence[Job]) -> list[SourceOutcome]:
    """Run jobs as tasks, at most ``2 * WORKERS`` in flight so memory stays flat."""
    Pending = tuple[Job, PrefectFuture[SourceOutcome]]

    def submit(job: Job) -> Pending:
        return job, collect_task.submit(ctx, job)

    def result(pending: Pending) -> SourceOutcome:
        job, future = pending
        future.wait()
        try:
            return future.result()
        except BaseException as exc:  # the run ledger already holds the failure
            return failed_outcome(job, exc)

    # Prefect's logger: the lines reach the flow run's log in the UI.
    return drain(jobs, submit, result, get_run_logger())


def deliver_step(ctx: Context, period: Period, email: bool) -> list[DeliveryOutcome]:
    return deliver_task(ctx, period, email)


PREFECT = Steps(run_jobs=run_jobs, deliver=deliver_step)


def publish(summary: RunSummary, markdown: str | None, key: str) -> None:
    """The digest and a run summary table as Prefect artifacts (keys: lowercase, dashes)."""
    if markdown:
        create_markdown_artifact(
            markdown=markdown, key=f"digest-{key}", description="The digest as archived"
        )
    create_table_artifact(
        key=f"run-summary-{key}",
        table=[
            {
                "source": o.source,
                "period": o.period,
                "status": o.status,
                "fetched": o.fetched,
                "new": o.new,
                "updated": o.updated,
                "error": o.error or "",
            }
            for o in summary.outcomes
        ],
        description="What each source did in this run",
    )
