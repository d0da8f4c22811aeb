"""Benchmark 4, scale: a daily run plus digest against 1M papers / 10M sightings vs 10k papers.

    python -m bench.scale [--rounds N] [--quick] [--json PATH] [--data DIR]
                          [--day YYYY-MM-DD] [--cache DIR] [--rebuild]

Two SQLite databases with the same recent weeks and different amounts of older history
(``bench.scale_db``): "small" holds 20 weekdays of 500 papers (10k papers, 100k sightings),
"big" 2,000 weekdays (1M papers, 10M sightings, 5M bylines, 1M sent-ledger rows). Both end
with the 14 real list dates before ``--day`` saved by paperpulse itself, three times each. They
are built once and cached (``--cache``, default ``$TMPDIR/paperpulse-bench``; ``--rebuild``
forces it); the build time is printed.

Each round restores a pristine copy of each database (untimed), then times the same
operation on both, side by side: ``bench.pipeline.plain_daily`` for ``--day`` (plan with gap
healing and refreshes, ``collect`` of 7 list dates from the replay server on 4 threads,
deliver the archive digest: git commit, index, feeds; render) -- the daily flow without
Prefect. Goal: big / small <= 1.5, i.e. a daily run's cost does not grow with the history.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.harness import (
    BenchmarkError,
    Case,
    Competitor,
    Result,
    arguments,
    format_bytes,
    machine,
    main_guard,
    measure,
    report,
    shared_data,
)
from bench.pipeline import plain_daily, replay_client, use_client, write_workspace
from bench.processes import CACHE
from bench.scale_db import RECENT_DAYS, Built, History, build_sqlite, environment
from flows.collect import repository
from flows.config import load_config
from flows.settings import Settings
from storage import upgrade
from tests.replay import ReplayServer

BUILD_VERSION = 1  # bump when bench/scale_db.py changes what it writes
DAY = date(2024, 8, 1)
SMALL, BIG = 20, 2000  # weekdays of history
QUICK_SMALL, QUICK_BIG, QUICK_PER_DAY, QUICK_RECENT_DAYS = 2, 20, 50, 3
LIBRARIES = ("sqlalchemy",)


def _extra(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--day", type=date.fromisoformat, default=DAY, help="the list date run")
    parser.add_argument(
        "--cache",
        type=Path,
        default=CACHE,
        help="where the built databases are kept between runs",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")


def cached_history(
    folder: Path, history: History, *, captures: Path, day: date, rebuild: bool
) -> tuple[Built, bool]:
    """The pristine database for ``history`` (built now or earlier) and whether it was reused."""
    name = (
        f"scale-v{BUILD_VERSION}-{day}-{history.weekdays}x{history.per_day}x{history.observations}"
    )
    path = folder / f"{name}.db"
    sidecar = folder / f"{name}.json"
    if path.exists() and sidecar.exists() and not rebuild:
        saved = json.loads(sidecar.read_text(encoding="utf-8"))
        built = Built(
            path=path,
            seconds=saved["seconds"],
            steps=tuple((k, v) for k, v in saved["steps"]),
            size_bytes=path.stat().st_size,
        )
        return built, True
    built = build_sqlite(path, history, captures=captures, day=day)
    payload = {**asdict(built), "path": str(built.path)}
    sidecar.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return built, False


def run(argv: Sequence[str] | None = None) -> str:
    options = arguments(
        __doc__.splitlines()[0] if __doc__ else "scale benchmark",
        argv,
        extra=_extra,
        default_rounds=5,
    )
    more = options.more
    captures = shared_data(options.data) / "hf_api_daily"
    day: date = more.day
    recent, observations = (QUICK_RECENT_DAYS, 2) if options.quick else (RECENT_DAYS, 3)
    end = day - timedelta(days=recent + 1)
    small_days, big_days = (QUICK_SMALL, QUICK_BIG) if options.quick else (SMALL, BIG)
    per_day = QUICK_PER_DAY if options.quick else 500
    histories = {
        label: History(
            weekdays=weekdays,
            per_day=per_day,
            history_end=end,
            recent_days=recent,
            recent_observations=observations,
        )
        for label, weekdays in (("small", small_days), ("big", big_days))
    }
    host = machine(LIBRARIES)
    with tempfile.TemporaryDirectory(prefix="pp-bench-scale-") as tmp:
        work = Path(tmp)
        cache = work / "cache" if options.quick else more.cache
        cache.mkdir(parents=True, exist_ok=True)
        built: dict[str, tuple[Built, bool]] = {}
        for label, history in histories.items():
            built[label] = cached_history(
                cache, history, captures=captures, day=day, rebuild=more.rebuild
            )
            upgrade(f"sqlite:///{built[label][0].path}")  # a newer migration: once, untimed
        phases: dict[str, list[dict[str, float]]] = {label: [] for label in histories}
        outcomes: dict[str, list[tuple[Any, ...]]] = {label: [] for label in histories}
        with ReplayServer(captures) as server:
            competitors = [
                _competitor(
                    label,
                    _name(label, histories[label]),
                    built[label][0].path,
                    work,
                    server.url,
                    day,
                    phases,
                    outcomes,
                )
                for label in histories
            ]
            case = Case(
                name=f"daily run + digest for {day}",
                unit="run",
                baseline=competitors[0].name,
                competitors=tuple(competitors),
            )
            timed = measure([case], rounds=options.rounds)
        if outcomes["small"][-1] != outcomes["big"][-1]:
            raise BenchmarkError(
                "the daily run did different work on the two databases: "
                f"{outcomes['small'][-1]} vs {outcomes['big'][-1]}"
            )
        results = [
            replace(r, extra=_columns(r, phases[label], built[label][0]))
            for r, label in zip(timed, histories, strict=True)
        ]
    ratio = [1 / s for s in results[1].speedups]
    notes = [
        f"big / small: **{statistics.median(ratio):.2f}** "
        f"(per round {min(ratio):.2f}–{max(ratio):.2f}).",
        *(_build_note(label, histories[label], *built[label]) for label in histories),
        "Each round restores both databases from their pristine copies (then os.sync(), so "
        "the copy's write-back does not land in a timed run) and warms the engine (connect, "
        "migration check) untimed; a fresh archive folder each run.",
    ]
    return report(
        "scale",
        results,
        options,
        host=host,
        goals=["big / small <= 1.5 (a daily run's cost independent of history size)"],
        notes=notes,
    )


def _name(label: str, history: History) -> str:
    return f"{label}: {history.papers:,} papers, {history.sightings:,} sightings"


def _competitor(
    label: str,
    name: str,
    pristine: Path,
    work: Path,
    hf_url: str,
    day: date,
    phases: dict[str, list[dict[str, float]]],
    outcomes: dict[str, list[tuple[Any, ...]]],
) -> Competitor:
    state: dict[str, Any] = {"n": 0}

    def setup() -> None:
        _forget(state.get("url"))
        state["n"] += 1
        folder = work / f"{label}-{state['n']}"
        database = folder / "paperpulse.db"
        folder.mkdir(parents=True)
        shutil.copyfile(pristine, database)
        # Write the copy out now: otherwise the kernel flushes gigabytes of dirty pages while
        # the next competitor is being timed, and its fsyncs wait behind them.
        os.sync()
        state["url"] = f"sqlite:///{database}"
        state["env"] = write_workspace(folder, state["url"], hf_url)
        _previous = state.get("previous")
        if _previous is not None:
            shutil.rmtree(_previous, ignore_errors=True)
        state["previous"] = folder
        with environment(state["env"]):
            repository(state["url"])  # engine and migration check, untimed

    def go() -> None:
        with environment(state["env"]):
            settings, config = Settings.from_env(), load_config()
            use_client(replay_client(settings, floor=False))
            began = time.perf_counter()
            timings: dict[str, float] = {}
            result = plain_daily(settings, config, day, email=True, timings=timings)
            timings["total"] = time.perf_counter() - began
        phases[label].append(timings)
        outcomes[label].append(
            tuple((o.source, o.period, o.status, o.fetched, o.new) for o in result.outcomes)
        )

    return Competitor(name=name, setup=setup, run=go)


def _forget(url: str | None) -> None:
    """Close the previous round's engine before its file goes away."""
    if url is not None:
        repository(url).engine.dispose()
    repository.cache_clear()


def _columns(
    result: Result, timings: list[dict[str, float]], built: Built
) -> tuple[tuple[str, str], ...]:
    def median(key: str) -> str:
        return f"{statistics.median(t[key] for t in timings):.2f} s"

    return (
        ("fetch + store (median)", median("collect")),
        ("digest + deliver (median)", median("digest")),
        ("db size", format_bytes(built.size_bytes)),
    )


def _build_note(label: str, history: History, built: Built, reused: bool) -> str:
    steps = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in built.steps)
    when = "reused from the cache; it was built in" if reused else "built in"
    return (
        f"{label} db ({history.weekdays:,} weekdays x {history.per_day} papers x "
        f"{history.observations} observations, then {history.recent_days} real days x "
        f"{history.recent_observations}): {when} {built.seconds:.0f} s ({steps})."
    )


def main(argv: Sequence[str] | None = None) -> int:
    return main_guard(run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
