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
    """A wall clock that starts at ``start`` and runs at real speed: a demo or test through the
    CLI can be "on" 2 Aug 2024 (``PAPERPULSE_NOW``) with runs still ordered in time."""

    start: datetime
    _origin: float = field(default_factory=time.monotonic)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._origin)


SYSTEM_CLOCK = SystemClock()
