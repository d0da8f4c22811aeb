"""The ``daily`` Prefect flow: fetch -> store -> digest -> archive, as thin tasks over steps."""

from __future__ import annotations

from datetime import UTC, date, datetime

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from digest.models import Digest, RenderedDigest
from flows import steps
from flows.settings import Settings
from flows.steps import DailySummary, SourceOutcome
from scrapers import hf_daily
from scrapers.errors import PaperpulseError, TransientFetchError
from scrapers.models import Listing


class SourcesFailed(PaperpulseError):
    """At least one source failed; the digest was still written from what succeeded."""

    def __init__(self, summary: DailySummary) -> None:
        super().__init__("; ".join(summary.failures))
        self.summary = summary


def _transient_only(task: object, task_run: object, state: object) -> bool:
    """Retry a fetch only when the failure may pass (429, 5xx, timeouts, resets)."""
    try:
        state.result()  # type: ignore[attr-defined]
    except TransientFetchError:
        return True
    except Exception:
        return False
    return False


@task(
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=2),
    retry_jitter_factor=0.5,
    retry_condition_fn=_transient_only,
    cache_policy=NO_CACHE,
    task_run_name="fetch-{source}-{list_date}",
)
def fetch_task(settings: Settings, source: str, list_date: date) -> Listing:
    return steps.fetch_listing(settings, list_date)


@task(cache_policy=NO_CACHE, task_run_name="begin-{source}-{list_date}")
def begin_task(settings: Settings, source: str, list_date: date) -> int:
    return steps.begin_run(settings, source, list_date)


@task(cache_policy=NO_CACHE)
def store_task(settings: Settings, run_id: int, listing: Listing) -> SourceOutcome:
    return steps.store_listing(settings, run_id, listing)


@task(cache_policy=NO_CACHE)
def digest_task(settings: Settings, list_date: date, outcomes: list[SourceOutcome]) -> Digest:
    return steps.build_daily_digest(settings, list_date, outcomes)


@task(cache_policy=NO_CACHE)
def archive_task(settings: Settings, digest: Digest, rendered: RenderedDigest) -> str:
    return str(steps.write_archive(settings, digest, rendered))


def collect_source(settings: Settings, source: str, list_date: date) -> SourceOutcome:
    """Fetch and store one source; a failure is recorded in the run ledger, not raised."""
    run_id = begin_task(settings, source, list_date)
    try:
        listing = fetch_task(settings, source, list_date)
        return store_task(settings, run_id, listing)
    except PaperpulseError as exc:
        get_run_logger().error("%s failed for %s: %s", source, list_date, exc)
        return steps.fail_run(settings, run_id, source, list_date.isoformat(), exc)


@flow(name="daily", log_prints=True)
def daily(list_date: date | None = None) -> DailySummary:
    """Fetch one list date from every source, store it, and write that day's digest.

    Ends Failed (raising ``SourcesFailed``) when any source failed, after writing the digest
    from the sources that worked, so one broken source never costs the others their day.
    """
    settings = Settings.from_env()
    day = list_date or datetime.now(UTC).date()
    outcomes = [collect_source(settings, hf_daily.SOURCE, day)]
    archive = None
    if any(o.status != "failed" for o in outcomes):
        digest = digest_task(settings, day, outcomes)
        archive = archive_task(settings, digest, steps.render_digest(digest))
    summary = DailySummary(list_date=day, outcomes=tuple(outcomes), archive=archive)
    if summary.failures:
        raise SourcesFailed(summary)
    return summary
