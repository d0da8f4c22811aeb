"""One-off commands run the plain pipeline: no Prefect imported or started, errors first.

Each test runs the command in a fresh interpreter (what a user gets) and then looks at which
modules it imported, so "no Prefect" is observed, not assumed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.replay import ReplayServer

ROOT = Path(__file__).resolve().parents[2]

# Runs main() and reports its exit code and whether heavy libraries were imported.
PROBE = """
import json, sys
from paperpulse.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in ("prefect", "sqlalchemy", "httpx", "jinja2") if m in sys.modules)
print(json.dumps({"code": code, "imported": heavy}), file=sys.stderr)
"""


def probe(*args: str, env: dict[str, str]) -> tuple[int, list[str], str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**environ, **env},
        timeout=300,
        check=False,
    )
    *stderr, last = result.stderr.strip().splitlines()
    report = json.loads(last)
    return report["code"], report["imported"], result.stdout, "\n".join(stderr)


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("paperpulse: error: ")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture
def env(workspace: Path) -> dict[str, str]:
    return {
        "PAPERPULSE_DATABASE_URL": f"sqlite:///{workspace / 'db.sqlite'}",
        "PAPERPULSE_ARCHIVE_DIR": str(workspace / "archive"),
        "PAPERPULSE_CONFIG": str(workspace / "paperpulse.toml"),
        "PAPERPULSE_HF_MIN_INTERVAL": "0",
        "PREFECT_HOME": str(workspace / "prefect-home"),
    }


def test_run_is_plain_python_without_prefect(
    workspace: Path, shared_data: Path, env: dict[str, str]
) -> None:
    with ReplayServer(shared_data / "hf_api_daily") as server:
        env["PAPERPULSE_HF_URL"] = server.url
        code, imported, out, err = probe("run", "--date", "2024-08-01", env=env)
    assert code == 0, err
    assert "prefect" not in imported and "sqlalchemy" in imported
    assert out.startswith("2024-08-01: 11 papers fetched, 11 new, 0 updated; digest: ")
    assert (workspace / "archive" / "2024" / "08" / "2024-08-01.md").exists()
    assert not (workspace / "prefect-home").exists()  # no Prefect database, no server


def test_backfill_is_plain_and_resumes(
    workspace: Path, shared_data: Path, env: dict[str, str]
) -> None:
    with ReplayServer(shared_data / "hf_api_daily") as server:
        env["PAPERPULSE_HF_URL"] = server.url
        first = probe("backfill", "--start", "2024-08-01", "--end", "2024-08-03", env=env)
        again = probe("backfill", "--start", "2024-08-01", "--end", "2024-08-03", env=env)
    assert first[0] == 0 and "prefect" not in first[1], first[3]
    assert first[2].strip().splitlines()[-1].startswith("backfill: ")
    assert again[0] == 0 and "already complete" in again[2]


def test_a_config_typo_is_exit_2_before_anything_heavy(
    workspace: Path, env: dict[str, str]
) -> None:
    (workspace / "paperpulse.toml").write_text('[[topics]]\nname = "x"\nexlude = ["y"]\n')
    for args in (
        ["run"],
        ["run", "--prefect"],
        ["backfill", "--start", "2024-08-01", "--end", "2024-08-02"],
        ["serve"],
    ):
        code, imported, _, err = probe(*args, env=env)
        assert code == 2, (args, err)
        assert "paperpulse.toml" in one_line(err) and "exlude" in err
        assert imported == [], (args, imported)  # no Prefect, no database, no HTTP client


def test_a_bad_environment_variable_is_exit_2(env: dict[str, str]) -> None:
    code, imported, _, err = probe("run", env={**env, "PAPERPULSE_HF_URL": "ftp://x"})
    assert code == 2 and "PAPERPULSE_HF_URL" in one_line(err) and imported == []


def test_an_unreachable_prefect_api_is_one_line_saying_what_to_do(
    workspace: Path, env: dict[str, str]
) -> None:
    env["PREFECT_API_URL"] = "http://127.0.0.1:9/api"  # discard port: nothing listens
    code, imported, _, err = probe("run", "--date", "2024-08-01", env=env)
    assert code == 1 and "prefect" in imported
    line = one_line(err)
    assert "cannot reach the Prefect API at http://127.0.0.1:9/api" in line
    assert "unset PREFECT_API_URL" in line


def test_a_prefect_server_that_does_not_start_in_time_names_the_setting(
    workspace: Path, env: dict[str, str]
) -> None:
    """--prefect without a server starts a temporary one; given no time at all, it fails as it
    does on a busy machine, and the user is told which setting to raise."""
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "0"
    code, _, _, err = probe("run", "--prefect", "--date", "2024-08-01", env=env)
    assert code == 1
    assert "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" in one_line(err)
    assert not (workspace / "archive" / "2024").exists()
