"""Benchmark 3, backfill: every captured day from a local replay of HF, paperpulse vs a naive loop.

    python -m bench.backfill [--rounds N] [--quick] [--json PATH] [--data DIR]
                             [--latency S] [--floor] [--no-flow] [--quota N] [--window S]

The replay server (``tests.replay``) serves ``../shared/data/hf_api_daily`` and adds
``--latency`` (default 50 ms) to every response. Each competitor backfills every list date from
the first capture to the last (415 days with papers, and the weekends and holidays between them,
which answer an empty list) into a fresh SQLite file, in a process of its own (wall time of the
whole process, peak RSS from ``getrusage``):

- **naive**: sequential httpx GET -> ``hf_daily.parse_api`` -> per-row ORM writes (``bench.naive``);
- **paperpulse, plain**: ``collect`` per day on 4 threads, as ``flows.tasks.run_jobs`` runs them,
  with the real ``HttpClient`` (4 connections, RateLimit pacing, retries) but without the HF
  0.5 s interval floor, which against a local replay would only measure ``sleep``;
- **paperpulse, Prefect flow**: the ``backfill`` flow itself, Prefect in ephemeral mode (its
  server starts in the process: part of the cost), same client;
- with ``--floor``: the plain path with the production pacing (0.5 s floor), for the record.

After each run the database must hold the same rows as the baseline's (papers, authors,
bylines, runs, sightings). Then the rate limit: the server allows ``--quota`` requests per
``--window`` seconds (fixed windows, 429 with Retry-After and RateLimit headers beyond), and
the plain path backfills again; reported: requests per second between the first and the last
request, as a fraction of quota/window (goal >= 0.9), and the 429s the server sent (goal 0).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
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
from bench.naive import row_counts
from bench.pipeline import write_workspace
from bench.processes import (
    fresh_copy,
    migrated_sqlite,
    prefect_env,
    prime_prefect,
    run_worker,
)
from paperpulse.storage import create_engine
from tests.replay import Faults, ReplayServer

NAIVE = "naive: sequential GET, parse, per-row ORM"
PLAIN = "paperpulse: collect on 4 threads"
FLOW = "paperpulse: backfill flow (Prefect)"
FLOORED = "paperpulse: collect, 0.5 s HF floor"
LIBRARIES = ("httpx", "sqlalchemy", "prefect")
QUICK_DAYS = 3


@dataclass
class Records:
    """What each competitor's worker reported, round by round."""

    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, name: str, result: dict[str, Any]) -> None:
        self.runs.setdefault(name, []).append(result)

    def median_rss(self, name: str) -> str:
        return format_bytes(int(statistics.median(r["maxrss_kb"] for r in self.runs[name])) * 1024)


def capture_days(folder: Path) -> list[date]:
    days = sorted(date.fromisoformat(p.stem) for p in folder.glob("*.json"))
    if not days:
        raise BenchmarkError(f"no YYYY-MM-DD.json captures in {folder}")
    return days


