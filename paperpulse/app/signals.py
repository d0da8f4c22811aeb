"""SIGTERM and SIGINT end any command within ``GRACE`` seconds, its runs marked, in one line.

The handler asks every wait of the process to stop (``core.deadline.request_stop``: requests,
pacing sleeps, SMTP and chat watchdogs) and unwinds the main thread, whose caller prints one
line. Worker threads then close their own runs as failed. One stuck where no stop reaches it
(a library call we do not control) would keep the interpreter from exiting, so a watchdog
marks this process's open runs and ends the process once ``GRACE`` has passed.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from types import FrameType

from paperpulse.core.clock import utc_now
from paperpulse.core.deadline import STOP, request_stop, stop_reason

# Marks the runs this process left open in one database, failed with a reason at a time.
MarkOpenRuns = Callable[[str, datetime], int]

GRACE = 8.0  # seconds from the signal to a forced exit: under the 10 s a supervisor allows
MARK_TIMEOUT = 1.5  # seconds the last-resort marking may take (a locked database)

_databases: dict[object, MarkOpenRuns] = {}
_said = threading.Event()


class Signalled(SystemExit):
    """SIGTERM: a normal exit (Prefect stops its temporary server with us), told apart."""


def watch(database: object, mark: MarkOpenRuns) -> None:
    """Runs started in ``database`` are marked failed by ``mark`` if the process is stopped
    (``storage.open_runs.fail_open_runs`` bound to its engine)."""
    _databases.setdefault(database, mark)


def install() -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not STOP.is_set():
            request_stop(name)
            threading.Thread(
                target=_last_resort, args=(128 + signum,), name="stop-watchdog", daemon=True
            ).start()
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Signalled(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def mark_open_runs() -> int:
    """Close this process's "running" runs as failed; how many. Bounded by MARK_TIMEOUT."""
    counted: list[int] = []
    reason = f"stopped by {stop_reason() or 'a signal'} before it finished"

    def mark() -> None:
        now = utc_now()  # the watcher may keep its own clock (Context: the product's)
        for fail_open_runs in list(_databases.values()):
            try:
                counted.append(fail_open_runs(reason, now))
            except Exception:  # the next run's start closes it anyway
                continue

    worker = threading.Thread(target=mark, name="mark-runs", daemon=True)
    worker.start()
    worker.join(MARK_TIMEOUT)
    return sum(counted)


def stopped_line(marked: int) -> str:
    runs = f"{marked} run(s) in progress marked failed; " if marked else ""
    return (
        f"paperpulse: stopped by {stop_reason() or 'a signal'}; {runs}"
        "run the same command again to finish what was left"
    )


def say_stopped() -> None:
    """The one line a stopped command prints (once, whoever gets there first)."""
    if _said.is_set():
        return
    _said.set()
    print(stopped_line(mark_open_runs()), file=sys.stderr, flush=True)


def _last_resort(code: int) -> None:
    time.sleep(GRACE)
    # Still alive: a thread is stuck where no stop reaches it. Its run is marked, then we go.
    say_stopped()
    sys.stdout.flush()
    os._exit(code)
