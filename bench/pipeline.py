"""paperpulse's runs as plain function calls, pointed at a local replay of Hugging Face.

``plain_daily`` and ``plain_backfill`` call the product's one plain pipeline
(``paperpulse.flows.pipeline``): what ``paperpulse run`` / ``backfill`` run by default, and what
the Prefect flows wrap. A benchmark can then time paperpulse's own work and, beside it, what
orchestrating it costs. Nothing here imports Prefect.

Pacing: paperpulse's HF policy waits at least ``HF_MIN_INTERVAL`` between requests
(``HostPolicy.min_interval``) even when the RateLimit headers would allow more: politeness
toward huggingface.co. Against a local replay that floor only measures ``sleep``;
``replay_client(floor=False)`` keeps every other rule (4 connections, RateLimit pacing,
Retry-After, retries) and drops the floor.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import httpx

from paperpulse.flows import collect as collect_module
from paperpulse.flows.collect import SourceOutcome
from paperpulse.flows.config import Config
from paperpulse.flows.jobs import Job
from paperpulse.flows.pipeline import (
    WORKERS,
    RunSummary,
    Steps,
    backfill_run,
    daily_run,
    run_jobs_in_threads,
)
from paperpulse.flows.settings import Settings
from paperpulse.scrapers.http import HttpClient, default_settings, host_key

__all__ = ["WORKERS", "plain_backfill", "plain_daily", "replay_client", "use_client"]

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


def replay_client(settings: Settings, *, floor: bool) -> HttpClient:
    """The client ``flows.collect`` builds, without the HF interval floor unless ``floor``."""
    http = default_settings(
        hf_url=settings.hf_url,
        arxiv_url=settings.arxiv_url,
        arxiv_api_url=settings.arxiv_api_url,
        semantic_scholar_url=settings.semantic_scholar_url,
        contact=settings.contact,
    )
    if not floor:
        hf = host_key(httpx.URL(settings.hf_url))
        policies = dict(http.policies)
        policies[hf] = dataclasses.replace(policies[hf], min_interval=0.0)
        http = dataclasses.replace(http, policies=policies)
    return HttpClient(http)


def use_client(client: HttpClient) -> None:
    """Make every ``collect`` in this process fetch through ``client``."""
    collect_module.http_client = lambda settings: client  # type: ignore[assignment]


def plain_backfill(
    settings: Settings, config: Config, start: date, end: date
) -> list[SourceOutcome]:
    """``paperpulse backfill`` for hf-daily (no delivery)."""
    return list(backfill_run(settings, config, start, end).outcomes)


def plain_daily(
    settings: Settings,
    config: Config,
    day: date,
    email: bool,
    *,
    timings: dict[str, float] | None = None,
) -> RunSummary:
    """``paperpulse run`` for ``day``: plan, collect, deliver.

    ``timings`` receives the seconds spent fetching and storing ("collect") and building and
    delivering the digests ("digest").
    """
    spent: dict[str, float] = {}

    def timed_jobs(settings: Settings, config: Config, jobs: Sequence[Job]) -> list[SourceOutcome]:
        began = time.perf_counter()
        try:
            return run_jobs_in_threads(settings, config, jobs)
        finally:
            spent["collect"] = time.perf_counter() - began

    began = time.perf_counter()
    summary = daily_run(settings, config, day, email, steps=Steps(run_jobs=timed_jobs))
    if timings is not None:
        timings["collect"] = spent["collect"]
        timings["digest"] = time.perf_counter() - began - spent["collect"]
    return summary
