"""The polite HTTP client every source fetches through.

What "polite" means here, and where each rule lives:
  * an identifying User-Agent with a contact address (``HttpSettings.user_agent``);
  * only configured hosts, on every hop of a redirect (``HttpClient._check_allowed``);
  * per-host pacing and connection limits shared by all threads (``HostGate``): arXiv API one
    connection and 3 s between requests, arXiv listings 15 s, Hugging Face paced by its
    ``RateLimit`` header so the quota is spread over the window instead of ending in 429;
  * 429/503 ``Retry-After`` honoured host-wide; transient failures retried with exponential
    backoff and jitter, then raised as ``TransientFetchError``; permanent ones raised at once;
  * bodies streamed and capped; bearer tokens and extra headers (API keys such as Semantic
    Scholar's ``x-api-key``) sent only to their own host and never printed; a response that
    echoes one back (in its body or headers) has it masked (``core.redaction``) before anything
    reads it, so no parser, error message, database row or archive can ever hold it.
"""

from __future__ import annotations

import json as _json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

from paperpulse.core.clock import Clock, SystemClock
from paperpulse.core.errors import ConfigError, FetchError, ParseError, TransientFetchError
from paperpulse.core.redaction import longest_first, redact, redact_bytes
from paperpulse.scrapers.pacing import (
    HostGate,
    HostPolicy,
    HostStats,
    hf_spacing,
    parse_ratelimit,
    parse_retry_after,
)
from paperpulse.scrapers.redaction import SECRET_FILTER

__all__ = [
    "Clock",
    "Fetched",
    "HostPolicy",
    "HostStats",
    "HttpClient",
    "HttpSettings",
    "default_settings",
    "host_key",
]

log = logging.getLogger(__name__)

VERSION = "0.1"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TRANSIENT = frozenset({408, 429})  # plus every 5xx
_HINTS = {
    400: "the server rejected the request: check its parameters "
    "(the HF daily API answers 400 to an invalid or out-of-range date)",
    401: "authentication failed: check the token configured for this host (HF_TOKEN)",
    403: "access refused: do not retry (arXiv treats repeated requests after a 403 as abuse); "
    "check the URL and the contact in the User-Agent",
    404: "not found: check the URL or the identifier",
    410: "gone for good: remove it from the configuration",
}

