"""Benchmark 5, orchestration: the ``daily`` Prefect flow vs the same plain functions.

    python -m bench.orchestration [--rounds N] [--quick] [--json PATH] [--data DIR]
                                  [--day YYYY-MM-DD] [--runs N] [--no-heartbeat-variant]

Every round starts one process per competitor (``bench.worker``), which runs the daily job for
``--day`` ``--runs`` times against the replay server, each time on a fresh copy of an empty,
migrated SQLite database and a fresh archive (one ``collect``, the digest built, rendered,
committed to the archive's git repository):

- **plain functions**: ``bench.pipeline.plain_daily`` (what the flow does, step by step);
- **Prefect flow**: ``flows.daily.daily`` in ephemeral mode (no server configured: Prefect
  starts one in a subprocess on first use), flow heartbeats off as in tests/flows;
- **Prefect flow, heartbeats on**: the same with Prefect's defaults (a heartbeat every 180 s),
  which is what ``paperpulse run`` gets today.

Reported per competitor: the **first run** of a new process (its wall time from start to exit,
minus the later runs: interpreter start, imports, Prefect's server start and stop, the run) and
the **steady state** (median of runs 2..N in the same process). The overhead is the difference
to the plain functions, taken per round (same round, side by side). Both must store the same
rows and write a digest of the same length.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
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
from bench.pipeline import write_workspace
from bench.processes import migrated_sqlite, prefect_env, prime_prefect, run_worker
from tests.replay import ReplayServer

PLAIN = "plain functions"
FLOW = "Prefect flow (heartbeats off)"
FLOW_HEARTBEATS = "Prefect flow (heartbeats on, defaults)"
DAY = date(2024, 8, 1)
LIBRARIES = ("prefect",)


@dataclass
class Observed:
    """Per competitor, per round: process wall time and the worker's per-run times."""

    wall: dict[str, list[float]] = field(default_factory=dict)
    runs: dict[str, list[list[float]]] = field(default_factory=dict)
    rss: dict[str, list[int]] = field(default_factory=dict)
    work: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def first(self, name: str) -> list[float]:
        """Wall time of the process minus its later runs: what a one-run process costs."""
        return [w - sum(r[1:]) for w, r in zip(self.wall[name], self.runs[name], strict=True)]

    def steady(self, name: str) -> list[float]:
        return [statistics.median(r[1:]) for r in self.runs[name] if len(r) > 1]


def _extra(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--day", type=date.fromisoformat, default=DAY, help="the list date run")
    parser.add_argument("--runs", type=int, help="daily runs per process (default 6, quick 2)")
    parser.add_argument(
        "--no-heartbeat-variant", action="store_true", help="skip the heartbeats-on flow"
    )


def run(argv: Sequence[str] | None = None) -> str:
    options = arguments(
        __doc__.splitlines()[0] if __doc__ else "orchestration benchmark",
        argv,
        extra=_extra,
        default_rounds=5,
    )
    more = options.more
    runs = more.runs or (2 if options.quick else 6)
    if runs < 2:
        raise BenchmarkError("--runs must be at least 2 (the first run, then the steady state)")
    captures = shared_data(options.data) / "hf_api_daily"
    names = [PLAIN, FLOW] + (
        [] if more.no_heartbeat_variant or options.quick else [FLOW_HEARTBEATS]
    )
    host = machine(LIBRARIES)
    observed = Observed()
    with tempfile.TemporaryDirectory(prefix="pp-bench-orchestration-") as tmp:
        root = Path(tmp)
        template = migrated_sqlite(root / "template.db")
        prefect = prefect_env()
        if not options.quick:
            prime_prefect(prefect)  # the server's own database exists, as on any second day
        with ReplayServer(captures) as server:
            competitors = [
                _competitor(name, root, template, prefect, server.url, more.day, runs, observed)
                for name in names
            ]
            measure(
                [Case(name="daily", unit="process", warmup=False, competitors=tuple(competitors))],
                rounds=options.rounds,
            )
    for name in names[1:]:
        if observed.work[name] != observed.work[PLAIN]:
            raise BenchmarkError(
                f"{name} did other work than the plain functions: "
                f"{observed.work[name]} vs {observed.work[PLAIN]}"
            )
    results = _results(observed, names)
    first_overhead = statistics.median(
        f - p for f, p in zip(observed.first(FLOW), observed.first(PLAIN), strict=True)
    )
    steady_overhead = statistics.median(
        f - p for f, p in zip(observed.steady(FLOW), observed.steady(PLAIN), strict=True)
    )
    return report(
        "orchestration",
        results,
        options,
        host=host,
        notes=[
            f"Overhead of the flow (heartbeats off): **{first_overhead:.2f} s** for the first "
            f"run of a process, **{steady_overhead:.3f} s** per run after that (medians of the "
            "per-round differences).",
            f"{runs} daily runs per process; the work of one run: {observed.work[PLAIN]}.",
            "Peak RSS is the worker's own; Prefect's ephemeral server is a child process, not "
            "counted."
            + (
                ""
                if options.quick
                else " Prefect's home was primed (its database created) before timing."
            ),
        ],
    )


def _competitor(
    name: str,
    root: Path,
    template: Path,
    prefect: dict[str, str],
    hf_url: str,
    day: date,
    runs: int,
    observed: Observed,
) -> Competitor:
    counter = {"n": 0}

    def go() -> None:
        counter["n"] += 1
        slug = {PLAIN: "plain", FLOW: "flow", FLOW_HEARTBEATS: "flow-hb"}[name]
        folder = root / f"{slug}-{counter['n']}"
        env = {**write_workspace(folder, "sqlite:///unused", hf_url), **prefect}
        spec = {
            "task": "plain-daily" if name == PLAIN else "flow-daily",
            "day": day.isoformat(),
            "template": str(template),
            "folder": str(folder),
            "repeat": runs,
            "heartbeats": name == FLOW_HEARTBEATS,
        }
        began = time.perf_counter()
        result = run_worker(spec, env)
        observed.wall.setdefault(name, []).append(time.perf_counter() - began)
        observed.runs.setdefault(name, []).append(result["seconds"])
        observed.rss.setdefault(name, []).append(result["maxrss_kb"])
        observed.work[name] = (
            tuple(sorted(result["statuses"].items())),
            tuple(result["digest_chars"]),
        )

    return Competitor(name=name, run=go)


def _results(observed: Observed, names: Sequence[str]) -> list[Result]:
    results: list[Result] = []
    for case, series in (
        ("first run (new process, start to exit)", observed.first),
        ("steady state (runs 2..N of a process)", observed.steady),
    ):
        base = series(PLAIN)
        for name in names:
            times = series(name)
            overhead = [t - b for t, b in zip(times, base, strict=True)]
            extra = [
                (
                    "overhead vs plain (min–max)",
                    "–"
                    if name == PLAIN
                    else f"**{statistics.median(overhead):+.3f} s** "
                    f"({min(overhead):+.3f} – {max(overhead):+.3f})",
                ),
                (
                    "peak RSS (median)",
                    format_bytes(int(statistics.median(observed.rss[name])) * 1024),
                ),
            ]
            results.append(
                Result(
                    case=case,
                    competitor=name,
                    unit="run",
                    batch=1,
                    per_call_s=tuple(times),
                    extra=tuple(extra),
                )
            )
    return results


def main(argv: Sequence[str] | None = None) -> int:
    return main_guard(run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
