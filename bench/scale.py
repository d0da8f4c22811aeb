"""Benchmark 4, scale: a daily run plus digest against 1M papers / 10M sightings vs 10k papers.

    python -m bench.scale [--rounds N] [--quick] [--json PATH] [--data DIR]
                          [--day YYYY-MM-DD] [--cache DIR] [--rebuild]
                          [--postgres URL [--no-sqlite]]

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

With ``--postgres URL`` the same two histories are also built on that PostgreSQL server (in
databases of their own, dropped at the end; ANALYZEd, as autovacuum would have) and measured
the same way, each round on a ``CREATE DATABASE .. TEMPLATE`` copy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
from collections.abc import Sequence
from contextlib import closing
from dataclasses import asdict, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

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
from bench.pipeline import plain_daily, replay_context, write_workspace
from bench.processes import CACHE
from bench.scale_db import (
    RECENT_DAYS,
    Built,
    History,
    build_postgres,
    build_sqlite,
    environment,
)
from paperpulse.config.settings import from_environment
from paperpulse.storage import create_engine, upgrade
from tests.contexts import close_all, repository
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
        help="where the built SQLite databases are kept between runs",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also measure PostgreSQL on this server: the databases are built there for this "
        "run (a few minutes at full size) and dropped at the end",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="PostgreSQL: no ANALYZE after the build (a server without autovacuum)",
    )


class Store:
    """Where one backend keeps the pristine databases and the copies the rounds run on."""

    label = ""

    def prepare(self, name: str, history: History) -> tuple[Built, bool]:
        raise NotImplementedError

    def restore(self, name: str, round_no: int) -> str:
        """A fresh copy of the pristine database ``name``; returns its URL."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class SqliteStore(Store):
    label = "SQLite"

    def __init__(self, cache: Path, work: Path, captures: Path, day: date, rebuild: bool):
        self.cache, self.work, self.captures, self.day, self.rebuild = (
            cache,
            work,
            captures,
            day,
            rebuild,
        )
        self.pristine: dict[str, Path] = {}
        self.previous: dict[str, Path] = {}

    def prepare(self, name: str, history: History) -> tuple[Built, bool]:
        stem = (
            f"scale-v{BUILD_VERSION}-{self.day}-{history.weekdays}x{history.per_day}x"
            f"{history.observations}-recent{history.recent_days}x{history.recent_observations}"
        )
        path, sidecar = self.cache / f"{stem}.db", self.cache / f"{stem}.json"
        reused = path.exists() and sidecar.exists() and not self.rebuild
        if reused:
            saved = json.loads(sidecar.read_text(encoding="utf-8"))
            built = Built(
                where=str(path),
                seconds=saved["seconds"],
                steps=tuple((k, v) for k, v in saved["steps"]),
                size_bytes=path.stat().st_size,
            )
        else:
            built = build_sqlite(path, history, captures=self.captures, day=self.day)
            sidecar.write_text(json.dumps(asdict(built), indent=2) + "\n", encoding="utf-8")
        upgrade(f"sqlite:///{path}")  # a migration newer than the cached file: once, untimed
        self.pristine[name] = path
        return built, reused

    def restore(self, name: str, round_no: int) -> str:
        if name in self.previous:
            shutil.rmtree(self.previous[name], ignore_errors=True)
        folder = self.work / f"sqlite-{name}-{round_no}"
        folder.mkdir(parents=True)
        database = folder / "paperpulse.db"
        shutil.copyfile(self.pristine[name], database)
        # Write the copy out now: otherwise the kernel flushes gigabytes of dirty pages while
        # the next competitor is being timed, and its fsyncs wait behind them.
        os.sync()
        self.previous[name] = folder
        return f"sqlite:///{database}"


