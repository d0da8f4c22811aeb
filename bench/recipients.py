"""Benchmark 7, cost: a warm daily run delivering to 1 vs 10 readers ("build once, deliver many").

    python -m bench.recipients [--rounds N] [--readers 1,10] [--day YYYY-MM-DD] [--data DIR]
                               [--json PATH]

One process, against one replay server of the real HF captures. For each reader count, a
workspace is prepared once: the day is fetched and its archive digest published (no email),
and the database file is kept as a snapshot. Each round (after one untimed warm-up round)
copies the snapshot and times ``daily_run`` in process (imports, templates and the HF day
already warm): the day is
re-fetched from the replay server, the archive digest rebuilt (unchanged), and every reader's
email written to an outbox. Rounds interleave the reader counts. Reported: the median and
min-max wall time per run and per reader, and the median ratio of the largest count to 1.

It runs the code it is imported from, so the same script measures a checkout before a change
(``PYTHONPATH=/path/to/old/checkout python -m bench.recipients``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.harness import shared_data
from bench.pipeline import BENCH_CONFIG
from tests.replay import ReplayServer


def _config(readers: int) -> str:
    addresses = "".join(
        f'\n[[email.recipients]]\naddress = "reader{n}@example.org"\n' for n in range(readers)
    )
    return BENCH_CONFIG + '\n[email]\nfrom = "digest@example.org"\n' + addresses


def _run(folder: Path, db: Path, hf_url: str, day: date, email: bool) -> float:
    from paperpulse.app.context import Context
    from paperpulse.app.pipeline import daily_run
    from paperpulse.config.settings import from_environment

    saved = dict(os.environ)
    os.environ.update(
        {
            "PAPERPULSE_DATABASE_URL": f"sqlite:///{db}",
            "PAPERPULSE_HF_URL": hf_url,
            "PAPERPULSE_HF_MIN_INTERVAL": "0",
            "PAPERPULSE_CONFIG": str(folder / "paperpulse.toml"),
            "PAPERPULSE_ARCHIVE_DIR": str(folder / "archive"),
            "PAPERPULSE_OUTBOX_DIR": str(folder / "outbox"),
            "PAPERPULSE_NOW": f"{day}T20:00:00+00:00",
        }
    )
    try:
        settings, config = from_environment()
        started = time.perf_counter()
        with Context.open(settings, config) as ctx:
            summary = daily_run(ctx, day, email)
        elapsed = time.perf_counter() - started
    finally:  # the variables are set for the code under test, then put back
        os.environ.clear()
        os.environ.update(saved)
    sent = [d for d in summary.deliveries if d.channel == "outbox" and d.status == "sent"]
    wanted = len(config.email.recipients) if email else 0
    if len(sent) != wanted:
        raise SystemExit(f"expected {wanted} emails, got {len(sent)}: {summary.deliveries}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--readers", default="1,10")
    parser.add_argument("--day", type=date.fromisoformat, default=date(2024, 8, 1))
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="one round: checks that it runs")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.readers.split(",")]
    rounds = 1 if args.quick else args.rounds
    times: dict[int, list[float]] = {n: [] for n in counts}
    with (
        tempfile.TemporaryDirectory() as tmp,
        ReplayServer(shared_data(args.data) / "hf_api_daily") as server,
    ):
        root = Path(tmp)
        for n in counts:
            folder = root / f"readers-{n}"
            folder.mkdir()
            (folder / "paperpulse.toml").write_text(_config(n), encoding="utf-8")
            _run(folder, folder / "snapshot.db", server.url, args.day, email=False)
        for r in range(-1, rounds):  # round -1: an untimed warm-up (the first email's render)
            for n in counts:
                folder = root / f"readers-{n}"
                db = folder / f"round-{r}.db"
                shutil.copyfile(folder / "snapshot.db", db)
                shutil.rmtree(folder / "outbox", ignore_errors=True)
                elapsed = _run(folder, db, server.url, args.day, email=True)
                if r >= 0:
                    times[n].append(elapsed)
                print(f"round {r + 1}: {n} readers {elapsed:.3f} s", file=sys.stderr)
    print("| readers | median run (s) | min–max (s) | per reader (ms) |")
    print("|---:|---:|---:|---:|")
    for n in counts:
        med = statistics.median(times[n])
        print(
            f"| {n} | {med:.3f} | {min(times[n]):.3f}–{max(times[n]):.3f} | {med / n * 1000:.0f} |"
        )
    if len(counts) > 1:
        ratios = [b / a for a, b in zip(times[counts[0]], times[counts[-1]], strict=True)]
        print(f"\n{counts[-1]} readers / {counts[0]}: median ratio {statistics.median(ratios):.2f}")
    if args.json:
        args.json.write_text(json.dumps({str(n): t for n, t in times.items()}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
