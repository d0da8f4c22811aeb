"""Per-host pacing shared by every thread: connection limits, intervals, RateLimit headers.

Pure stdlib and clock-driven, so the rules can be proven with a fake clock: arXiv's API gets one
connection and 3 s between requests, its listing pages 15 s, and Hugging Face stays 5% under its
published limit even when it sends no hints, and spreads the quota its ``RateLimit`` header
reports over the time left in the window instead of running into 429.
"""

from __future__ import annotations

import dataclasses
import email.utils
import math
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC

from paperpulse.core.clock import Clock, utc_now
from paperpulse.core.errors import ConfigError

# Published limits a client without server hints must stay under (requests, per seconds).
HF_ANONYMOUS_LIMIT = (500, 300.0)  # Hugging Face: 500 requests per 5 minutes without a token
HF_TOKEN_LIMIT = (1000, 300.0)  # and 1,000 with one
MARGIN = 0.05  # stay 5% under a limit: arrivals jitter, and retries count too


def spacing(limit: tuple[int, float], margin: float = MARGIN) -> float:
    """Seconds between request starts that keep every window of ``limit[1]`` seconds under
    ``limit[0]`` requests, whatever the window's phase (sliding or fixed)."""
    requests, seconds = limit
    return seconds / (requests * (1 - margin))


def hf_spacing(token: str | None) -> float:
    return spacing(HF_TOKEN_LIMIT if token else HF_ANONYMOUS_LIMIT)


@dataclass(frozen=True, slots=True, kw_only=True)
class HostPolicy:
    min_interval: float = 0.0  # seconds between request starts; also the floor of RateLimit pacing
    max_connections: int = 4
    use_ratelimit_headers: bool = False

    def __post_init__(self) -> None:
        if self.min_interval < 0 or self.max_connections < 1:
            raise ConfigError(f"{self}: min_interval must be >= 0 and max_connections >= 1")

    def stricter(self, other: HostPolicy) -> HostPolicy:
        """The policy obeying both: used when two sources share one host (a replay server)."""
        return HostPolicy(
            min_interval=max(self.min_interval, other.min_interval),
            max_connections=min(self.max_connections, other.max_connections),
            use_ratelimit_headers=self.use_ratelimit_headers or other.use_ratelimit_headers,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class HostStats:
    requests: int = 0  # attempts sent, retries and redirect hops included
    retries: int = 0
    throttled: int = 0  # 429 responses
    bytes: int = 0  # decoded body bytes received
    waited: float = 0.0  # seconds slept for pacing, Retry-After and backoff
    interval: float = 0.0  # current spacing between request starts


class WaitTooLong(Exception):  # a signal to the client, which words the error
    """The host asks to wait longer than the caller may: it is given up on at once."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"{seconds:.0f} s")
        self.seconds = seconds


def parse_ratelimit(ratelimit: str | None, policy: str | None = None) -> tuple[int, float] | None:
    """``(remaining, seconds_to_reset)`` from ``RateLimit: "api";r=2;t=60``, else None.

    When ``t`` is missing the window ``w`` of ``RateLimit-Policy`` stands in for it.
    """
    fields = dict(re.findall(r"(?:^|[;,\s])([rt])=(\d+(?:\.\d+)?)", ratelimit or ""))
    window = dict(re.findall(r"(?:^|[;,\s])(w)=(\d+(?:\.\d+)?)", policy or "")).get("w")
    reset = fields.get("t", window)
    if "r" not in fields or reset is None:
        return None
    return int(float(fields["r"])), float(reset)


def parse_retry_after(value: str | None, date_header: str | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (delay-seconds or HTTP-date), else None.

    An HTTP-date is measured against the response's own ``Date`` header when present, so a
    skewed local clock does not shorten or stretch the wait.
    """
    if not value:
        return None
    try:
        seconds = float(value.strip())
        if math.isfinite(seconds):
            return max(0.0, seconds)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        now = email.utils.parsedate_to_datetime(date_header) if date_header else utc_now()
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None or now.tzinfo is None:
        when, now = when.replace(tzinfo=UTC), now.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class HostGate:
    """One host's connection limit and pacing, shared by every thread.

    A thread first takes one of the host's connections, then reserves the next start time
    under the lock and sleeps outside it, so threads queue up ``interval`` apart without
    holding the lock while sleeping. A block (Retry-After, RateLimit exhausted) moves every
    later reservation past it; a thread whose slot fell inside a block reserves again.
    """

    def __init__(self, policy: HostPolicy, clock: Clock) -> None:
        self.policy = policy
        self._clock = clock
        self._connections = threading.BoundedSemaphore(policy.max_connections)
        self._lock = threading.Lock()
        self._interval = policy.min_interval
        self._next_start = -math.inf
        self._blocked_until = -math.inf
        self._counters = _Counters()

    @contextmanager
    def turn(self, max_wait: float = math.inf) -> Iterator[None]:
        """Wait for the host's next slot; ``WaitTooLong`` at once if it is more than
        ``max_wait`` away (a RateLimit ``t`` of a day must not hold a run for a day)."""
        with self._connections:
            with self._lock:
                slot = self._reserve()
            while True:
                wait = slot - self._clock.monotonic()
                if wait > max_wait:
                    with self._lock:  # the slot is not taken: give it back to the next thread
                        if self._next_start == slot + self._interval:
                            self._next_start = slot
                    raise WaitTooLong(wait)
                self.sleep(wait)
                with self._lock:
                    if self._blocked_until <= slot:
                        break
                    slot = self._reserve()
            yield

    def _reserve(self) -> float:
        slot = max(self._clock.monotonic(), self._next_start, self._blocked_until)
        self._next_start = slot + self._interval
        return slot

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._clock.sleep(seconds)
            self.add(waited=seconds)

    def block(self, seconds: float) -> None:
        with self._lock:
            until = self._clock.monotonic() + seconds
            self._blocked_until = max(self._blocked_until, until)
            self._next_start = max(self._next_start, until)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Spread the remaining quota over the time left in the window."""
        if not self.policy.use_ratelimit_headers:
            return
        limit = parse_ratelimit(headers.get("ratelimit"), headers.get("ratelimit-policy"))
        if limit is None:
            return
        remaining, reset = limit
        if remaining <= 0:
            self.block(reset)
            return
        with self._lock:
            self._interval = max(self.policy.min_interval, reset / remaining)
            self._next_start = max(self._next_start, self._clock.monotonic() + self._interval)

    def add(
        self,
        *,
        requests: int = 0,
        retries: int = 0,
        throttled: int = 0,
        nbytes: int = 0,
        waited: float = 0.0,
    ) -> None:
        with self._lock:
            c = self._counters
            c.requests += requests
            c.retries += retries
            c.throttled += throttled
            c.bytes += nbytes
            c.waited += waited

    def snapshot(self) -> HostStats:
        with self._lock:
            return HostStats(interval=self._interval, **dataclasses.asdict(self._counters))


@dataclass(slots=True)
class _Counters:
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    bytes: int = 0
    waited: float = 0.0