class PostgresStore(Store):
    label = "PostgreSQL"

    def __init__(self, server_url: str, captures: Path, day: date, analyze: bool):
        self.server = sa.make_url(server_url)
        self.captures, self.day, self.analyze = captures, day, analyze
        self.admin = create_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
        self.databases: list[str] = []

    def _url(self, database: str) -> str:
        return self.server.set(database=database).render_as_string(hide_password=False)

    def _create(self, database: str, template: str | None = None) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            clause = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
            conn.exec_driver_sql(f'CREATE DATABASE "{database}"{clause}')
        if database not in self.databases:
            self.databases.append(database)

    def prepare(self, name: str, history: History) -> tuple[Built, bool]:
        database = f"paperpulse_bench_scale_{name}_{os.getpid()}"
        self._create(database)
        built = build_postgres(
            self._url(database), history, captures=self.captures, day=self.day, analyze=self.analyze
        )
        return built, False

    def restore(self, name: str, round_no: int) -> str:
        database = f"paperpulse_bench_scale_{name}_{os.getpid()}_work"
        self._create(database, template=f"paperpulse_bench_scale_{name}_{os.getpid()}")
        with self.admin.connect() as conn:
            conn.exec_driver_sql("CHECKPOINT")  # the copy's writes, before the timed run
        return self._url(database)

    def close(self) -> None:
        with self.admin.connect() as conn:
            for database in self.databases:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self.admin.dispose()


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
    if more.no_sqlite and not more.postgres:
        raise BenchmarkError("--no-sqlite needs --postgres URL")
    host = machine(LIBRARIES)
    results: list[Result] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pp-bench-scale-") as tmp:
        work = Path(tmp)
        cache = work / "cache" if options.quick else more.cache
        cache.mkdir(parents=True, exist_ok=True)
        stores: list[Store] = []
        if more.no_analyze:
            notes.append("PostgreSQL: built without ANALYZE (no planner statistics).")
        if not more.no_sqlite:
            stores.append(SqliteStore(cache, work, captures, day, more.rebuild))
        if more.postgres:
            stores.append(PostgresStore(more.postgres, captures, day, not more.no_analyze))
        try:
            for store in stores:
                store_results, store_notes = _measure_store(
                    store, histories, work, captures, day, options.rounds
                )
                results += store_results
                notes += store_notes
        finally:
            for store in stores:
                store.close()
    notes.append(
        "Each round restores both databases from their pristine copies (SQLite: a file copy "
        "then os.sync(), so the copy's write-back does not land in a timed run; PostgreSQL: "
        "CREATE DATABASE .. TEMPLATE, then CHECKPOINT) and warms the engine (connect, migration "
        "check) untimed; a fresh archive folder each run."
    )
    return report(
        "scale",
        results,
        options,
        host=host,
        goals=["big / small <= 1.5 (a daily run's cost independent of history size)"],
        notes=notes,
    )


def _measure_store(
    store: Store,
    histories: dict[str, History],
    work: Path,
    captures: Path,
    day: date,
    rounds: int,
) -> tuple[list[Result], list[str]]:
    built = {label: store.prepare(label, history) for label, history in histories.items()}
    phases: dict[str, list[dict[str, float]]] = {label: [] for label in histories}
    outcomes: dict[str, list[tuple[Any, ...]]] = {label: [] for label in histories}
    with ReplayServer(captures) as server:
        competitors = [
            _competitor(
                store,
                label,
                _name(label, histories[label]),
                work,
                server.url,
                day,
                phases,
                outcomes,
            )
            for label in histories
        ]
        case = Case(
            name=f"{store.label}: daily run + digest for {day}",
            unit="run",
            baseline=competitors[0].name,
            competitors=tuple(competitors),
        )
        timed = measure([case], rounds=rounds)
    _forget(None)
    if outcomes["small"][-1] != outcomes["big"][-1]:
        raise BenchmarkError(
            f"{store.label}: the daily run did different work on the two databases: "
            f"{outcomes['small'][-1]} vs {outcomes['big'][-1]}"
        )
    results = [
        replace(r, extra=_columns(phases[label], built[label][0]))
        for r, label in zip(timed, histories, strict=True)
    ]
    ratio = [1 / s for s in results[1].speedups]
    notes = [
        f"{store.label} big / small: **{statistics.median(ratio):.2f}** "
        f"(per round {min(ratio):.2f}–{max(ratio):.2f}).",
        *(_build_note(store.label, label, histories[label], *built[label]) for label in histories),
    ]
    return results, notes


def _name(label: str, history: History) -> str:
    return f"{label}: {history.papers:,} papers, {history.sightings:,} sightings"


def _competitor(
    store: Store,
    label: str,
    name: str,
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
        state["url"] = store.restore(label, state["n"])
        folder = work / f"{store.label}-{label}-workspace-{state['n']}"
        state["env"] = write_workspace(folder, state["url"], hf_url)
        with environment(state["env"]):
            repository(state["url"])  # engine and migration check, untimed

    def go() -> None:
        with environment(state["env"]):
            settings, config = from_environment()
            timings: dict[str, float] = {}
            with closing(replay_context(settings, config, floor=False)) as ctx:
                result = plain_daily(ctx, day, email=True, timings=timings)
        phases[label].append(timings)
        outcomes[label].append(
            tuple((o.source, o.period, o.status, o.fetched, o.new) for o in result.outcomes)
        )

    return Competitor(name=name, setup=setup, run=go)


def _forget(url: str | None) -> None:
    """Close the previous round's engine before its database goes away."""
    if url is not None:
        close_all()


def _columns(timings: list[dict[str, float]], built: Built) -> tuple[tuple[str, str], ...]:
    def median(key: str) -> str:
        return f"{statistics.median(t[key] for t in timings):.2f} s"

    return (
        ("fetch + store (median)", median("collect")),
        ("digest + deliver (median)", median("digest")),
        ("db size", format_bytes(built.size_bytes)),
    )


def _build_note(backend: str, label: str, history: History, built: Built, reused: bool) -> str:
    steps = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in built.steps)
    when = "reused from the cache; it was built in" if reused else "built in"
    return (
        f"{backend} {label} db ({history.weekdays:,} weekdays x {history.per_day} papers x "
        f"{history.observations} observations, then {history.recent_days} real days x "
        f"{history.recent_observations}): {when} {built.seconds:.0f} s ({steps})."
    )


def main(argv: Sequence[str] | None = None) -> int:
    return main_guard(run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
