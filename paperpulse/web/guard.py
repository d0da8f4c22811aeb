"""ASGI middleware that every response passes: security headers, bounded request bodies,
a per-client rate limit, and same-origin POSTs.

CSRF: no cookie or session authorises anything here; a state change needs the signed token
in its URL. A browser's cross-site POST is refused all the same (``Origin`` /
``Sec-Fetch-Site``); a mail provider's RFC 8058 POST, made server-side, carries neither.
The rate limit is kept per replica, in memory (a token bucket per client address, the
oldest clients forgotten past ``MAX_CLIENTS``): a proxy in front may add a global one.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
App = Callable[[Scope, Receive, Send], Any]

MAX_BODY = 16 * 1024  # bytes; every form here is a few fields
MAX_CLIENTS = 10_000
HEADERS: tuple[tuple[bytes, bytes], ...] = tuple(
    (k.encode(), v.encode())
    for k, v in (
        (
            "content-security-policy",
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        # Signed links sit in URLs: never hand them to another site in a Referer. Not
        # "no-referrer": with it a browser's own form POST says ``Origin: null``.
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    )
)


async def _reply(
    send: Send, status: int, text: str, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *HEADERS,
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class Guard:
    def __init__(
        self,
        app: App,
        *,
        rate_per_minute: int,
        base_url: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app = app
        self._rate = rate_per_minute / 60.0
        self._burst = float(rate_per_minute)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._clock = clock
        self._origin = _origin(base_url) if base_url else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        if not self._admit(client):
            await _reply(send, 429, "Too many requests; wait a minute.", ((b"retry-after", b"60"),))
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if scope["method"] == "POST" and not self._same_origin(scope, headers):
            await _reply(send, 403, "Cross-site requests are refused.")
            return
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            await _reply(send, 413, "Request too large.")
            return
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message: Message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY:
                raise _TooLarge
            return message

        started = False

        async def secured(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        try:
            await self._app(scope, bounded, secured)
        except _TooLarge:
            if not started:
                await _reply(send, 413, "Request too large.")

    def _admit(self, client: str) -> bool:
        now = self._clock()
        tokens, last = self._buckets.pop(client, (self._burst, now))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        allowed = tokens >= 1.0
        self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)
        return allowed

    def _same_origin(self, scope: Scope, headers: dict[str, str]) -> bool:
        if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return False
        origin = headers.get("origin")
        if origin is None:
            return True  # not a browser form post (a mail provider's one-click POST)
        own = {f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"}
        if self._origin:
            own.add(self._origin)
        return origin in own


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
