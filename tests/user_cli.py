"""The ``paperpulse`` command run as a user runs it: a real process in a workspace folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def workspace_env(workspace: Path) -> dict[str, str]:
    """Database, archive and config inside ``workspace``; email to the outbox unless set."""
    return {
        "PAPERPULSE_DATABASE_URL": f"sqlite:///{workspace / 'db.sqlite'}",
        "PAPERPULSE_ARCHIVE_DIR": str(workspace / "archive"),
        "PAPERPULSE_CONFIG": str(workspace / "paperpulse.toml"),
        "PAPERPULSE_OUTBOX_DIR": str(workspace / "outbox"),
    }


def run_cli(workspace: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "paperpulse.cli.main", *args],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **workspace_env(workspace), **env},
    )


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one ``paperpulse: ...`` line on stderr; no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("paperpulse: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]
