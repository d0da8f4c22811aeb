"""Shared machinery of the benchmarks: interleaved rounds, robust statistics, a Markdown table.

A benchmark is a list of ``Case`` values; each case holds competitors that do the same work.
``measure`` times them interleaved (round 1: A, B; round 2: A, B; ...) so that noise from the
machine (frequency scaling, a neighbour on the host) lands on every competitor alike, and
reports medians, min–max and each competitor's speed relative to the case's baseline, taken per
round from side-by-side timings. These are benchmarks, not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

DEFAULT_ROUNDS = 7
MIN_PUBLISHABLE_ROUNDS = 5  # docs/benchmarks.md only records runs of at least this many rounds
REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA_ENV = "PAPERPULSE_SHARED_DATA"


class BenchmarkError(Exception):
    """A benchmark cannot run as asked (missing data or library, competitors that disagree)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Competitor:
    """One way of doing a case's work; ``run`` performs one call (one page, one render...)."""

    name: str
    run: Callable[[], object]
    setup: Callable[[], object] | None = None  # untimed, before every round (e.g. a fresh db)
    extra: tuple[tuple[str, str], ...] = ()  # additional table columns, e.g. ("output", "1.2 MB")


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """Competitors doing the same work; each round times ``batch`` calls of each competitor."""

    name: str
    competitors: tuple[Competitor, ...]
    unit: str = "call"  # what one call processes: "page", "render", "paper"...
    batch: int = 1
    baseline: str | None = None  # competitor name the ratios are taken against
    per_item: tuple[str, int] | None = None  # ("item", 1250): also report time per item
    # False for minutes-long work whose setup already warms what matters (imports, a fresh db):
    # a warm-up call would double the run time and teach nothing.
    warmup: bool = True

    def __post_init__(self) -> None:
        names = [c.name for c in self.competitors]
        if len(set(names)) != len(names):
            raise ValueError(f"case {self.name!r}: competitor names repeat: {names}")
        if self.baseline is not None and self.baseline not in names:
            raise ValueError(f"case {self.name!r}: baseline {self.baseline!r} not in {names}")
        if self.batch < 1:
            raise ValueError(f"case {self.name!r}: batch must be >= 1, not {self.batch}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """The timings of one competitor in one case: seconds per call, one value per round."""

    case: str
    competitor: str
    unit: str
    batch: int
    per_call_s: tuple[float, ...]
    baseline: str | None = None
    # baseline time / this time, per round: > 1 means faster than the baseline
    speedups: tuple[float, ...] = ()
    per_item: tuple[str, int] | None = None
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def median_s(self) -> float:
        return statistics.median(self.per_call_s)

    @property
    def throughput(self) -> float:
        """Calls per second at the median."""
        return 1.0 / self.median_s if self.median_s > 0 else float("inf")

    @property
    def speedup(self) -> float | None:
        return statistics.median(self.speedups) if self.speedups else None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(median_s=self.median_s, throughput=self.throughput, speedup=self.speedup)
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class Machine:
    cpu: str
    logical_cpus: int
    usable_cpus: int
    memory: str
    os: str
    python: str
    load: str  # 1-minute load average before measuring: how busy the machine already was
    libraries: tuple[tuple[str, str], ...] = field(default=())

    def describe(self) -> str:
        libs = ", ".join(f"{name} {version}" for name, version in self.libraries)
        return (
            f"{self.cpu}, {self.usable_cpus} of {self.logical_cpus} logical CPUs usable, "
            f"{self.memory} RAM; {self.os}; Python {self.python}; load before: {self.load}"
            + (f"; {libs}" if libs else "")
        )


# --- measuring ----------------------------------------------------------------------------


def measure(
    cases: Sequence[Case],
    *,
    rounds: int,
    clock: Callable[[], int] = time.perf_counter_ns,
    progress: Callable[[str], None] | None = None,
) -> list[Result]:
    """Time every case: one untimed warm-up call per competitor (unless ``Case.warmup`` is
    False), then ``rounds`` interleaved rounds. ``clock`` returns nanoseconds (injectable so
    the statistics can be tested); ``progress`` gets a line per timed batch (default: stderr,
    so a run of many minutes shows where it is while stdout keeps only the report)."""
    progress = progress or _to_stderr
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, not {rounds}")
    results: list[Result] = []
    for case in cases:
        for competitor in case.competitors if case.warmup else ():
            # warm-up: imports, caches, compiled templates
            if competitor.setup is not None:
                competitor.setup()
            competitor.run()
        timings: dict[str, list[float]] = {c.name: [] for c in case.competitors}
        for round_no in range(1, rounds + 1):
            for competitor in case.competitors:
                seconds = _time_batch(competitor, case.batch, clock)
                timings[competitor.name].append(seconds)
                progress(
                    f"{case.name} | round {round_no}/{rounds} | {competitor.name}: "
                    f"{format_duration(seconds)}"
                )
        results.extend(_results(case, timings))
    return results


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _time_batch(competitor: Competitor, batch: int, clock: Callable[[], int]) -> float:
    if competitor.setup is not None:
        competitor.setup()
    run = competitor.run
    # Collect the previous competitor's garbage now, so it is not charged to this one; the
    # collector stays on while timing because allocation cost is part of what we compare.
    gc.collect()
    start = clock()
    for _ in range(batch):
        run()
    return (clock() - start) / 1e9 / batch


def _results(case: Case, timings: dict[str, list[float]]) -> list[Result]:
    base = timings[case.baseline] if case.baseline else None
    return [
        Result(
            case=case.name,
            competitor=c.name,
            unit=case.unit,
            batch=case.batch,
            per_call_s=tuple(timings[c.name]),
            baseline=case.baseline,
            speedups=tuple(b / t for b, t in zip(base, timings[c.name], strict=True) if t > 0)
            if base is not None
            else (),
            per_item=case.per_item,
            extra=c.extra,
        )
        for c in case.competitors
    ]


def per_unit(
    results: Sequence[Result], units: Mapping[tuple[str, str], int], unit: str
) -> list[Result]:
    """The same timings restated per unit of work: ``units[(case, competitor)]`` is how many
    units one call of that competitor processed.

    For baselines too slow to run in full: they do a share of the work, and rates (and the
    per-round ratios, recomputed from per-unit times) compare what each did per unit.
    """
    per_round = {
        (r.case, r.competitor): tuple(t / units[(r.case, r.competitor)] for t in r.per_call_s)
        for r in results
    }
    restated = []
    for r in results:
        times = per_round[(r.case, r.competitor)]
        base = per_round.get((r.case, r.baseline)) if r.baseline is not None else None
        restated.append(
            replace(
                r,
                unit=unit,
                per_call_s=times,
                speedups=tuple(b / t for b, t in zip(base, times, strict=True) if t > 0)
                if base is not None
                else (),
            )
        )
    return restated


# --- reporting ----------------------------------------------------------------------------


def format_duration(seconds: float) -> str:
    """A duration with a unit that keeps three significant digits readable."""
    seconds = float(f"{seconds:.3g}")  # the unit fits the rounded value: 0.9996 s is "1 s"
    if seconds >= 1:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.3g} µs"
    return f"{seconds * 1e9:.3g} ns"


def format_rate(per_second: float) -> str:
    if per_second >= 100:
        return f"{per_second:,.0f}"
    return f"{per_second:.3g}"


def format_bytes(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1e6:.2f} MB"
    if size >= 1_000:
        return f"{size / 1e3:.1f} kB"
    return f"{size} B"


def table(results: Sequence[Result]) -> str:
    """A Markdown table: one row per competitor, the columns every result can fill."""
    rows = [_row(result) for result in results]
    columns: list[str] = []
    for row in rows:
        columns.extend(name for name in row if name not in columns)
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" if i < 2 else "---:" for i in range(len(columns))) + "|",
    ]
    lines.extend("| " + " | ".join(row.get(name, "") for name in columns) + " |" for row in rows)
    return "\n".join(lines)


def _row(result: Result) -> dict[str, str]:
    times = result.per_call_s
    row = {
        "case": result.case,
        "competitor": result.competitor,
        f"median per {result.unit}": format_duration(result.median_s),
        "min–max": f"{format_duration(min(times))} – {format_duration(max(times))}",
        f"{result.unit}s/s": format_rate(result.throughput),
    }
    if result.per_item is not None:
        label, count = result.per_item
        row[f"per {label}"] = format_duration(result.median_s / count)
    if result.baseline is not None:
        low, high = min(result.speedups), max(result.speedups)
        row["× baseline (min–max)"] = (
            "baseline"
            if result.competitor == result.baseline
            else f"**{result.speedup:.2f}×** ({low:.2f}–{high:.2f})"
        )
    row.update(result.extra)
    return row


def machine(libraries: Iterable[str] = ()) -> Machine:
    """What the numbers were measured on; ``libraries`` are distribution names to report."""
    return Machine(
        cpu=_cpu_model(),
        logical_cpus=os.cpu_count() or 0,
        usable_cpus=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0,
        memory=_memory(),
        os=platform.platform(terse=True),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        load=f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "unknown",
        libraries=tuple((name, _version(name)) for name in libraries),
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return "unknown"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


# --- command line -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    rounds: int
    quick: bool
    json_path: Path | None
    data: Path | None
    # the benchmark's own options (``extra`` in ``arguments``), by their argparse names
    more: argparse.Namespace = field(default_factory=argparse.Namespace)


def arguments(
    description: str,
    argv: Sequence[str] | None = None,
    *,
    extra: Callable[[argparse.ArgumentParser], object] | None = None,
    default_rounds: int = DEFAULT_ROUNDS,
) -> Options:
    """The options every benchmark takes; ``extra`` adds a benchmark's own to the parser."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help=f"interleaved rounds per case (default {default_rounds}; "
        f"docs/benchmarks.md needs >= {MIN_PUBLISHABLE_ROUNDS})",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small inputs and batches: checks that it runs"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also save the results here")
    parser.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help=f"the captured data (default: ${SHARED_DATA_ENV}, else ../shared/data)",
    )
    if extra is not None:
        extra(parser)
    args = parser.parse_args(argv)
    rounds = args.rounds if args.rounds is not None else default_rounds
    if rounds < 1:
        parser.error("--rounds must be at least 1")
    return Options(rounds=rounds, quick=args.quick, json_path=args.json, data=args.data, more=args)


