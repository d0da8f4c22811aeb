"""`paperpulse` as a user runs it: real processes, a replay server, one line of output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from paperpulse.core.kinds import RunStatus, Source
from paperpulse.storage import Repository, create_engine
from tests.replay import Faults, ReplayServer

ROOT = Path(__file__).resolve().parents[2]
TOPICS = """
[[topics]]
name = "Video generation"
include = ["video generation", "video diffusion"]
exclude = ["survey"]
"""


def paperpulse(
    *args: str, env: dict[str, str], prefect: bool = False
) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it: plain by default; with ``prefect``, as a flow run on the
    session's test server (``PREFECT_API_URL`` set, as on a deployed machine)."""
    environ = {**os.environ, **env}
    environ.pop("PREFECT_API_URL", None)
    if prefect:
        from prefect.settings import PREFECT_API_URL

        environ["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    return subprocess.run(
        [sys.executable, "-m", "paperpulse.cli.main", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environ,
        timeout=300,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("paperpulse: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def env(workspace: Path) -> dict[str, str]:
    (workspace / "paperpulse.toml").write_text(TOPICS, encoding="utf-8")
    return {"PAPERPULSE_HF_MIN_INTERVAL": "0"}


def test_run_then_digest_deliver_and_explain(
    workspace: Path, shared_data: Path, env: dict[str, str]
) -> None:
    with ReplayServer(shared_data / "hf_api_daily") as server:
        env["PAPERPULSE_HF_URL"] = server.url
        run = paperpulse("run", "--date", "2024-08-01", env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines() == [
        "2024-08-01: 11 papers fetched, 11 new, 0 updated; "
        f"digest: {workspace / 'archive' / '2024' / '08' / '2024-08-01.md'}"
    ]

    html = workspace / "out" / "digest.html"
    digest = paperpulse(
        "digest", "--date", "2024-08-01", "--format", "html", "--out", str(html), env=env
    )
    assert digest.returncode == 0, digest.stderr
    assert "daily/2024-08-01" in digest.stdout and html.read_text().startswith("<!DOCTYPE html>")
    md = paperpulse("digest", "--date", "2024-08-01", env=env)
    assert "## Video generation" in md.stdout and "Tora:" in md.stdout

    deliver = paperpulse("deliver", "--date", "2024-08-01", env=env)
    assert deliver.returncode == 0, deliver.stderr
    assert "archive" in deliver.stdout and "unchanged" in deliver.stdout  # nothing new

    explain = paperpulse("topics", "explain", "2407.21705", env=env)
    assert explain.returncode == 0, explain.stderr
    assert "2407.21705 is in topic 'Video generation'" in explain.stdout
    assert "video generation" in explain.stdout.lower()

    unknown = paperpulse("topics", "explain", "2401.99999", env=env)
    assert unknown.returncode == 2
    assert "not in the database" in one_line_error(unknown)


def test_a_bad_date_from_hf_is_one_line_naming_the_url(
    workspace: Path, shared_data: Path, env: dict[str, str]
) -> None:
    with ReplayServer(
        shared_data / "hf_api_daily", faults=Faults(fail_dates={"2024-08-01": 400})
    ) as server:
        env["PAPERPULSE_HF_URL"] = server.url
        result = paperpulse("run", "--date", "2024-08-01", env=env)
    assert result.returncode == 1
    line = one_line_error(result)
    assert "400" in line and f"{server.url}/api/daily_papers" in line


def test_a_malformed_response_is_one_line_and_stores_nothing(
    workspace: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    data = tmp_path / "days"
    data.mkdir()
    (data / "2024-08-01.json").write_text(json.dumps([{"paper": {"id": "x", "title": "t"}}]))
    with ReplayServer(data) as server:
        env["PAPERPULSE_HF_URL"] = server.url
        result = paperpulse("run", "--date", "2024-08-01", env=env)
    assert result.returncode == 1
    assert "is not an arXiv id" in one_line_error(result)
    assert not (workspace / "archive" / "2024").exists()
    engine = create_engine(os.environ["PAPERPULSE_DATABASE_URL"])  # the workspace's database
    try:
        with engine.connect() as conn:
            stored = {
                table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("papers", "sightings", "deliveries", "shown")
            }
        runs = Repository(engine).runs()
    finally:
        engine.dispose()
    assert stored == {"papers": 0, "sightings": 0, "deliveries": 0, "shown": 0}
    # The ledger keeps the failure, so the next run heals the date.
    assert [(r.source, r.period, r.status) for r in runs] == [
        (Source.HF_DAILY, "2024-08-01", RunStatus.FAILED)
    ]
    assert "is not an arXiv id" in (runs[0].error or "")


def test_backfill_shows_progress_and_resumes(
    prefect: None, workspace: Path, shared_data: Path, env: dict[str, str]
) -> None:
    with ReplayServer(shared_data / "hf_api_daily") as server:
        env["PAPERPULSE_HF_URL"] = server.url
        # The first as a Prefect flow run (PREFECT_API_URL set), the second plain: one ledger.
        first = paperpulse(
            "backfill", "--start", "2024-08-01", "--end", "2024-08-05", env=env, prefect=True
        )
        again = paperpulse("backfill", "--start", "2024-08-01", "--end", "2024-08-05", env=env)
        bad = paperpulse("backfill", "--start", "2024-08-05", "--end", "2024-08-01", env=env)
    assert first.returncode == 0, first.stderr
    assert "5/5" in first.stdout + first.stderr  # the progress bar's last state
    assert first.stdout.strip().splitlines()[-1].startswith("backfill: ")
    assert again.returncode == 0 and "already complete" in again.stdout
    assert bad.returncode == 2 and "before --start" in one_line_error(bad)
