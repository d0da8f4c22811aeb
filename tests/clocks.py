"""The tests' one fake monotonic clock (``core.clock.Clock``): nothing really sleeps."""

from __future__ import annotations

import threading


class FakeClock:
    """Time moves only when code sleeps on it (or ``advance``s it); every sleep is kept.

    ``per_thread=True`` gives each thread its own time, advanced only by its own sleeps: a
    request's fake time is then exactly the moment pacing let it start, whatever order the OS
    runs the threads in (one shared time would mix one thread's sleep into another's start).
    Keep the default, one shared time, when another thread (a replay server) reads the clock
    to see how much time the client let pass.
    """

    def __init__(self, *, per_thread: bool = False) -> None:
        self._shared = 0.0
        self._local = threading.local() if per_thread else None
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    @property
    def now(self) -> float:
        if self._local is None:
            return self._shared
        now: float = getattr(self._local, "now", 0.0)
        return now

    @now.setter
    def now(self, value: float) -> None:
        if self._local is None:
            self._shared = value
        else:
            self._local.now = value

    def monotonic(self) -> float:
        return self.now

    def monotonic_ns(self) -> int:
        """Nanoseconds, as ``time.perf_counter_ns`` gives them (the benchmark harness's clock)."""
        return round(self.now * 1e9)

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"slept {seconds} s"
        with self._lock:
            self.now += seconds
            self.sleeps.append(seconds)

    def advance(self, seconds: float) -> None:
        """Let time pass without a sleep: work that took this long."""
        with self._lock:
            self.now += seconds
