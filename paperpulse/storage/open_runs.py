"""Close this process's runs that are still "running" when it is told to stop.

A worker thread stuck where no stop reaches it cannot close its own run; the signal watchdog
calls this before the process exits, so no row of a stopped command stays "running".
"""

from __future__ import annotations

import os
import socket
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from paperpulse.core.kinds import RunStatus
from paperpulse.storage.schema import Base


def this_process() -> str:
    """The ``owner`` the ledger stamps on runs started here."""
    return f"{socket.gethostname()}:{os.getpid()}"


def fail_open_runs(engine: Engine, error: str, at: datetime) -> int:
    """Mark every run this process left "running" as failed with ``error``; how many."""
    runs = Base.metadata.tables["runs"]
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(runs)
            .where(runs.c.status == RunStatus.RUNNING, runs.c.owner == this_process())
            .values(status=RunStatus.FAILED, error=error, finished_at=at)
        )
    return int(result.rowcount or 0)
