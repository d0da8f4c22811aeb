"""paperpulse's runs as plain function calls, pointed at a local replay of Hugging Face.

``plain_daily`` and ``plain_backfill`` call the product's one plain pipeline
(``paperpulse.app.pipeline``): what ``paperpulse run`` / ``backfill`` run by default, and what
the Prefect flows wrap, fetching through a replay context. A benchmark can then time
paperpulse's own work and, beside it, what orchestrating it costs. Nothing here imports Prefect.

Pacing: paperpulse's HF policy waits at least 0.5 s between requests (``HostPolicy.min_interval``)
even when the RateLimit headers would allow more: politeness toward huggingface.co. Against a
local replay that floor only measures ``sleep``; ``replay_client(..., floor=False)`` keeps every
other rule (4 connections, RateLimit pacing, Retry-After, retries) and drops the floor.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from paperpulse.app.collect import SourceOutcome
from paperpulse.app.context import Context, http_client
from paperpulse.app.jobs import Job
from paperpulse.app.pipeline import (
    WORKERS,
    RunSummary,
    Steps,
    backfill_run,
    daily_run,
    run_jobs_in_threads,
)
from paperpulse.config.file import Config
from paperpulse.config.settings import Settings
from paperpulse.scrapers.http import HttpClient
from tests.contexts import repository

__all__ = ["WORKERS", "plain_backfill", "plain_daily", "replay_client", "replay_context"]

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


def on(ctx: Context) -> Steps:
    """The pipeline's plain steps, fetching through ``ctx`` (the benchmark's replay client)."""
    return Steps(run_jobs=lambda _, jobs: run_jobs_in_threads(ctx, jobs))


def plain_backfill(ctx: Context, start: date, end: date) -> list[SourceOutcome]:
    """``paperpulse backfill`` for hf-daily (no delivery): the product's plain pipeline."""
    return list(backfill_run(ctx, start, end, steps=on(ctx)).outcomes)


def plain_daily(
    ctx: Context,
    day: date,
    email: bool,
    *,
    timings: dict[str, float] | None = None,
) -> RunSummary:
    """``paperpulse run`` for ``day``: the product's plain pipeline (plan, collect, deliver).

    ``timings`` receives the seconds spent fetching and storing ("collect") and building and
    delivering the digests ("digest").
    """
    spent: dict[str, float] = {}

    def timed_jobs(_: Context, jobs: Sequence[Job]) -> list[SourceOutcome]:
        began = time.perf_counter()
        try:
            return run_jobs_in_threads(ctx, jobs)
        finally:
            spent["collect"] = time.perf_counter() - began

    began = time.perf_counter()
    summary = daily_run(ctx, day, email, steps=Steps(run_jobs=timed_jobs))
    if timings is not None:
        timings["collect"] = spent["collect"]
        timings["digest"] = time.perf_counter() - began - spent["collect"]
    return summary
