"""Benchmark 7, cost: a one-off daily run, as a user starts it, on a quiet and a busy machine.

    python -m bench.cost [--rounds N] [--data DIR] [--day YYYY-MM-DD] [--hogs 0,2]
                         [--no-before] [--json PATH]

Every competitor is a new process, timed from start to exit (``os.wait4``: wall time, CPU time
and peak RSS of that process, children not included), against one replay server of the real
captures; each starts from a fresh copy of an empty migrated SQLite database and archive:

- **floor** — a Python process that imports httpx, selectolax, sqlalchemy and jinja2 and fetches
  the same day from the replay server: the least any Python tool doing this job pays;
- **plain function** — a process calling ``paperpulse.app.pipeline.daily_run`` (what the
  flows and the CLI call), with settings and config from the environment;
- **paperpulse run** — the console script, embedded default (no ``PREFECT_API_URL``);
- **paperpulse run --prefect** (before) — the same run as a Prefect flow on Prefect's
  ephemeral server: what ``paperpulse run`` did before it ran the plain pipeline.

Conditions: ``--hogs 0,2`` runs every round idle, then beside that many busy loops
(``python -c 'while 1: pass'``, killed after the condition). Rounds interleave the competitors.
Reported: median and min-max wall time, median CPU time and peak RSS, and the per-round ratios
to the plain function and to the floor (competitor time / reference time: lower is better).
A run that exits non-zero or prints a traceback is a failure, counted and shown.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from bench.harness import REPO_ROOT, BenchmarkError, machine, shared_data
from bench.pipeline import write_workspace
from bench.processes import CACHE, fresh_copy, migrated_sqlite, prime_prefect
from tests.replay import ReplayServer

FLOOR, PLAIN, CLI, BEFORE = "floor", "plain function", "paperpulse run", "paperpulse run --prefect"
LIBRARIES = ("httpx", "selectolax", "SQLAlchemy", "jinja2", "prefect")

FLOOR_CODE = """
import sys
import httpx, jinja2, selectolax.lexbor, sqlalchemy
url, day = sys.argv[1:]
response = httpx.get(url + "/api/daily_papers", params={"date": day, "limit": 100})
response.raise_for_status()
print(len(response.json()), "papers")
"""

PLAIN_CODE = """
import sys
from datetime import date
from paperpulse.app.context import Context
from paperpulse.app.pipeline import daily_run
from paperpulse.config.settings import from_environment
with Context.open(*from_environment()) as ctx:
    summary = daily_run(ctx, date.fromisoformat(sys.argv[1]), True)