_OTHER_HOSTS = HostPolicy(min_interval=1.0, max_connections=2)
DEFAULT_DEADLINE = 120.0  # seconds
# Headers the client sets itself: an extra header must not silently replace them.
_RESERVED_HEADERS = frozenset({"host", "user-agent", "authorization"})


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpSettings:
    contact: str = "ops@example.org"  # an e-mail address or URL the site operators can reach
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    # The whole of one attempt, connect to last byte: a server trickling its body (a byte
    # every few seconds never trips read_timeout) cannot hold a run forever.
    deadline: float = DEFAULT_DEADLINE
    max_bytes: int = 20 * 2**20
    max_retries: int = 3
    max_retry_after: float = 300.0  # a longer Retry-After gives up at once instead of blocking
    max_redirects: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    allowed_hosts: frozenset[str] = frozenset()  # host, or host:port when a port is given
    policies: Mapping[str, HostPolicy] = field(default_factory=dict)
    default_policy: HostPolicy = _OTHER_HOSTS  # for allowed hosts without a policy of their own
    bearer_tokens: Mapping[str, str] = field(default_factory=dict, repr=False)  # host -> token
    # host -> {header: value}; values are treated as secrets (API keys): never shown or logged.
    extra_headers: Mapping[str, Mapping[str, str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        problems = []
        if not self.contact.strip() or any(c in self.contact for c in "\r\n()"):
            problems.append("contact must be a non-empty e-mail address or URL")
        if min(self.connect_timeout, self.read_timeout, self.deadline) <= 0 or self.max_bytes <= 0:
            problems.append("timeouts, deadline and max_bytes must be positive")
        if min(self.max_retries, self.max_redirects, self.max_retry_after, self.backoff_base) < 0:
            problems.append("retry, redirect and backoff settings must be >= 0")
        if stray := sorted(set(self.bearer_tokens) - self.allowed_hosts):
            problems.append(f"bearer tokens configured for hosts not allowed: {stray}")
        if stray := sorted(set(self.extra_headers) - self.allowed_hosts):
            problems.append(f"extra headers configured for hosts not allowed: {stray}")
        for host, headers in self.extra_headers.items():
            if reserved := sorted(n for n in headers if n.lower() in _RESERVED_HEADERS):
                problems.append(
                    f"extra headers for {host} would replace headers the client sets: {reserved}"
                    " (use bearer_tokens for Authorization)"
                )
            if any(c in f"{n}{v}" for n, v in headers.items() for c in "\r\n"):
                problems.append(f"extra headers for {host} contain a line break")
        if problems:
            raise ConfigError("invalid HttpSettings: " + "; ".join(problems))

    @property
    def user_agent(self) -> str:
        contact = self.contact if ":" in self.contact else f"mailto:{self.contact}"
        return f"paperpulse/{VERSION} (+https://github.com/paperpulse; {contact})"

    def policy_for(self, host: str) -> HostPolicy:
        return self.policies.get(host, self.default_policy)


def host_key(url: httpx.URL) -> str:
    """``host`` or ``host:port``: two local replay servers can then have different policies."""
    return f"{url.host}:{url.port}" if url.port else url.host


def default_settings(
    *,
    hf_url: str = "https://huggingface.co",
    arxiv_url: str = "https://arxiv.org",
    arxiv_api_url: str = "http://export.arxiv.org",
    semantic_scholar_url: str = "https://api.semanticscholar.org",
    contact: str = "ops@example.org",
    hf_token: str | None = None,
    s2_api_key: str | None = None,
    hf_min_interval: float | None = None,
    deadline: float = DEFAULT_DEADLINE,
) -> HttpSettings:
    """Each source's policy, keyed by the host of its base URL (real site or replay server).

    ``hf_min_interval`` is the floor between HF requests when its RateLimit headers allow
    more; by default what keeps a client under HF's published limit (500 requests per
    5 minutes without a token: 0.63 s; 1,000 with ``hf_token``: 0.32 s).

    ``hf_token`` goes as a bearer token to Hugging Face only; ``s2_api_key`` as the
    ``x-api-key`` header to Semantic Scholar only (its documented way; a key raises the limits).
    """
    wanted = [
        (
            hf_url,
            HostPolicy(
                min_interval=hf_spacing(hf_token) if hf_min_interval is None else hf_min_interval,
                max_connections=4,
                use_ratelimit_headers=True,
            ),
        ),
        (arxiv_url, HostPolicy(min_interval=15.0, max_connections=1)),  # robots.txt Crawl-delay
        (arxiv_api_url, HostPolicy(min_interval=3.0, max_connections=1)),  # API terms of use
        (semantic_scholar_url, HostPolicy(min_interval=1.0, max_connections=1)),
    ]
    policies: dict[str, HostPolicy] = {}
    for base, policy in wanted:
        key = host_key(httpx.URL(base))
        policies[key] = policy.stricter(policies[key]) if key in policies else policy
    tokens = {host_key(httpx.URL(hf_url)): hf_token} if hf_token else {}
    extra = (
        {host_key(httpx.URL(semantic_scholar_url)): {"x-api-key": s2_api_key}} if s2_api_key else {}
    )
    return HttpSettings(
        contact=contact,
        allowed_hosts=frozenset(policies),
        policies=policies,
        bearer_tokens=tokens,
        extra_headers=extra,
        deadline=deadline,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Fetched:
    url: str  # the final URL, after redirects
    status: int
    content: bytes
    headers: Mapping[str, str]
    source: str
    redirected: bool = False

    def text(self) -> str:
        match = re.search(r"charset=[\"']?([\w.:-]+)", self.headers.get("content-type", ""))
        try:
            return self.content.decode(match.group(1) if match else "utf-8", errors="replace")
        except LookupError:  # an unknown charset name
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        if not self.content.strip():
            raise ParseError("empty body where JSON was expected", source=self.source, url=self.url)
        try:
            return _json.loads(self.content)
        except _json.JSONDecodeError as exc:
            where = f"line {exc.lineno} column {exc.colno}"
            raise ParseError(
                f"invalid JSON ({exc.msg} at {where})", source=self.source, url=self.url
            ) from exc
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"JSON body is not UTF-8 ({exc.reason})", source=self.source, url=self.url
            ) from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class _Hop:
    """One response that was neither retried nor failed in transport."""

    url: httpx.URL
    status: int
    headers: httpx.Headers
    content: bytes = b""
    excerpt: str = ""  # the start of an error body, for the message


class HttpClient:
    """Sync, thread-safe client: ``get`` returns a ``Fetched`` or raises a ``FetchError``."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        rng: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        # Called before every attempt, after this process's own pacing, with the host and its
        # policy: where several processes share a host's budget (Prefect global rate limits).
        self.permit: Callable[[str, HostPolicy], None] | None = None
        self._clock = clock or SystemClock()
        self._rng = rng or random.random  # jitter; tests inject a constant
        self._secrets = longest_first(
            [
                *settings.bearer_tokens.values(),
                *(v for headers in settings.extra_headers.values() for v in headers.values()),
            ]
        )
        SECRET_FILTER.register(self._secrets)  # httpcore logs response headers at DEBUG
        self._gates: dict[str, HostGate] = {}
        self._gates_lock = threading.Lock()
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            headers={"User-Agent": settings.user_agent},
            follow_redirects=False,  # followed by hand: each hop is checked and paced
        )

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    @property
    def stats(self) -> dict[str, HostStats]:
        with self._gates_lock:
            gates = dict(self._gates)
        return {host: gate.snapshot() for host, gate in gates.items()}

    def get(
        self, url: str, *, source: str, params: Mapping[str, str | int] | None = None
    ) -> Fetched:
        try:
            target = httpx.URL(url)
            if params:
                target = target.copy_merge_params(dict(params))
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL ({exc})", source=source, url=url) from exc
        self._check_allowed(target, source, "")
        redirected = False
        for _ in range(self.settings.max_redirects + 1):
            hop = self._fetch(target, source)
            if hop.status in _REDIRECTS and "location" in hop.headers:
                previous, target = target, target.join(hop.headers["location"])
                self._check_allowed(target, source, f" (redirected from {previous})")
                redirected = True
                continue
            if 200 <= hop.status < 300:
                return Fetched(
                    url=str(hop.url),
                    status=hop.status,
                    content=hop.content,
                    headers=hop.headers,
                    source=source,
                    redirected=redirected,
                )
            raise self._permanent(hop, source)
        raise FetchError(
            f"more than {self.settings.max_redirects} redirects; "
            "raise HttpSettings.max_redirects if this chain is legitimate",
            source=source,
            url=str(target),
        )

    def _check_allowed(self, target: httpx.URL, source: str, via: str) -> None:
        host = host_key(target)
        if target.scheme not in ("http", "https"):
            raise FetchError(
                f"scheme {target.scheme!r} is not http(s){via}", source=source, url=str(target)
            )
        if host not in self.settings.allowed_hosts:
            raise FetchError(
                f"host {host!r} is not allowed{via}; add it to HttpSettings.allowed_hosts "
                "(default_settings takes each source's base URL) if it is really a source",
                source=source,
                url=str(target),
            )

    def _gate(self, host: str) -> HostGate:
        with self._gates_lock:
            if host not in self._gates:
                self._gates[host] = HostGate(self.settings.policy_for(host), self._clock)
            return self._gates[host]

    def _fetch(self, target: httpx.URL, source: str) -> _Hop:
        """One hop, retried on transient failures; the host waits out any Retry-After."""
        gate = self._gate(host_key(target))
        attempt = 1
        while True:
            try:
                return self._attempt(target, source, gate)
            except TransientFetchError as exc:
                too_long = (exc.retry_after or 0.0) > self.settings.max_retry_after
                if attempt > self.settings.max_retries or too_long:
                    why = (
                        f"Retry-After {exc.retry_after:.0f} s exceeds "
                        f"HttpSettings.max_retry_after={self.settings.max_retry_after:.0f} s"
                        if too_long
                        else f"gave up after {attempt} attempts"
                    )
                    raise TransientFetchError(
                        f"{exc.args[0]}; {why}: retry later",
                        source=source,
                        url=exc.url,
                        status=exc.status,
                        retry_after=exc.retry_after,
                    ) from exc
                delay = exc.retry_after
                if delay is None:
                    base = self.settings.backoff_base * 2 ** (attempt - 1)
                    delay = min(self.settings.backoff_max, base) * (0.5 + 0.5 * self._rng())
                # Progress, not news: the run's one error line says how many attempts it took.
                log.info("%s; retry %d in %.1f s", exc, attempt, delay)
                gate.add(retries=1)
                if exc.retry_after is not None:
                    gate.block(delay)  # the server asked the whole host to wait, not one thread
                else:
                    gate.sleep(delay)
                attempt += 1

    def _attempt(self, target: httpx.URL, source: str, gate: HostGate) -> _Hop:
        headers = dict(self.settings.extra_headers.get(host_key(target), {}))
        if token := self.settings.bearer_tokens.get(host_key(target)):
            headers["Authorization"] = f"Bearer {token}"
        url = str(target)
        with gate.turn():
            if self.permit is not None:
                self.permit(host_key(target), gate.policy)
            gate.add(requests=1)
            # Real time, not self._clock: the deadline bounds real I/O (tests fake only sleeps).
            deadline = time.monotonic() + self.settings.deadline
            timeout = httpx.Timeout(
                min(self.settings.read_timeout, self.settings.deadline),
                connect=min(self.settings.connect_timeout, self.settings.deadline),
            )
            try:
                with self._client.stream(
                    "GET", target, headers=headers, timeout=timeout
                ) as response:
                    gate.observe(response.headers)
                    status = response.status_code
                    if status in _TRANSIENT or status >= 500:
                        raise self._transient_status(response, source, gate)
                    echoed = self._scrub_headers(response.headers)
                    if 200 <= status < 300:
                        body = self._read_capped(response, source, gate, deadline)
                        content = self._scrub(body)
                        return _Hop(url=target, status=status, headers=echoed, content=content)
                    excerpt = _excerpt(response, deadline) if status >= 400 else ""
                    return _Hop(url=target, status=status, headers=echoed, excerpt=excerpt)
            except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
                message = self._redact(f"request could not be sent ({type(exc).__name__}: {exc})")
                raise FetchError(message, source=source, url=url) from exc
            except httpx.TimeoutException as exc:
                message = f"timed out ({type(exc).__name__}): the server is slow or unreachable"
                raise TransientFetchError(message, source=source, url=url) from exc
            except httpx.TransportError as exc:  # resets, refused connections, truncated bodies
                message = self._redact(f"connection failed ({type(exc).__name__}: {exc})")
                raise TransientFetchError(message, source=source, url=url) from exc

    def _read_capped(
        self, response: httpx.Response, source: str, gate: HostGate, deadline: float
    ) -> bytes:
        limit = self.settings.max_bytes
        declared = response.headers.get("content-length", "")
        expected = int(declared) if declared.isdigit() else None
        chunks: list[bytes] = []
        size = 0
        if expected is None or expected <= limit:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    break
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise TransientFetchError(
                        f"no complete answer within HttpSettings.deadline="
                        f"{self.settings.deadline:g} s ({size} bytes arrived): the server is "
                        "trickling its body; raise PAPERPULSE_HTTP_DEADLINE if it is just slow",
                        source=source,
                        url=str(response.url),
                        status=response.status_code,
                    )
        if size > limit or (expected is not None and expected > limit):
            raise FetchError(
                f"response larger than HttpSettings.max_bytes={limit} bytes ({limit / 2**20:.1f}"
                " MiB); raise max_bytes if this source really serves bodies that large",
                source=source,
                url=str(response.url),
                status=response.status_code,
            )
        gate.add(nbytes=size)
        plain = response.headers.get("content-encoding", "identity") == "identity"
        if expected is not None and plain and size < expected:
            raise TransientFetchError(
                f"truncated body: {size} of {expected} bytes arrived",
                source=source,
                url=str(response.url),
                status=response.status_code,
            )
        return b"".join(chunks)

    def _transient_status(
        self, response: httpx.Response, source: str, gate: HostGate
    ) -> TransientFetchError:
        status = response.status_code
        retry_after = None
        if status in (429, 503):
            retry_after = parse_retry_after(
                response.headers.get("retry-after"), response.headers.get("date")
            )
        if status == 429:
            gate.add(throttled=1)
            if retry_after is None and gate.policy.use_ratelimit_headers:
                limit = parse_ratelimit(
                    response.headers.get("ratelimit"), response.headers.get("ratelimit-policy")
                )
                retry_after = limit[1] if limit else None
        return TransientFetchError(
            f"HTTP {status} {response.reason_phrase}".rstrip(),
            source=source,
            url=str(response.url),
            status=status,
            retry_after=retry_after,
        )

    def _permanent(self, hop: _Hop, source: str) -> FetchError:
        reason = httpx.codes.get_reason_phrase(hop.status)
        hint = _HINTS.get(hop.status, "the server refused the request; retrying will not help")
        said = f'; server said: "{hop.excerpt}"' if hop.excerpt else ""
        message = self._redact(f"HTTP {hop.status} {reason}: {hint}{said}")
        return FetchError(message, source=source, url=str(hop.url), status=hop.status)

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def _scrub(self, content: bytes) -> bytes:
        """The body without any secret a server echoed back (a debug endpoint, a proxy)."""
        return redact_bytes(content, self._secrets)

    def _scrub_headers(self, headers: httpx.Headers) -> httpx.Headers:
        if not any(secret in value for value in headers.values() for secret in self._secrets):
            return headers
        return httpx.Headers([(name, self._redact(value)) for name, value in headers.multi_items()])


def _excerpt(response: httpx.Response, deadline: float, limit: int = 160) -> str:
    """The start of an error body on one line (HF explains a 400 in it); empty if unreadable."""
    head = b""
    try:
        for chunk in response.iter_bytes():
            head += chunk
            if len(head) >= 2 * limit or time.monotonic() > deadline:
                break
    except httpx.HTTPError:
        return ""
    return " ".join(head.decode("utf-8", errors="replace").split())[:limit]
