"""The Prefect tasks both flows use, and what a run reports.

One task per source page or per day, never per paper. Fetch tasks retry transient failures
(429, 5xx, timeouts) with exponential backoff and jitter; one failing source never stops the
others, and the flow ends Failed with a per-source summary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from paperpulse.core.errors import PaperpulseError, TransientFetchError
from paperpulse.flows.collect import SourceOutcome, collect, failed_outcome
from paperpulse.flows.compose import Period
from paperpulse.flows.config import Config
from paperpulse.flows.deliver import DeliveryOutcome, deliver
from paperpulse.flows.jobs import Job
from paperpulse.flows.settings import Settings

WORKERS = 4  # concurrent tasks; the shared HTTP client keeps each host at its own pace

# The CLI's progress bar listens here: (jobs done, jobs total, the outcome just finished).
Progress = Callable[[int, int, SourceOutcome], None]
progress_hook: ContextVar[Progress | None] = ContextVar("paperpulse_progress", default=None)


class SourcesFailed(PaperpulseError):
    """At least one source failed; everything that worked was still stored and delivered."""

    def __init__(self, summary: RunSummary) -> None:
        super().__init__("; ".join(summary.failures))
        self.summary = summary


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    list_date: date | None
    outcomes: tuple[SourceOutcome, ...]
    deliveries: tuple[DeliveryOutcome, ...] = ()
    archive: str | None = None  # where the main digest went
    alerts: tuple[str, ...] = ()  # sources failing run after run (digest.dead_sources)

    @property
    def failures(self) -> list[str]:
        return (
            [
                f"{o.source} {o.period} failed: {o.error}"
                for o in self.outcomes
                if o.status == "failed"
            ]
            + [
                f"{d.channel} to {d.recipient} {d.status}: {d.detail}"
                for d in self.deliveries
                if d.status in ("failed", "unconfirmed")
            ]
            + list(self.alerts)
        )

    def line(self) -> str:
        """The one line `paperpulse run` prints."""
        fetched = sum(o.fetched for o in self.outcomes)
        new = sum(o.new for o in self.outcomes)
        updated = sum(o.updated for o in self.outcomes)
        where = f"digest: {self.archive}" if self.archive else "no digest written"
        mailed = [d for d in self.deliveries if d.channel == "email" and d.status == "sent"]
        boxed = [d for d in self.deliveries if d.channel == "outbox" and d.status == "sent"]
        mail = f"; {len(mailed)} email(s) sent" if mailed else ""
        if boxed:
            where_to = Path(boxed[0].detail).parent
            mail += f"; {len(boxed)} email(s) written to {where_to} (no SMTP configured)"
        head = self.list_date.isoformat() if self.list_date else "backfill"
        return f"{head}: {fetched} papers fetched, {new} new, {updated} updated; {where}{mail}"


def thread_pool() -> TaskRunner[PrefectFuture[Any]]:
    """Tasks run in threads: the work is waiting on hosts, and pacing lives in one client."""
    return cast("TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=WORKERS))


def _transient_only(task: object, task_run: object, state: object) -> bool:
    """Retry only what may pass: 429, 5xx, timeouts, resets."""
    try:
        state.result()  # type: ignore[attr-defined]
    except TransientFetchError:
        return True
    except BaseException:
        return False
    return False


@task(
    # The HTTP client already retried each request; these retries wait longer, for outages.
    retries=2,
    retry_delay_seconds=exponential_backoff(backoff_factor=2),
    retry_jitter_factor=0.5,
    retry_condition_fn=_transient_only,
    cache_policy=NO_CACHE,
    task_run_name="{job.source}-{job.period}",
)
def collect_task(settings: Settings, config: Config, job: Job) -> SourceOutcome:
    return collect(settings, config, job)


@task(cache_policy=NO_CACHE, task_run_name="deliver-{period.edition}-{period.key}")
def deliver_task(
    settings: Settings, config: Config, period: Period, email: bool
) -> list[DeliveryOutcome]:
    return deliver(settings, config, period, email=email)


def run_jobs(settings: Settings, config: Config, jobs: Sequence[Job]) -> list[SourceOutcome]:
    """Run jobs as tasks, at most ``2 * WORKERS`` in flight so memory stays flat."""
    outcomes: list[SourceOutcome] = []
    hook = progress_hook.get()
    pending: list[tuple[Job, PrefectFuture[SourceOutcome]]] = []

    def finish_oldest() -> None:
        job, future = pending.pop(0)
        outcome = _outcome(job, future)
        _log(outcome)
        outcomes.append(outcome)
        if hook:
            hook(len(outcomes), len(jobs), outcome)

    for job in jobs:
        pending.append((job, collect_task.submit(settings, config, job)))
        if len(pending) >= 2 * WORKERS:
            finish_oldest()
    while pending:
        finish_oldest()
    return outcomes


def _log(outcome: SourceOutcome) -> None:
    """One line per job in the flow run's log (Prefect's logger: it reaches the UI)."""
    logger = get_run_logger()
    if outcome.status == "failed":
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


def _outcome(job: Job, future: PrefectFuture[SourceOutcome]) -> SourceOutcome:
    future.wait()
    try:
        return future.result()
    except BaseException as exc:  # the run ledger already holds the failure
        return failed_outcome(job, exc)


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
