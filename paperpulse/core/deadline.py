"""How long a run may still take, and whether the process was told to stop.

Every wait of a run ends at the first of: its own limit (one request's deadline, a server's
Retry-After), the run's deadline (``RunBudget``: ``PAPERPULSE_RUN_DEADLINE``), or a stop
(``request_stop``: SIGTERM/SIGINT). Waits that cannot be cut short from outside (a socket
stuck in ``recv``, a library call we do not control) are bounded by ``hard_deadline``, whose
watchdog thread acts (closes the socket) when time is up or a stop is asked.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta

from paperpulse.core.clock import utc_now
from paperpulse.core.errors import PaperpulseError

# Process-wide: a signal stops every run of the process, whatever thread waits where.
STOP = threading.Event()
_reason: list[str] = []
TICK = 0.25  # seconds: how soon a watchdog or a sliced wait notices a stop


class Stopped(PaperpulseError):
    """The run was told to stop (a signal) or its deadline passed; nothing more is started."""


def request_stop(reason: str) -> None:
    """Every wait of the process ends now (a signal handler calls this)."""
    if not STOP.is_set():
        _reason[:] = [reason]
    STOP.set()


def stop_reason() -> str | None:
    return _reason[0] if STOP.is_set() and _reason else None


def retry_at(seconds: float) -> str:
    """``seconds`` from now as a UTC wall-clock time, for "retry after ..." messages."""
    try:
        when = utc_now() + timedelta(seconds=seconds)
    except OverflowError:
        return "a very long time (the server asked for an absurd wait)"
    return when.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(slots=True, kw_only=True)
class RunBudget:
    """The time a run has: ``seconds`` from its start (None: no limit but a stop)."""

    seconds: float | None = None
    setting: str = "PAPERPULSE_RUN_DEADLINE"
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        if STOP.is_set():
            return 0.0
        if self.seconds is None:
            return math.inf
        return self.started + self.seconds - time.monotonic()

    def why_over(self) -> str | None:
        """None while there is time left; else why the run is over, in one phrase."""
        if (reason := stop_reason()) is not None:
            return f"stopped by {reason}"
        if self.seconds is not None and self.remaining() <= 0:
            return f"the run deadline passed ({self.setting}={self.seconds:g} s)"
        return None

    def check(self, what: str) -> None:
        """Raise ``Stopped`` naming ``what`` was not done, if the run is over."""
        if (why := self.why_over()) is not None:
            raise Stopped(f"{what} not done: {why}")


NO_LIMIT = RunBudget()


class StoppableClock:
    """The system clock whose sleeps end early, raising ``Stopped``, when a stop is asked."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0 and STOP.wait(seconds):
            raise Stopped(f"wait cut short: stopped by {stop_reason() or 'a signal'}")


@contextmanager
def hard_deadline(seconds: float, on_expiry: Callable[[], None]) -> Iterator[Callable[[], bool]]:
    """Call ``on_expiry`` from a watchdog thread once ``seconds`` pass or a stop is asked,
    unless the block ended first (e.g. shut a socket down: a thread stuck in ``recv`` then
    returns at once). Yields a function telling whether the watchdog fired."""
    done = threading.Event()
    fired = threading.Event()
    end = time.monotonic() + max(0.0, seconds)

    def watch() -> None:
        while not done.wait(min(TICK, max(0.0, end - time.monotonic()))):
            if STOP.is_set() or time.monotonic() >= end:
                fired.set()
                with suppress(Exception):  # best effort: the caller sees `fired`
                    on_expiry()
                return

    watchdog = threading.Thread(target=watch, name="deadline", daemon=True)
    watchdog.start()
    try:
        yield fired.is_set
    finally:
        done.set()
