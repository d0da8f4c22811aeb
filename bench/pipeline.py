"""paperpulse's runs as plain function calls, pointed at a local replay of Hugging Face.

The Prefect flows (``flows.daily``, ``flows.backfill``) are thin: a plan of jobs, one
``collect`` per job on a pool of ``WORKERS`` threads, then ``deliver``. These functions do the
same steps without Prefect, so a benchmark can time paperpulse's own work (``plain_daily``,
``plain_backfill``) and, beside it, what orchestrating it costs. Nothing here imports Prefect.

Pacing: paperpulse's HF policy waits at least 0.5 s between requests (``HostPolicy.min_interval``)
even when the RateLimit headers would allow more: politeness toward huggingface.co. Against a
local replay that floor only measures ``sleep``; ``replay_client(..., floor=False)`` keeps every
other rule (4 connections, RateLimit pacing, Retry-After, retries) and drops the floor.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from paperpulse.core.kinds import Source
from paperpulse.flows.collect import SourceOutcome, collect, daily_jobs, failed_outcome
from paperpulse.flows.compose import digest_periods
from paperpulse.flows.config import Config
from paperpulse.flows.context import Context, http_client, repository
from paperpulse.flows.deliver import DeliveryOutcome, deliver
from paperpulse.flows.jobs import Job, backfill_plan
from paperpulse.flows.settings import Settings
from paperpulse.scrapers.http import HttpClient

WORKERS = 4  # flows.tasks.WORKERS (not imported: that module imports Prefect)

# Topics without HF search queries: the replay server serves the daily lists only.
BENCH_CONFIG = """\
[[topics]]
name = "Reasoning"
include = ["reasoning", "chain-of-thought", "mathematical"]

[[topics]]
name = "Video generation"
include = ["video generation", "text-to-video", "video diffusion"]

[[topics]]
name = "Agents"
include = ["agent", "tool use"]
exclude = ["survey"]
"""


def write_workspace(folder: Path, database_url: str, hf_url: str) -> dict[str, str]:
    """A config file and archive folder in ``folder``; returns the environment that selects
    them (what ``Settings.from_env`` and ``load_config`` read)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "paperpulse.toml"
    config.write_text(BENCH_CONFIG, encoding="utf-8")
    return {
        "PAPERPULSE_DATABASE_URL": database_url,
        "PAPERPULSE_HF_URL": hf_url,
        "PAPERPULSE_CONFIG": str(config),
        "PAPERPULSE_ARCHIVE_DIR": str(folder / "archive"),
        "PAPERPULSE_OUTBOX_DIR": str(folder / "outbox"),
    }


def replay_client(settings: Settings, config: Config, *, floor: bool) -> HttpClient:
    """The client a run's context builds, without the HF interval floor unless ``floor``.

    (A flow builds its own context: ``PAPERPULSE_HF_MIN_INTERVAL=0`` drops its floor.)
    """
    return http_client(
        settings if floor else dataclasses.replace(settings, hf_min_interval=0.0), config
    )


def replay_context(settings: Settings, config: Config, *, floor: bool) -> Context:
    """A run's context fetching through ``replay_client``."""
    return Context(
        settings=settings,
        config=config,
        repository=repository(settings.database_url),
        http=replay_client(settings, config, floor=floor),
    )


def collect_all(ctx: Context, jobs: Sequence[Job]) -> list[SourceOutcome]:
    """``collect`` every job on a thread pool, like ``flows.tasks.run_jobs`` (no retries)."""

    def one(job: Job) -> SourceOutcome:
        try:
            return collect(ctx, job)
        except Exception as exc:  # the run ledger already holds the failure
            return failed_outcome(job, exc)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(one, jobs))


def plain_backfill(ctx: Context, start: date, end: date) -> list[SourceOutcome]:
    """``flows.backfill.backfill`` for hf-daily without Prefect (no delivery)."""
    hf = Source.HF_DAILY
    done = {(hf, p) for p in ctx.repository.complete_periods(hf, str(start), str(end))}
    jobs = backfill_plan(start, end, sources=[hf], done=done)
    return collect_all(ctx, jobs)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DailyResult:
    outcomes: tuple[SourceOutcome, ...]
    deliveries: tuple[DeliveryOutcome, ...]


def plain_daily(
    ctx: Context,
    day: date,
    email: bool,
    *,
    timings: dict[str, float] | None = None,
) -> DailyResult:
    """``flows.daily.daily`` step by step without Prefect: plan, collect, deliver (the same
    helpers the flow calls; the flow then reads the published Markdown back for its artifact).

    ``timings`` receives the seconds spent fetching and storing ("collect") and building and
    delivering the digests ("digest").
    """
    began = time.perf_counter()
    jobs = daily_jobs(ctx, day)
    outcomes = collect_all(ctx, jobs)
    collected = time.perf_counter()
    deliveries: list[DeliveryOutcome] = []
    for period in digest_periods(day, jobs, outcomes):
        deliveries += deliver(ctx.settings, ctx.config, period, email=email)
    if timings is not None:
        timings["collect"] = collected - began
        timings["digest"] = time.perf_counter() - collected
    return DailyResult(outcomes=tuple(outcomes), deliveries=tuple(deliveries))
