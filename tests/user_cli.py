"""The ``paperpulse`` command run as a user runs it: a real process in a workspace folder."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
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


def store_days(workspace: Path, *days: date) -> None:
    """The workspace's database holds a listing of three papers for each of ``days`` (a date
    never fetched is not mailed: nothing of it would reach a reader)."""
    from tests.contexts import repository
    from tests.storage.builders import make_listing, make_paper, save

    repo = repository(workspace_env(workspace)["PAPERPULSE_DATABASE_URL"])
    for day in days:
        stamp = f"{day:%y%m}.{day.day:02d}"
        papers = [make_paper(f"{stamp}{n:03d}", list_date=day) for n in range(1, 4)]
        fetched = datetime.combine(day + timedelta(days=1), time(6), UTC)
        save(repo, make_listing(papers, period=day.isoformat()), fetched)