print(summary.raise_for_failures().line())
"""


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float
    ok: bool
    line: str


@dataclass
class Row:
    condition: str
    competitor: str
    samples: list[Sample] = field(default_factory=list)


def command(competitor: str, url: str, day: date) -> list[str]:
    script = Path(sys.executable).with_name("paperpulse")
    if competitor == FLOOR:
        return [sys.executable, "-c", FLOOR_CODE, url, day.isoformat()]
    if competitor == PLAIN:
        return [sys.executable, "-c", PLAIN_CODE, day.isoformat()]
    extra = ["--prefect"] if competitor == BEFORE else []
    return [str(script), "run", *extra, "--date", day.isoformat()]


def timed(argv: list[str], env: dict[str, str], folder: Path) -> Sample:
    """Run one process to its end; wall, CPU and peak RSS are that process's own."""
    out, err = folder / "stdout", folder / "stderr"
    began = time.perf_counter()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(argv, cwd=folder, env=env, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    text, errors = out.read_text(errors="replace"), err.read_text(errors="replace")
    ok = process.returncode == 0 and "Traceback" not in errors
    line = (text.strip().splitlines() or [""])[-1] if ok else (errors.strip() or text)[-300:]
    return Sample(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,
        ok=ok,
        line=line,
    )


def start_hogs(count: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(count)]


def stop_hogs(hogs: list[subprocess.Popen[bytes]]) -> None:
    for hog in hogs:
        hog.send_signal(signal.SIGKILL)
        hog.wait()


def run(options: argparse.Namespace) -> tuple[list[Row], dict[str, object]]:
    data = shared_data(options.data) / "hf_api_daily"
    competitors = [FLOOR, PLAIN, CLI] + ([] if options.no_before else [BEFORE])
    template = migrated_sqlite(CACHE / "cost-template.db")
    work = Path(tempfile.mkdtemp(prefix="paperpulse-cost-"))
    prefect_home = CACHE / "cost-prefect-home"
    prefect_home.mkdir(parents=True, exist_ok=True)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAPERPULSE_"))}
    base["PREFECT_HOME"] = str(prefect_home)  # the benchmark's own, never the user's
    rows = {
        (f"{hogs} CPU hogs" if hogs else "idle", c): Row(f"{hogs} CPU hogs" if hogs else "idle", c)
        for hogs in options.hogs
        for c in competitors
    }
    meta: dict[str, object] = {"machine": asdict(machine(LIBRARIES)), "day": str(options.day)}
    try:
        with ReplayServer(data) as server:
            env = {**base, **write_workspace(work, "sqlite:///unused", server.url)}
            env["PAPERPULSE_HF_MIN_INTERVAL"] = "0"  # a local replay: the HF floor only sleeps
            if not options.no_before:
                prime_prefect({**env, "DO_NOT_TRACK": "1"})
            for hogs in options.hogs:
                condition = f"{hogs} CPU hogs" if hogs else "idle"
                busy = start_hogs(hogs)
                try:
                    for number in range(options.rounds):
                        for competitor in competitors:
                            folder = work / f"{condition}-{number}-{competitor}".replace(" ", "_")
                            folder.mkdir(parents=True)
                            database = fresh_copy(template, folder / "paperpulse.db")
                            run_env = {
                                **env,
                                "PAPERPULSE_DATABASE_URL": f"sqlite:///{database}",
                                "PAPERPULSE_ARCHIVE_DIR": str(folder / "archive"),
                                "PAPERPULSE_OUTBOX_DIR": str(folder / "outbox"),
                            }
                            sample = timed(
                                command(competitor, server.url, options.day), run_env, folder
                            )
                            rows[condition, competitor].samples.append(sample)
                            print(
                                f"{condition} round {number + 1}/{options.rounds} {competitor}: "
                                f"{sample.wall:.2f} s{'' if sample.ok else ' FAILED'}",
                                file=sys.stderr,
                            )
                finally:
                    stop_hogs(busy)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return list(rows.values()), meta


def ratios(row: Row, reference: Row) -> list[float]:
    return [
        a.wall / b.wall
        for a, b in zip(row.samples, reference.samples, strict=True)
        if a.ok and b.ok and b.wall > 0
    ]


def render(rows: Sequence[Row], meta: dict[str, object]) -> str:
    info = meta["machine"]
    assert isinstance(info, dict)
    lines = [
        f"Day {meta['day']}; {info['cpu']}, {info['usable_cpus']} usable CPUs; {info['python']}; "
        f"load before: {info['load']}; "
        + ", ".join(f"{name} {version}" for name, version in info["libraries"]),
        "",
        "| condition | competitor | wall, median | min–max | CPU, median | peak RSS | "
        "× plain (min–max) | × floor (min–max) | failed |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by_key = {(r.condition, r.competitor): r for r in rows}

    def ratio_cell(values: list[float]) -> str:
        if not values:
            return "–"
        return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"

    for row in rows:
        good = [s for s in row.samples if s.ok]
        failed = len(row.samples) - len(good)
        walls = [s.wall for s in good]
        if not walls:
            lines.append(
                f"| {row.condition} | {row.competitor} | – | – | – | – | – | – | {failed} |"
            )
            continue
        plain = ratios(row, by_key[row.condition, PLAIN])
        floor = ratios(row, by_key[row.condition, FLOOR])
        lines.append(
            f"| {row.condition} | {row.competitor} | {statistics.median(walls):.2f} s | "
            f"{min(walls):.2f}–{max(walls):.2f} s | "
            f"{statistics.median(s.cpu for s in good):.2f} s | "
            f"{statistics.median(s.rss_mb for s in good):.0f} MB | "
            f"{ratio_cell(plain)} | {ratio_cell(floor)} | {failed} |"
        )
    failures = {s.line for r in rows for s in r.samples if not s.ok}
    if failures:
        lines += ["", "Failures (last output line):", *[f"- `{f}`" for f in sorted(failures)]]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--day", type=date.fromisoformat, default=date(2024, 8, 1))
    parser.add_argument(
        "--hogs", type=lambda s: [int(n) for n in s.split(",")], default=[0, 2], metavar="0,2"
    )
    parser.add_argument("--no-before", action="store_true", help="skip paperpulse run --prefect")
    parser.add_argument("--json", type=Path, metavar="PATH")
    options = parser.parse_args(argv)
    try:
        rows, meta = run(options)
    except BenchmarkError as exc:
        print(f"bench.cost: {exc}", file=sys.stderr)
        return 2
    if options.json:
        options.json.write_text(
            json.dumps({**meta, "rows": [asdict(r) for r in rows]}, indent=1), encoding="utf-8"
        )
    sys.stdout.write(render(rows, meta))
    return 0


if __name__ == "__main__":
    os.chdir(REPO_ROOT)
    raise SystemExit(main())
