"""Faults at the level a user meets them: whole backfills and daily runs under transient faults,
permanent faults healed by the next run, SIGKILL at random moments, a read-only database.

Outcomes are recorded for docs/reliability.md (``python -m tests.reliability.report``).
Ten SIGKILL trials per flow, ``slow``: run with ``PAPERPULSE_SLOW=1``, as CI does.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from tests.flows.test_orchestration import content, query
from tests.reliability.record import record
from tests.replay import TRANSIENT_FAULTS, Faults, ReplayServer

ROOT = Path(__file__).resolve().parents[2]
START, END = date(2024, 6, 3), date(2024, 8, 1)  # 60 list dates
FAST_RETRIES = {"PAPERPULSE_HF_MIN_INTERVAL": "0"}


def cli_env(tmp_path: Path, db: str, hf_url: str) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    config = tmp_path / "empty.toml"
    config.write_text("", encoding="utf-8")
    return {
        **os.environ,
        **FAST_RETRIES,
        "PAPERPULSE_DATABASE_URL": db,
        "PAPERPULSE_HF_URL": hf_url,
        "PAPERPULSE_CONFIG": str(config),
        "PAPERPULSE_ARCHIVE_DIR": str(tmp_path / f"archive-{Path(db).stem}"),
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
    }


def backfill_args(start: date = START, end: date = END) -> list[str]:
    return [
        sys.executable,
        "-m",
        "paperpulse.cli.main",
        "backfill",
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
    ]


@pytest.fixture(scope="module")
def clean_db(prefect: None, shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The reference: an uninterrupted, fault-free backfill of the 60 days."""
    tmp = tmp_path_factory.mktemp("clean")
    db = f"sqlite:///{tmp / 'clean.db'}"
    with ReplayServer(shared_data / "hf_api_daily") as server:
        done = subprocess.run(
            backfill_args(),
            cwd=ROOT,
            env=cli_env(tmp, db, server.url),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    return db


FAULTY = (date(2024, 7, 3), END)  # 30 list dates: ~40 requests, of which the dice fault ~8


def test_twenty_percent_transient_faults_lose_and_duplicate_nothing(
    prefect: None, shared_data: Path, tmp_path: Path
) -> None:
    clean, db = f"sqlite:///{tmp_path / 'clean.db'}", f"sqlite:///{tmp_path / 'faulty.db'}"
    # Each request is tried 4 times (one retry policy); a fault 4 times running is an outage,
    # not a transient: at 20% and 30 dates that would fail ~1 run in 20, by the dice.
    faults = Faults(fault_rate=0.2, kinds=TRANSIENT_FAULTS, seed=7, max_in_a_row=3)
    with (
        ReplayServer(shared_data / "hf_api_daily") as fine,
        ReplayServer(shared_data / "hf_api_daily", faults=faults) as server,
    ):
        # The reference: the same dates without faults, in a plain process (no Prefect).
        reference = {**cli_env(tmp_path, clean, fine.url), "PREFECT_API_URL": ""}
        runs = [
            subprocess.Popen(backfill_args(*FAULTY), cwd=ROOT, env=env, stderr=subprocess.PIPE)
            for env in (reference, cli_env(tmp_path, db, server.url))
        ]
        errors = [run.communicate(timeout=600)[1] for run in runs]
        injected = sum(server.injected.values())
    assert [run.returncode for run in runs] == [0, 0], errors
    assert injected >= 5
    assert content(db) == content(clean)
    record(
        category="Flow fault",
        case="20% transient faults (429, 5xx, reset, truncated body)",
        where="30-day backfill (CLI, Prefect)",
        trials=30,
        injected=injected,
        outcome="same papers and sightings as a clean run: none lost, none duplicated",
    )


@pytest.mark.slow  # a minute or two per trial on 2 shared cores: PAPERPULSE_SLOW=1, as CI runs
@pytest.mark.parametrize("trial", range(10), ids=lambda n: f"kill-{n}")
@pytest.mark.parametrize("kind", ["backfill", "daily"])
def test_sigkill_at_a_random_moment_then_restart_matches_the_clean_run(
    kind: str,
    trial: int,
    clean_db: str,
    shared_data: Path,
    tmp_path: Path,
) -> None:
    rng = random.Random(f"{kind}-{trial}")
    db = f"sqlite:///{tmp_path / 'killed.db'}"
    slow = Faults(latency=0.05)
    with ReplayServer(shared_data / "hf_api_daily", faults=slow) as server:
        env = cli_env(tmp_path, db, server.url)
        if kind == "daily":
            # A daily run heals every day since the last complete one: seed one, then kill.
            seed = subprocess.run(
                backfill_args(START, START),
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert seed.returncode == 0, seed.stderr
            env["PAPERPULSE_CONFIG"] = str(tmp_path / "heal.toml")
            (tmp_path / "heal.toml").write_text("[schedule]\nheal_days = 60\n", encoding="utf-8")
            args = [
                sys.executable,
                "-m",
                "paperpulse.cli.main",
                "run",
                "--date",
                END.isoformat(),
                "--no-email",
            ]
        else:
            args = backfill_args()
        victim = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(1.0, 6.0))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        finish = subprocess.run(
            args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        assert finish.returncode == 0, finish.stderr
        if kind == "daily":  # the daily run stops at its own date; complete the range the same way
            rest = subprocess.run(
                backfill_args(),
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert rest.returncode == 0, rest.stderr
    daily_like = kind == "daily"
    got, want = content(db, distinct=daily_like), content(clean_db, distinct=daily_like)
    for table in want:
        extra, missing = set(got[table]) - set(want[table]), set(want[table]) - set(got[table])
        assert not extra and not missing, (table, sorted(extra)[:5], sorted(missing)[:5])
    assert got == want
    record(
        category="Flow fault",
        case=f"SIGKILL during a {kind} run, then a restart",
        where=f"{kind} (CLI, Prefect), 60 days",
        trials=1,
        outcome="database identical to the clean run; no sightings from unfinished runs",
    )


def test_a_permanent_fault_is_recorded_reported_and_healed(
    prefect: None, workspace: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperpulse.flows.daily import daily
    from paperpulse.flows.tasks import SourcesFailed

    monkeypatch.setenv("PAPERPULSE_HF_MIN_INTERVAL", "0")
    db = os.environ["PAPERPULSE_DATABASE_URL"]
    archive = workspace / "archive" / "2024" / "08"
    with ReplayServer(shared_data / "hf_api_daily") as ok:
        monkeypatch.setenv("PAPERPULSE_HF_URL", ok.url)
        daily(list_date=date(2024, 8, 5))
    broken = Faults(fail_dates={"2024-08-05": 500, "2024-08-06": 404})
    with ReplayServer(shared_data / "hf_api_daily", faults=broken) as server:
        monkeypatch.setenv("PAPERPULSE_HF_URL", server.url)
        with pytest.raises(SourcesFailed, match="2024-08-06 failed"):
            daily(list_date=date(2024, 8, 7))  # heals the 6th (404), refreshes the 5th (500)
    failed = query(db, "SELECT period, error FROM runs WHERE status = 'failed' ORDER BY period")
    assert sorted({p for p, _ in failed}) == ["2024-08-05", "2024-08-06"]
    # One retry policy per request: the client's 4 attempts for the 500 (no task retries on
    # top, which made 12), one for the 404; one failed run each; the message tells the truth.
    asked = [r for r in server.requests if "date=2024-08-05" in r]
    assert len(asked) == 4 and sum("date=2024-08-06" in r for r in server.requests) == 1
    assert [p for p, _ in failed] == ["2024-08-05", "2024-08-06"]
    assert "gave up after 4 attempts" in str(dict(failed)["2024-08-05"])
    assert all("HTTP 404" in str(e) or "HTTP 500" in str(e) for _, e in failed)
    header = (archive / "2024-08-07.md").read_text(encoding="utf-8")
    # One line for the reader; the HTTP detail stays in the run ledger (asserted above).
    assert "Hugging Face Daily Papers for 2024-08-06 could not be fetched today" in header
    assert not (archive / "2024-08-06.md").exists()

    with ReplayServer(shared_data / "hf_api_daily") as healed:
        monkeypatch.setenv("PAPERPULSE_HF_URL", healed.url)
        summary = daily(list_date=date(2024, 8, 8))
    assert "2024-08-06" in {o.period for o in summary.outcomes if o.status == "complete"}
    assert (archive / "2024-08-06.md").is_file()
    record(
        category="Flow fault",
        case="permanent HTTP 404/500 for a list date",
        where="daily run (Prefect)",
        trials=2,
        outcome="failed run recorded with the error; reported in the digest header; "
        "healed by the next run",
    )


def test_a_read_only_database_is_one_clear_line_and_writes_nothing(
    prefect: None, workspace: Path, shared_data: Path
) -> None:
    from prefect.settings import PREFECT_API_URL

    db_file = workspace / "ro.sqlite"
    db = f"sqlite:///{db_file}"
    with ReplayServer(shared_data / "hf_api_daily") as server:
        env = {
            **os.environ,
            **FAST_RETRIES,
            "PAPERPULSE_HF_URL": server.url,
            "PAPERPULSE_DATABASE_URL": db,
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        }
        first = subprocess.run(  # the database's first day, as a plain run (no Prefect)
            [sys.executable, "-m", "paperpulse.cli.main", "run", "--date", "2024-08-05"],
            cwd=ROOT,
            env={**env, "PREFECT_API_URL": ""},
            capture_output=True,
            text=True,
            check=False,
        )
        assert first.returncode == 0, first.stderr
        before = content(db)
        env["PAPERPULSE_DATABASE_URL"] = f"sqlite:///file:{db_file}?mode=ro&uri=true"
        result = subprocess.run(
            [sys.executable, "-m", "paperpulse.cli.main", "run", "--date", "2024-08-06"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("paperpulse: error")]
    assert len(lines) == 1 and "read-only" in lines[0], result.stderr
    assert content(db) == before
    assert not (workspace / "archive" / "2024" / "08" / "2024-08-06.md").exists()
    record(
        category="Flow fault",
        case="read-only database",
        where="paperpulse run (CLI)",
        outcome="one-line error naming the problem; nothing written, no digest",
    )
