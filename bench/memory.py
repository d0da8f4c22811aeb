"""Memory over a long backfill: resident set size after list date 100 vs 580.

    python -m bench.memory [--data DIR] [--prefect] [--start DAY] [--dates N] [--marks 100,580]
                           [--json PATH]

One process backfills every captured HF day (2024-05-27 onwards, 584 dates) from the replay
server into a fresh SQLite database, as ``paperpulse backfill`` does (``pipeline.backfill_run``;
with ``--prefect`` the ``backfill`` flow on Prefect's ephemeral server, as a deployment runs it).
After each finished date the current RSS (``/proc/self/statm``, not the peak) is noted. The
replay server runs in a process of its own: it caches every day it served, which in the same
process would look like our growth.
Flat means: RSS after date 580 within 10% of RSS after date 100 (the first and last marks).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.harness import shared_data
from bench.pipeline import on, replay_context, write_workspace
from bench.processes import migrated_sqlite, prefect_env

START = date(2024, 5, 27)
DATES = 584
MARKS = (100, 200, 300, 400, 500, 580)


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        resident = int(statm.read().split()[1])
    return resident * os.sysconf("SC_PAGE_SIZE") / 2**20


def wait_for(port: int) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the replay server on port {port} did not start")


def marks(text: str) -> tuple[int, ...]:
    return tuple(sorted({int(n) for n in text.split(",")}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--prefect", action="store_true")
    parser.add_argument("--start", type=date.fromisoformat, default=START, metavar="DAY")
    parser.add_argument("--dates", type=int, default=DATES, help=f"default {DATES}")
    parser.add_argument(
        "--marks", type=marks, default=MARKS, help="dates after which RSS is noted (2 or more)"
    )
    parser.add_argument("--json", type=Path)
    options = parser.parse_args(argv)
    if len(options.marks) < 2 or not 1 <= options.marks[0] <= options.marks[-1] <= options.dates:
        parser.error("--marks needs two or more dates between 1 and --dates")
    folder = Path(tempfile.mkdtemp(prefix="paperpulse-memory-"))
    database = migrated_sqlite(folder / "paperpulse.db")
    start, end = options.start, options.start + timedelta(days=options.dates - 1)
    first, last = options.marks[0], options.marks[-1]
    samples: dict[int, float] = {}

    def note(done: int, total: int, outcome: object) -> None:
        if done in options.marks:
            gc.collect()
            samples[done] = rss_mb()
            print(f"date {done}/{total}: {samples[done]:.1f} MB", file=sys.stderr)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = shared_data(options.data) / "hf_api_daily"
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.replay", "--data", str(data), "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(port)
        os.environ.update(write_workspace(folder, f"sqlite:///{database}", url))
        if options.prefect:
            os.environ.update(prefect_env())  # the benchmarks' own PREFECT_HOME, quiet server
        from paperpulse.app.pipeline import backfill_run, progress_hook
        from paperpulse.config.file import load_config
        from paperpulse.config.settings import Settings

        settings = Settings.from_env()
        ctx = replay_context(settings, load_config(settings.config_file), floor=False)
        token = progress_hook.set(note)
        try:
            if options.prefect:
                from paperpulse.flows.backfill import backfill

                summary = backfill(start=start, end=end)
            else:
                summary = backfill_run(ctx, start, end, steps=on(ctx))
        finally:
            progress_hook.reset(token)
    finally:
        server.kill()
        server.wait()
    done = len(summary.outcomes)
    growth = samples[last] / samples[first] - 1
    with sqlite3.connect(database) as stored:  # what the backfill wrote: it ran for real
        papers = stored.execute("SELECT count(*) FROM papers").fetchone()[0]
    result = {
        "path": "prefect flow" if options.prefect else "plain",
        "dates": done,
        "papers": papers,
        "rss_mb": samples,
        f"growth_{first}_to_{last}": growth,
    }
    if options.json:
        options.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(
        f"| {result['path']} | {done} | {samples[first]:.1f} MB | {samples[last]:.1f} MB | "
        f"{growth:+.1%} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
