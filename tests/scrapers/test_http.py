"""The polite HTTP client: every outcome through a mock transport, time through a fake clock."""

from __future__ import annotations

import itertools
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperpulse.core.errors import ConfigError, FetchError, ParseError, TransientFetchError
from paperpulse.core.redaction import MASK
from paperpulse.scrapers.http import Fetched, HttpClient, HttpSettings, default_settings
from paperpulse.scrapers.pacing import HostPolicy, hf_spacing, parse_ratelimit, parse_retry_after

TOKEN = "hf_SECRETsecret1234567890"
HF = "https://huggingface.co/api/daily_papers"
HF_DAY = "https://huggingface.co/papers/date/2024-06-01"
ARXIV_API = "http://export.arxiv.org/api/query"
ARXIV_LIST = "https://arxiv.org/list/cs.CL/recent"
S2 = "https://api.semanticscholar.org/graph/v1/author/2110000001"
S2_KEY = "s2-KEYkey0987654321"


class FakeClock:
    """Each thread has its own fake time, advanced only by its own sleeps.

    A request's fake time is then exactly the moment pacing let it start, whatever order the
    OS runs the threads in (one shared counter would mix one thread's sleep into another's
    start). Single-threaded tests see an ordinary fake clock.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        now: float = getattr(self._local, "now", 0.0)
        return now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self._local.now = self.monotonic() + seconds
        with self._lock:
            self.sleeps.append(seconds)


Handler = Callable[[httpx.Request], httpx.Response]
Connect = Callable[..., "tuple[HttpClient, Server]"]


@dataclass
class Server:
    """Answers with ``handler`` and records each request, its fake time and the concurrency."""

    clock: FakeClock
    handler: Handler
    requests: list[httpx.Request] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            self.times.append(self.clock.monotonic())
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return self.handler(request)
        finally:
            with self.lock:
                self.in_flight -= 1


def script(*outcomes: httpx.Response | Exception) -> Handler:
    """A handler returning (or raising) the given outcomes in order."""
    pending = list(outcomes)

    def handler(request: httpx.Request) -> httpx.Response:
        outcome = pending.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return handler


def ok(body: bytes = b"[]", headers: dict[str, str] | None = None, **more: str) -> httpx.Response:
    return httpx.Response(200, content=body, headers={**(headers or {}), **more})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def connect(clock: FakeClock) -> Iterator[Connect]:
    clients: list[HttpClient] = []

    def make(
        handler: Handler, *, settings: HttpSettings | None = None
    ) -> tuple[HttpClient, Server]:
        server = Server(clock, handler)
        settings = settings or default_settings(contact="ops@example.org", hf_token=TOKEN)
        client = HttpClient(
            settings,
            transport=httpx.MockTransport(server),
            clock=clock,
            rng=lambda: 0.5,
        )
        clients.append(client)
        return client, server

    yield make
    for client in clients:
        client.close()


# --- outcomes ---------------------------------------------------------------------------------


def test_200_returns_body_params_and_stats(connect: Connect) -> None:
    client, server = connect(script(ok(b'[{"paper": {"id": "2406.00001"}}]')))
    got = client.get(HF, source="hf_daily", params={"date": "2024-06-01", "limit": 100})
    assert got.status == 200 and not got.redirected
    assert got.json() == [{"paper": {"id": "2406.00001"}}]
    assert server.requests[0].url.params["date"] == "2024-06-01"
    assert server.requests[0].url.params["limit"] == "100"
    stats = client.stats["huggingface.co"]
    assert (stats.requests, stats.retries, stats.bytes) == (1, 0, len(got.content))


def test_empty_body_is_returned_and_json_names_the_problem(connect: Connect) -> None:
    client, _ = connect(script(ok(b"")))
    got = client.get(HF, source="hf_daily")
    assert got.content == b"" and got.text() == ""
    with pytest.raises(ParseError, match="empty body") as info:
        got.json()
    assert (info.value.source, info.value.url) == ("hf_daily", HF)


def test_invalid_json_says_where() -> None:
    fetched = Fetched(url=HF, status=200, content=b'{"a": ', headers={}, source="hf_daily")
    with pytest.raises(ParseError, match="line 1 column 7"):
        fetched.json()


def test_text_uses_declared_charset() -> None:
    body = "Café".encode("latin-1")
    headers = {"content-type": "text/html; charset=ISO-8859-1"}
    assert Fetched(url=HF, status=200, content=body, headers=headers, source="s").text() == "Café"


@pytest.mark.parametrize(
    ("status", "hint"),
    [(400, "invalid or out-of-range date"), (401, "HF_TOKEN"), (403, "do not retry"),
     (404, "not found"), (410, "gone"), (418, "retrying will not help")],
)  # fmt: skip
def test_permanent_errors_raise_at_once(connect: Connect, status: int, hint: str) -> None:
    body = b'{"error": "Invalid date"}' if status == 400 else b""
    client, server = connect(lambda _: httpx.Response(status, content=body))
    with pytest.raises(FetchError) as info:
        client.get(HF, source="hf_daily", params={"date": "2024-13-45"})
    error = info.value
    assert not isinstance(error, TransientFetchError)
    assert error.status == status and error.source == "hf_daily" and "2024-13-45" in error.url
    assert f"HTTP {status}" in str(error) and hint in str(error) and "\n" not in str(error)
    assert len(server.requests) == 1
    if status == 400:
        assert "Invalid date" in str(error)


# --- retries ----------------------------------------------------------------------------------


def test_429_retry_after_seconds_then_200(clock: FakeClock, connect: Connect) -> None:
    client, server = connect(script(httpx.Response(429, headers={"retry-after": "7"}), ok()))
    assert client.get(ARXIV_API, source="arxiv_api").status == 200
    assert server.times == [0.0, 7.0]
    stats = client.stats["export.arxiv.org"]
    assert (stats.requests, stats.retries, stats.throttled, stats.waited) == (2, 1, 1, 7.0)


def test_429_retry_after_http_date_is_measured_against_the_date_header(
    connect: Connect,
) -> None:
    headers = {
        "date": "Sat, 01 Jun 2024 12:00:00 GMT",
        "retry-after": "Sat, 01 Jun 2024 12:00:30 GMT",
    }
    client, server = connect(script(httpx.Response(429, headers=headers), ok()))
    client.get(HF, source="hf_daily")
    assert server.times == [0.0, 30.0]


def test_retry_after_longer_than_the_cap_gives_up_at_once(connect: Connect) -> None:
    client, server = connect(lambda _: httpx.Response(503, headers={"retry-after": "3600"}))
    with pytest.raises(TransientFetchError, match="max_retry_after") as info:
        client.get(HF, source="hf_daily")
    assert (info.value.status, info.value.retry_after, len(server.requests)) == (503, 3600.0, 1)


def test_503_then_200_backs_off_with_jitter(clock: FakeClock, connect: Connect) -> None:
    client, _ = connect(script(httpx.Response(503), ok()))
    assert client.get(HF, source="hf_daily").status == 200
    assert clock.sleeps == [0.75]  # backoff_base 1 s * (0.5 + 0.5 * rng 0.5)


def test_repeated_503_raises_transient_after_max_retries(
    clock: FakeClock, connect: Connect
) -> None:
    client, server = connect(lambda _: httpx.Response(503))
    with pytest.raises(TransientFetchError, match="gave up after 4 attempts") as info:
        client.get(HF, source="hf_daily")
    assert info.value.status == 503 and info.value.retry_after is None
    assert info.value.source == "hf_daily" and info.value.url == HF
    assert len(server.requests) == 4 and clock.sleeps == [0.75, 1.5, 3.0]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=["read-timeout", "connect-timeout", "reset", "disconnect"],
)
def test_transport_failures_are_retried(connect: Connect, failure: Exception) -> None:
    client, server = connect(script(failure, ok(b"[2]")))
    assert client.get(HF, source="hf_daily").json() == [2]
    assert client.stats["huggingface.co"].retries == 1 and len(server.requests) == 2


def test_persistent_timeout_raises_transient(connect: Connect) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client, server = connect(timeout)
    with pytest.raises(TransientFetchError, match="timed out") as info:
        client.get(HF, source="hf_daily")
    assert info.value.status is None and len(server.requests) == 4


class _Truncated(httpx.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        yield b'[{"paper": '
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


def test_truncated_body_is_retried(connect: Connect) -> None:
    short = httpx.Response(200, content=b"[1,", headers={"content-length": "10"})
    client, server = connect(script(httpx.Response(200, stream=_Truncated()), short, ok(b"[3]")))
    assert client.get(HF, source="hf_daily").json() == [3]
    assert len(server.requests) == 3


# --- limits -----------------------------------------------------------------------------------


class _Chunks(httpx.SyncByteStream):
    def __init__(self, size: int) -> None:
        self.size = size
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        while self.sent < self.size:
            chunk = b"x" * min(1000, self.size - self.sent)
            self.sent += len(chunk)
            yield chunk


def test_size_cap_streams_and_aborts(connect: Connect) -> None:
    settings = HttpSettings(allowed_hosts=frozenset({"huggingface.co"}), max_bytes=5000)
    at_cap, over_cap = _Chunks(5000), _Chunks(10**9)
    client, server = connect(
        script(httpx.Response(200, stream=at_cap), httpx.Response(200, stream=over_cap)),
        settings=settings,
    )
    assert len(client.get(HF, source="hf_daily").content) == 5000
    with pytest.raises(FetchError, match="max_bytes=5000") as info:
        client.get(HF, source="hf_daily")
    assert not isinstance(info.value, TransientFetchError) and len(server.requests) == 2
    assert over_cap.sent <= 6000  # stopped reading just past the cap


def test_declared_oversize_is_refused_before_reading(connect: Connect) -> None:
    settings = HttpSettings(allowed_hosts=frozenset({"huggingface.co"}), max_bytes=100)
    body = _Chunks(500)
    client, _ = connect(
        script(httpx.Response(200, stream=body, headers={"content-length": "500"})),
        settings=settings,
    )
    with pytest.raises(FetchError, match="raise max_bytes"):
        client.get(HF, source="hf_daily")
    assert body.sent == 0


def test_disallowed_host_is_refused_before_any_request(connect: Connect) -> None:
    client, server = connect(script())
    with pytest.raises(FetchError, match=r"'example\.com' is not allowed.*allowed_hosts") as info:
        client.get("https://example.com/feed", source="blog")
    assert (info.value.source, info.value.url, server.requests) == (
        "blog", "https://example.com/feed", [],
    )  # fmt: skip


def test_hosts_with_ports_are_distinct_and_get_the_policy_of_their_source() -> None:
    settings = default_settings(hf_url="http://127.0.0.1:8001", arxiv_url="http://127.0.0.1:8002")
    assert settings.policies["127.0.0.1:8001"].use_ratelimit_headers
    assert settings.policies["127.0.0.1:8002"].min_interval == 15.0
    assert "127.0.0.1" not in settings.allowed_hosts


def test_invalid_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="not allowed"):
        HttpSettings(bearer_tokens={"evil.example": TOKEN})
    with pytest.raises(ConfigError, match="contact"):
        HttpSettings(contact="")
    with pytest.raises(ConfigError, match="max_connections"):
        HostPolicy(max_connections=0)


# --- redirects --------------------------------------------------------------------------------


def test_redirect_to_papers_is_reported(connect: Connect) -> None:
    client, server = connect(
        script(httpx.Response(302, headers={"location": "/papers"}), ok(b"<html></html>"))
    )
    got = client.get(HF_DAY, source="hf_page")
    assert got.redirected and got.url == "https://huggingface.co/papers"
    assert [str(r.url) for r in server.requests] == [HF_DAY, "https://huggingface.co/papers"]


def test_redirect_to_disallowed_host_is_refused(connect: Connect) -> None:
    client, server = connect(
        script(httpx.Response(301, headers={"location": "https://evil.example/x"}))
    )
    with pytest.raises(FetchError, match=r"'evil\.example' is not allowed \(redirected from"):
        client.get(HF, source="hf_daily")
    assert len(server.requests) == 1


def test_redirect_loop_is_bounded(connect: Connect) -> None:
    client, server = connect(lambda _: httpx.Response(302, headers={"location": HF}))
    with pytest.raises(FetchError, match="more than 5 redirects"):
        client.get(HF, source="hf_daily")
    assert len(server.requests) == 6


# --- identity and secrets ---------------------------------------------------------------------


def test_user_agent_and_bearer_only_to_its_host(connect: Connect) -> None:
    to_arxiv = httpx.Response(302, headers={"location": "https://arxiv.org/abs/2406.00001"})
    client, server = connect(script(ok(), ok(), to_arxiv, ok()))
    client.get(HF, source="hf_daily")
    client.get(ARXIV_API, source="arxiv_api")
    client.get(HF_DAY, source="hf_page")  # redirected from HF to arXiv
    agents = {r.headers["user-agent"] for r in server.requests}
    assert agents == {"paperpulse/0.1 (+https://github.com/paperpulse; mailto:ops@example.org)"}
    auth = [(r.url.host, r.headers.get("authorization")) for r in server.requests]
    assert auth == [
        ("huggingface.co", f"Bearer {TOKEN}"),
        ("export.arxiv.org", None),
        ("huggingface.co", f"Bearer {TOKEN}"),
        ("arxiv.org", None),
    ]


def test_token_never_appears_in_errors_logs_or_reprs(
    connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    def leaky(request: httpx.Request) -> httpx.Response:
        # A transport that quotes the request in its error, as a careless proxy might.
        raise httpx.ConnectError(f"refused: {request.headers['authorization']}")

    settings = default_settings(hf_token=TOKEN)
    client, _ = connect(leaky, settings=settings)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TransientFetchError) as transient:
        client.get(HF, source="hf_daily")
    client2, _ = connect(lambda _: httpx.Response(401, content=TOKEN.encode()), settings=settings)
    with pytest.raises(FetchError) as permanent:
        client2.get(HF, source="hf_daily")
    texts = [str(transient.value), repr(transient.value), str(permanent.value),
             repr(permanent.value), caplog.text, repr(settings), repr(client)]  # fmt: skip
    assert MASK in str(transient.value)  # the leak was there, and was redacted
    assert all(TOKEN not in text for text in texts)


def test_extra_headers_go_only_to_their_host_and_never_show(
    connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    def leaky(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.semanticscholar.org" and "fail" in request.url.path:
            raise httpx.ConnectError(f"refused: {request.headers.get('x-api-key')}")
        return ok()

    settings = default_settings(s2_api_key=S2_KEY)
    client, server = connect(leaky, settings=settings)
    caplog.set_level(logging.DEBUG)
    client.get(S2, source="semantic-scholar")
    client.get(ARXIV_API, source="arxiv_api")
    client.get(HF, source="hf_daily")
    with pytest.raises(TransientFetchError) as info:
        client.get(S2 + "/fail", source="semantic-scholar")
    keys = [(r.url.host, r.headers.get("x-api-key")) for r in server.requests[:3]]
    assert keys == [
        ("api.semanticscholar.org", S2_KEY),
        ("export.arxiv.org", None),
        ("huggingface.co", None),
    ]
    assert MASK in str(info.value)  # the transport quoted the key; the client redacted it
    texts = [str(info.value), repr(info.value), caplog.text, repr(settings), repr(client)]
    assert all(S2_KEY not in text for text in texts)
    assert "extra_headers" not in repr(settings)


def test_extra_headers_are_validated() -> None:
    with pytest.raises(ConfigError, match="extra headers configured for hosts not allowed"):
        HttpSettings(extra_headers={"evil.example": {"x-api-key": S2_KEY}})
    allowed = frozenset({"h.test"})
    with pytest.raises(ConfigError, match=r"replace headers the client sets: \['User-Agent'\]"):
        HttpSettings(allowed_hosts=allowed, extra_headers={"h.test": {"User-Agent": "x"}})
    with pytest.raises(ConfigError, match="line break") as info:
        HttpSettings(allowed_hosts=allowed, extra_headers={"h.test": {"x-key": "a\r\nX: b"}})
    assert "X: b" not in str(info.value)
    assert default_settings().extra_headers == {}


# --- pacing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "interval"), [(ARXIV_API, 3.0), (ARXIV_LIST, 15.0)])
def test_arxiv_requests_are_spaced(
    clock: FakeClock, connect: Connect, url: str, interval: float
) -> None:
    client, server = connect(lambda _: ok())
    for _ in range(5):
        client.get(url, source="arxiv")
    assert clock.monotonic() >= 4 * interval
    assert server.times == [i * interval for i in range(5)]


def _ratelimited(remaining: int, reset: int) -> Handler:
    headers = {
        "ratelimit": f'"api";r={remaining};t={reset}',
        "ratelimit-policy": '"fixed window";"api";q=500;w=300',
    }
    return lambda _: ok(headers=headers)


@pytest.mark.parametrize(
    ("remaining", "reset", "spacing"),
    # 0.3 s would be below the floor (with a token: HF's 1,000 per 5 minutes, 5% under)
    [(2, 60, 30.0), (10, 50, 5.0), (1000, 300, hf_spacing(TOKEN))],
)
def test_hf_pacing_spreads_the_remaining_quota(
    connect: Connect, remaining: int, reset: int, spacing: float
) -> None:
    client, server = connect(_ratelimited(remaining, reset))
    for _ in range(4):
        client.get(HF, source="hf_daily")
    gaps = [b - a for a, b in itertools.pairwise(server.times)]
    assert gaps == pytest.approx([spacing] * 3)


def test_hf_without_headers_uses_the_default_interval(connect: Connect) -> None:
    client, server = connect(lambda _: ok())
    for _ in range(3):
        client.get(HF, source="hf_daily")
    assert server.times == pytest.approx([0.0, hf_spacing(TOKEN), 2 * hf_spacing(TOKEN)])


def test_hf_exhausted_quota_waits_for_the_reset(connect: Connect) -> None:
    client, server = connect(
        script(
            ok(ratelimit='"api";r=0;t=40'),
            httpx.Response(429, headers={"ratelimit": '"api";r=0;t=25'}),
            ok(),
        )
    )
    client.get(HF, source="hf_daily")
    client.get(HF, source="hf_daily")  # 429 without Retry-After: RateLimit's t stands in
    assert server.times == [0.0, 40.0, 65.0]


def test_threads_share_one_connection_and_the_interval(
    connect: Connect,
) -> None:
    def slow(_: httpx.Request) -> httpx.Response:
        for _step in range(200):  # give other threads every chance to overlap (no sleeping)
            os.sched_yield()
        return ok()

    client, server = connect(slow)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(lambda _: client.get(ARXIV_API, source="arxiv_api"), range(24)))
    finally:
        sys.setswitchinterval(previous)
    starts = sorted(server.times)
    assert len(starts) == 24 and server.max_in_flight == 1
    assert all(b - a >= 3.0 for a, b in itertools.pairwise(starts))


def test_threads_with_several_connections_still_keep_the_interval(connect: Connect) -> None:
    def slow(_: httpx.Request) -> httpx.Response:
        for _step in range(200):
            os.sched_yield()
        return ok()

    policy = HostPolicy(min_interval=2.0, max_connections=4)
    settings = HttpSettings(allowed_hosts=frozenset({"h.test"}), policies={"h.test": policy})
    client, server = connect(slow, settings=settings)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda _: client.get("https://h.test/", source="t"), range(40)))
    finally:
        sys.setswitchinterval(previous)
    starts = sorted(server.times)
    assert len(starts) == 40 and 1 <= server.max_in_flight <= 4
    assert all(b - a >= 2.0 for a, b in itertools.pairwise(starts))


def test_concurrency_above_one_is_allowed_and_capped(
    connect: Connect,
) -> None:
    """The positive control for the test above: the harness does see overlapping requests."""
    everyone_in = threading.Barrier(3, timeout=10)

    def meet(_: httpx.Request) -> httpx.Response:
        everyone_in.wait()  # passes only when 3 requests are in flight together
        return ok()

    policy = HostPolicy(min_interval=0.0, max_connections=3)
    settings = HttpSettings(allowed_hosts=frozenset({"h.test"}), policies={"h.test": policy})
    client, server = connect(meet, settings=settings)
    with ThreadPoolExecutor(max_workers=9) as pool:
        list(pool.map(lambda _: client.get("https://h.test/", source="t"), range(9)))
    assert server.max_in_flight == 3


# --- header parsing ---------------------------------------------------------------------------


@given(st.integers(0, 10**6), st.integers(0, 10**5))
def test_parse_ratelimit_roundtrip(remaining: int, reset: int) -> None:
    assert parse_ratelimit(f'"api";r={remaining};t={reset}') == (remaining, float(reset))


def test_parse_ratelimit_falls_back_to_the_policy_window() -> None:
    assert parse_ratelimit('"api";r=7', '"fixed window";"api";q=500;w=300') == (7, 300.0)
    assert parse_ratelimit('"api";q=5', None) is None
    assert parse_ratelimit(None) is None


@given(st.integers(0, 10**7))
def test_parse_retry_after_seconds(seconds: int) -> None:
    assert parse_retry_after(str(seconds)) == float(seconds)


@pytest.mark.parametrize("value", ["", "soon", "nan", "inf", "-"])
def test_parse_retry_after_rejects_garbage(value: str) -> None:
    assert parse_retry_after(value) is None


def test_parse_retry_after_past_date_means_now() -> None:
    date = "Sat, 01 Jun 2024 12:00:00 GMT"
    assert parse_retry_after("Sat, 01 Jun 2024 11:00:00 GMT", date) == 0.0