def _extra(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per response")
    parser.add_argument("--floor", action="store_true", help="also time the 0.5 s HF floor")
    parser.add_argument("--no-flow", action="store_true", help="skip the Prefect flow")
    parser.add_argument("--quota", type=int, help="rate limit: requests per window (default 100)")
    parser.add_argument("--window", type=float, help="rate limit: window seconds (default 10)")


def run(argv: Sequence[str] | None = None) -> str:
    options = arguments(
        __doc__.splitlines()[0] if __doc__ else "backfill benchmark",
        argv,
        extra=_extra,
        default_rounds=5,
    )
    more = options.more
    captures = shared_data(options.data) / "hf_api_daily"
    days = capture_days(captures)
    start, end = days[0], (days[QUICK_DAYS - 1] if options.quick else days[-1])
    quota = more.quota or (4 if options.quick else 100)
    window = more.window or (1.0 if options.quick else 10.0)
    with_flow = not (more.no_flow or options.quick)
    host = machine(LIBRARIES)
    records = Records()
    with tempfile.TemporaryDirectory(prefix="pp-bench-backfill-") as tmp:
        root = Path(tmp)
        template = migrated_sqlite(root / "template.db")
        prefect = prefect_env()
        if with_flow:
            prime_prefect(prefect)
        expected: dict[str, int] = {}

        def competitor(name: str, task: str, server: Callable[[], str], **spec: Any) -> Competitor:
            slot = {"n": 0}
            env: dict[str, str] = {}

            def setup() -> None:
                slot["n"] += 1
                folder = root / f"{task}-{'floor-' if spec.get('floor') else ''}{slot['n']}"
                database = fresh_copy(template, folder / "paperpulse.db")
                env.clear()
                env.update(write_workspace(folder, f"sqlite:///{database}", server()))
                env.update(prefect)

            def go() -> None:
                job = {"task": task, "start": str(start), "end": str(end), **spec}
                result = run_worker(job, env)
                records.add(name, result)
                engine = create_engine(env["PAPERPULSE_DATABASE_URL"])
                counts = row_counts(engine)
                engine.dispose()
                if expected and counts != expected:
                    raise BenchmarkError(
                        f"{name} stored {counts}, the first competitor {expected}: "
                        "they did not do the same work"
                    )
                expected.update(counts)

            return Competitor(name=name, run=go, setup=setup)

        results: list[Result] = []
        with ReplayServer(captures, faults=Faults(latency=more.latency)) as slow:
            competitors = [
                competitor(NAIVE, "naive-backfill", lambda: slow.url),
                competitor(PLAIN, "plain-backfill", lambda: slow.url),
            ]
            if with_flow:
                competitors.append(competitor(FLOW, "flow-backfill", lambda: slow.url))
            if more.floor:
                competitors.append(
                    competitor(FLOORED, "plain-backfill", lambda: slow.url, floor=True)
                )
            n_days = (end - start).days + 1
            case = Case(
                name=f"{n_days} list dates ({sum(start <= d <= end for d in days)} with papers), "
                f"{more.latency * 1000:.0f} ms latency",
                unit="backfill",
                baseline=NAIVE,
                warmup=False,
                competitors=tuple(competitors),
            )
            results += [
                replace(r, extra=_worker_columns(records, r.competitor))
                for r in measure([case], rounds=options.rounds)
            ]
            served_plain = sum(slow.served.values())

        limited = _rate_limited(
            root, template, captures, start, end, quota, window, more.latency, options.rounds
        )
        results += limited.results
    return report(
        "backfill",
        results,
        options,
        host=host,
        goals=[
            f"under a rate limit, >= 0.9 of the allowed rate ({quota} per {window:g} s) and 0 "
            "responses 429",
        ],
        notes=[
            "Times are the wall time of a fresh process per competitor and round (interpreter "
            "start and imports included; for the flow, Prefect's ephemeral server start too). "
            "Peak RSS is the worker's own (Prefect's server runs in a child process, not counted).",
            f"Requests to the replay server in the first case: {served_plain:,} in all.",
            *limited.notes,
        ],
    )


def _worker_columns(records: Records, name: str) -> tuple[tuple[str, str], ...]:
    runs = records.runs.get(name, [])
    if not runs:
        return ()
    work = statistics.median(r["seconds"][0] for r in runs)
    statuses = runs[-1]["statuses"]
    return (
        ("peak RSS (median)", records.median_rss(name)),
        ("in-process work (median)", f"{work:.2f} s"),
        ("days complete / empty", f"{statuses.get('complete', 0)} / {statuses.get('empty', 0)}"),
    )


@dataclass(frozen=True, slots=True)
class Limited:
    results: list[Result]
    notes: list[str]


def _rate_limited(
    root: Path,
    template: Path,
    captures: Path,
    start: date,
    end: date,
    quota: int,
    window: float,
    latency: float,
    rounds: int,
) -> Limited:
    """The plain path against a rate-limited server: a fresh server (and window) per round."""
    records = Records()
    rates: list[float] = []
    throttled: list[int] = []
    servers: list[ReplayServer] = []
    env: dict[str, str] = {}
    slot = {"n": 0}

    def setup() -> None:
        for old in servers:
            old.__exit__(None, None, None)
        servers.clear()
        server = ReplayServer(
            captures, faults=Faults(latency=latency, rate_limit=quota, window=window)
        ).__enter__()
        servers.append(server)
        slot["n"] += 1
        folder = root / f"limited-{slot['n']}"
        database = fresh_copy(template, folder / "paperpulse.db")
        env.clear()
        env.update(write_workspace(folder, f"sqlite:///{database}", server.url))

    def go() -> None:
        server = servers[0]
        job = {"task": "plain-backfill", "start": str(start), "end": str(end)}
        records.add(PLAIN, run_worker(job, env))
        times = server.request_times
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        rates.append((len(times) - 1) / span if span > 0 else 0.0)
        throttled.append(server.served.get("429", 0))

    case = Case(
        name=f"rate limit {quota} per {window:g} s",
        unit="backfill",
        warmup=False,
        competitors=(Competitor(name=PLAIN, run=go, setup=setup),),
    )
    try:
        timed = measure([case], rounds=rounds)
    finally:
        for server in servers:
            server.__exit__(None, None, None)
    allowed = quota / window
    fractions = [rate / allowed for rate in rates]
    columns = (
        ("requests/s (median)", f"{statistics.median(rates):.2f}"),
        (
            "fraction of allowed (min–max)",
            f"**{statistics.median(fractions):.2f}** ({min(fractions):.2f}–{max(fractions):.2f})",
        ),
        ("429s (all rounds)", str(sum(throttled))),
    )
    results = [replace(r, extra=columns) for r in timed]
    http = records.runs[PLAIN][-1].get("http", {})
    notes = [
        f"Rate limit: allowed {allowed:g} requests/s; achieved rate = requests between the "
        "first and the last arrival at the server / that span. The client's own count of the "
        f"last round: {http}.",
    ]
    return Limited(results=results, notes=notes)


def main(argv: Sequence[str] | None = None) -> int:
    return main_guard(run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
