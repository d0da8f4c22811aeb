"""One real machine's three weeks, on real captured HF days (issue 21's closing numbers).

    python -m bench.life [--data ../shared/data/hf_api_daily] [--postgres URL] [--json PATH]

Two readers (ada: daily + weekly, "Language models"; alan: daily only, "Vision") through a real
SMTP server; HF replayed locally as it looked at each moment. The life, 5–26 Aug 2024:

- runs for Mon 5 – Sat 10 Aug on schedule; the machine is off on Sun 11 and Mon 12 (a missed
  Sunday: week 32's weekly is owed by the next run, whatever its day);
- run for Tue 13; off again until Sat 17, when `backfill --start 14 --end 16` is run by hand
  (no --deliver); the run for 17;
- off again until Thu 22, when `backfill --start 18 --end 21 --deliver` runs in a subprocess,
  SIGKILLed mid-fetch, then the same backfill again; then the run for 22, SIGKILLed mid-way,
  and its rerun;
- runs for 23 – 26 Aug (Sunday 25 included).

Prints, per reader: papers listed vs reached, weeklies owed vs sent, dates recorded delivered
without their papers, papers cut; then every invariant of tests/flows/test_lives.py that fails.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import date, timedelta
from pathlib import Path

from tests.conftest import SHARED_DATA
from tests.flows.lives import Life, run_moment, world


def live(life: Life) -> None:
    aug = lambda n: date(2024, 8, n)  # noqa: E731
    for n in range(5, 11):
        life.run(aug(n))
    life.run(aug(13))  # Sun 11 and Mon 12 missed
    life.at(run_moment(aug(16)) + timedelta(hours=3))  # off again; caught up by hand on Sat 17
    life.backfill(aug(14), aug(16), deliver=False)
    life.run(aug(17))
    life.at(run_moment(aug(21)) + timedelta(hours=3))  # off again; caught up on Thu 22
    life.kill_backfill(aug(18), aug(21), after=0.3, deliver=True)
    life.kill_run(aug(22), after=0.5)
    for n in range(23, 27):
        life.run(aug(n))
    life.at(life.clock.now() + timedelta(hours=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA / "hf_api_daily")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, world(args.data, Path(tmp), args.postgres) as w:
        life = Life(w, Path(tmp) / "life")
        try:
            live(life)
            report = life.report()
            problems = life.check()
        finally:
            life.close()
    print("The life:\n" + life.recipe())
    print(json.dumps(report, indent=2))
    print(f"{len(problems)} invariant(s) broken:")
    for problem in problems:
        print(f"  - {problem}")
    if args.json:
        report["problems"] = [str(p) for p in problems]
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
