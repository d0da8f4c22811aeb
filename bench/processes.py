"""Competitors that run in a process of their own (``bench.worker``), and their workspaces."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.harness import REPO_ROOT, BenchmarkError
from paperpulse.storage import create_engine, upgrade

# Prefect as tests/flows/conftest.py runs it: no task-run recorder or event persister (they
# stall SQLite-backed servers), no telemetry; logs at WARNING so the worker's stdout stays JSON.
PREFECT_ENV = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    # The temporary server may take a minute to start beside two busy processes (default 20 s).
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
}


def migrated_sqlite(path: Path) -> Path:
    """An empty SQLite database at the current schema, to copy for each round."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def fresh_copy(template: Path, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, path)
    return path


CACHE = Path(tempfile.gettempdir()) / "paperpulse-bench"  # kept between benchmark runs


def prefect_env(home: Path = CACHE / "prefect-home") -> dict[str, str]:
    """Prefect settings for a worker: a ``PREFECT_HOME`` of the benchmarks' own (never the
    user's), kept between runs so that only the very first run creates its database."""
    home.mkdir(parents=True, exist_ok=True)
    return {**PREFECT_ENV, "PREFECT_HOME": str(home)}


def prime_prefect(env: Mapping[str, str]) -> None:
    """Make sure the ephemeral server's database exists before timing (creating it also
    migrates it: seconds that no later start pays). Cheap to skip when it already exists."""
    if (Path(env["PREFECT_HOME"]) / "prefect.db").exists():
        return
    code = "from prefect import flow\nflow(name='prime')(lambda: None)()\n"
    _run([sys.executable, "-c", code], env, "priming Prefect's ephemeral database")


def run_worker(spec: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """Run one ``bench.worker`` task; returns the JSON line it prints."""
    output = _run(
        [sys.executable, "-m", "bench.worker", json.dumps(spec)], env, f"worker {spec['task']}"
    )
    try:
        result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        raise BenchmarkError(f"worker {spec['task']} printed no result: {output[-500:]!r}") from exc
    return result


def _run(command: list[str], env: Mapping[str, str], what: str) -> str:
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=full_env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchmarkError(
            f"{what} failed (exit {done.returncode}): {done.stderr.strip()[-1500:]}"
        )
    return done.stdout