def shared_data(explicit: Path | None = None) -> Path:
    """The real captures: ``--data``, else $PAPERPULSE_SHARED_DATA, else ../shared/data."""
    configured = explicit or (
        Path(os.environ[SHARED_DATA_ENV]) if os.environ.get(SHARED_DATA_ENV) else None
    )
    path = configured or REPO_ROOT.parent / "shared" / "data"
    if not path.is_dir():
        raise BenchmarkError(
            f"captured data not found at {path}: the benchmarks read the real pages in "
            f"../shared/data (beside the repository); set {SHARED_DATA_ENV} or pass --data DIR"
        )
    return path


def report(
    benchmark: str,
    results: Sequence[Result],
    options: Options,
    *,
    host: Machine,
    goals: Iterable[str] = (),
    notes: Iterable[str] = (),
) -> str:
    """Print the table (and save JSON when asked); returns the printed text. Take ``host``
    with ``machine()`` before measuring, so its load average is the machine's, not ours."""
    lines = [
        f"## {benchmark}",
        "",
        f"{options.rounds} interleaved rounds{' (--quick)' if options.quick else ''}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"Machine: {host.describe()}",
        "",
        table(results),
    ]
    extra = [*(f"Goal: {goal}" for goal in goals), *notes]
    if extra:
        lines += ["", *extra]
    if options.rounds < MIN_PUBLISHABLE_ROUNDS:
        lines += [
            "",
            f"(only {options.rounds} round(s): too few to publish; "
            f"use --rounds {MIN_PUBLISHABLE_ROUNDS} or more)",
        ]
    text = "\n".join(lines)
    print(text)
    if options.json_path is not None:
        payload = {
            "benchmark": benchmark,
            "measured_at": datetime.now(UTC).isoformat(),
            "rounds": options.rounds,
            "quick": options.quick,
            "machine": asdict(host),
            "results": [result.as_json() for result in results],
        }
        options.json_path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return text


def main_guard(run: Callable[[Sequence[str] | None], str], argv: Sequence[str] | None) -> int:
    """Run a benchmark's main; a ``BenchmarkError`` becomes one line on stderr and exit 2."""
    try:
        run(argv)
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
