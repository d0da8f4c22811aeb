"""The product's clocks, injected so tests never really sleep and can live through a month.

``Clock`` paces HTTP requests (monotonic time, sleep); ``WallClock`` says what time it is for
runs, windows, the reader's ledger and every "as of". ``SystemClock`` is both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class WallClock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real clock: ``time.monotonic``, ``time.sleep`` and UTC now."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ShiftedClock:
    """A wall clock that reads ``start`` at the real moment ``since`` (Unix seconds) and runs
    at real speed from there: a demo or test through the CLI can be "on" 2 Aug 2024
    (``PAPERPULSE_NOW``) with runs still ordered in time. Every process given the same
    ``since`` (``PAPERPULSE_NOW_SINCE``) reads the same clock, so a whole multi-process life
    (a run, then a ``digest`` in another process) stays in order; without it the clock starts
    when the process does."""

    start: datetime
    since: float = field(default_factory=time.time)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=max(0.0, time.time() - self.since))


def life_clock(start: datetime) -> dict[str, str]:
    """The environment that puts every process started with it on one clock reading ``start``
    now (``PAPERPULSE_NOW`` and ``PAPERPULSE_NOW_SINCE``): for demos and tests of lives."""
    return {"PAPERPULSE_NOW": start.isoformat(), "PAPERPULSE_NOW_SINCE": repr(time.time())}


def utc_now() -> datetime:
    """The system's UTC time: only for what is not the product's time (a log line, a parse
    outside any run); a run's moments come from its ``WallClock``."""
    return datetime.now(UTC)


SYSTEM_CLOCK = SystemClock()
