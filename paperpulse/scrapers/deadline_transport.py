"""An httpx transport whose every socket wait ends at the attempt's deadline or at a stop.

httpx's timeouts bound each socket operation, not a whole request: a server sending one header
line a second never trips a 30 s read timeout, and the body deadline (checked between chunks)
is never reached while headers still trickle. Here every read, write, connect and TLS
handshake of the attempt running on this thread gets at most the time left before the
attempt's deadline, read in slices of ``TICK`` so a stop (SIGTERM) is noticed at once: connect,
headers and body share one deadline.
"""

from __future__ import annotations

import math
import ssl
import threading
import time
import typing
from collections.abc import Iterator
from contextlib import contextmanager

import httpcore
import httpx

from paperpulse.core.deadline import STOP, TICK, Stopped, stop_reason

_local = threading.local()
_MIN_TIMEOUT = 0.001  # settimeout(0) would make the socket non-blocking


@contextmanager
def attempt_deadline(at: float) -> Iterator[None]:
    """Socket waits on this thread end by ``at`` (``time.monotonic``) while the block runs."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = at
    try:
        yield
    finally:
        _local.deadline = previous


def _left(timeout: float | None) -> float:
    deadline: float | None = getattr(_local, "deadline", None)
    left = math.inf if timeout is None else timeout
    if deadline is not None:
        left = min(left, deadline - time.monotonic())
    return left


def _check_stop() -> None:
    if STOP.is_set():
        raise Stopped(f"request cut short: stopped by {stop_reason() or 'a signal'}")


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    _check_stop()
    left = _left(timeout)
    if left <= 0:
        raise error("the attempt's deadline passed")
    return None if math.isinf(left) else max(left, _MIN_TIMEOUT)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        waited = 0.0
        while True:
            _check_stop()
            left = _left(None if timeout is None else timeout - waited)
            if left <= 0:
                raise httpcore.ReadTimeout("no data before the attempt's deadline")
            step = max(min(left, TICK), _MIN_TIMEOUT)
            began = time.monotonic()
            try:
                return self._inner.read(max_bytes, step)
            except httpcore.ReadTimeout:
                waited += time.monotonic() - began

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose sockets obey ``attempt_deadline`` and stops."""

    def __init__(self) -> None:
        super().__init__()
        # httpx offers no way to pass httpcore a network backend; its pool keeps one here.
        # Checked, so an httpx that moves it fails here (and in the tests), not silently.
        if not hasattr(self._pool, "_network_backend"):
            raise RuntimeError("httpx changed: the connection pool has no _network_backend")
        self._pool._network_backend = _Backend()
