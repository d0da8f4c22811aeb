"""Every wait bounded (issue 25): the real HttpClient against raw hostile servers on loopback.

Real time throughout (no fake clock): what is asserted is how long a fetch really takes when
a server trickles its headers, asks to be left alone for a day, or a stop is asked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from paperpulse.core import deadline
from paperpulse.core.deadline import RunBudget, Stopped
from paperpulse.core.errors import FetchError, TransientFetchError
from paperpulse.scrapers.http import HttpClient, HttpSettings
from paperpulse.scrapers.pacing import HostPolicy
from tests.reliability.hostile_servers import hostile_server, http_response, trickle
from tests.reliability.record import record

CATEGORY = "Issue 25"
SOURCE = "hf-daily"


@pytest.fixture(autouse=True)
def no_stop() -> Iterator[None]:
    yield
    deadline.STOP.clear()


def client_for(url: str, **overrides: object) -> HttpClient:
    host = url.removeprefix("http://")
    fields: dict[str, object] = {
        "allowed_hosts": frozenset({host}),
        "policies": {host: HostPolicy(min_interval=0.0, use_ratelimit_headers=True)},
        "backoff_base": 0.05,
        "max_retries": 0,
        **overrides,
    }
    return HttpClient(HttpSettings(**fields))  # type: ignore[arg-type]


def timed(call: object) -> tuple[BaseException | None, float]:
    began = time.monotonic()
    try:
        call()  # type: ignore[operator]
    except BaseException as exc:  # the test looks at what came out
        return exc, time.monotonic() - began
    return None, time.monotonic() - began


def test_headers_trickled_a_line_at_a_time_end_at_the_request_deadline() -> None:
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Slow-%d: 1\r\n" % i for i in range(200))
    with hostile_server(trickle(head, 0.05, size=14)) as server:
        client = client_for(server.url, deadline=1.0, read_timeout=30.0, max_retries=1)
        error, took = timed(lambda: client.get(server.url + "/api", source=SOURCE))
    assert isinstance(error, TransientFetchError)
    assert "HttpSettings.deadline=1 s (connect, headers and body)" in str(error)
    assert server.url + "/api" in str(error)
    assert server.connections == 2  # two attempts, each cut at its deadline
    assert took < 3.5, took  # 2 x 1 s (+ backoff), where the read timeout alone allows 30 s each
    record(
        category=CATEGORY,
        case="response headers trickled one line at a time (read timeout never trips)",
        where="HttpClient, hf-daily API, HttpSettings.deadline=1 s, 2 attempts",
        outcome="each attempt cut at the deadline (headers included); under 3.5 s in all "
        "(the read timeout alone allows 30 s an attempt)",
        trials=2,
        injected=2,
    )


def test_a_status_line_trickled_a_byte_at_a_time_ends_at_the_deadline() -> None:
    with hostile_server(trickle(http_response(b"[]"), 0.2)) as server:
        client = client_for(server.url, deadline=0.8)
        error, took = timed(lambda: client.get(server.url + "/api", source=SOURCE))
    assert isinstance(error, TransientFetchError) and took < 2.0, (error, took)


@pytest.mark.parametrize("where", ["200", "429"])
def test_a_ratelimit_reset_of_a_day_ends_the_source_at_once_saying_when(where: str) -> None:
    headers = ['RateLimit: "api";r=0;t=86400', 'RateLimit-Policy: "fixed";q=500;w=300']
    status = "200 OK" if where == "200" else "429 Too Many Requests"
    with hostile_server([(http_response(b"[]", status=status, headers=headers), 0)]) as server:
        client = client_for(server.url, max_retries=3)
        if where == "200":
            client.get(server.url + "/a", source=SOURCE)  # fine, but the host is now blocked
        error, took = timed(lambda: client.get(server.url + "/b", source=SOURCE))
    assert isinstance(error, FetchError), error
    assert "86400 s" in str(error) and "retry after 20" in str(error), str(error)
    assert took < 1.0, took
    assert server.connections == 1  # the blocked host is not asked again
    record(
        category=CATEGORY,
        case=f'`RateLimit: "api";r=0;t=86400` on a {where} (a day\'s block)',
        where="HttpClient, HF policy (paced by RateLimit headers)",
        outcome="the source ends at once (no wait) saying when to retry; no request sent",
        trials=1,
        injected=1,
    )


def test_a_wait_longer_than_the_run_has_left_ends_the_source_at_once() -> None:
    answer = http_response(b"", status="503 Service Unavailable", headers=["Retry-After: 60"])
    with hostile_server([(answer, 0)]) as server:
        client = client_for(server.url, max_retries=3)
        client.budget = RunBudget(seconds=5.0)
        error, took = timed(lambda: client.get(server.url + "/a", source=SOURCE))
    assert isinstance(error, FetchError) and not isinstance(error, TransientFetchError)
    assert "60 s" in str(error) and "PAPERPULSE_RUN_DEADLINE" in str(error), str(error)
    assert took < 1.0
    record(
        category=CATEGORY,
        case="Retry-After 60 with 5 s of the run left",
        where="HttpClient, PAPERPULSE_RUN_DEADLINE",
        outcome="ends the source at once, naming the wait, the run's time left and when to retry",
    )


def test_a_trickled_body_retried_stops_at_the_run_deadline() -> None:
    body = b"[" + b" " * 10_000 + b"]"
    with hostile_server(trickle(http_response(body), 0.05, size=4)) as server:
        client = client_for(server.url, deadline=1.0, max_retries=3)
        client.budget = RunBudget(seconds=1.5)
        error, took = timed(lambda: client.get(server.url + "/a", source=SOURCE))
    assert isinstance(error, (Stopped, FetchError)), error
    assert took < 2.5, took  # 4 attempts x 1 s without the run deadline
    record(
        category=CATEGORY,
        case="body trickled on every attempt: 4 attempts x the request deadline",
        where="HttpClient, deadline 1 s, PAPERPULSE_RUN_DEADLINE=1.5 s",
        outcome="stops at the run deadline (under 2.5 s), not after 4 attempts of 1 s",
        trials=1,
        injected=2,
    )


def test_a_stop_ends_a_request_stuck_in_its_headers_within_a_second() -> None:
    with hostile_server([(b"HTTP/1.1 200 OK\r\n", 0)], hang=True) as server:
        client = client_for(server.url, deadline=60.0, read_timeout=60.0)
        threading.Timer(0.5, deadline.request_stop, args=("SIGTERM",)).start()
        error, took = timed(lambda: client.get(server.url + "/a", source=SOURCE))
    assert isinstance(error, Stopped) and "SIGTERM" in str(error), error
    assert took < 1.5, took


def test_a_stop_ends_a_pacing_sleep_at_once() -> None:
    with hostile_server(lambda n: [(http_response(b"[]"), 0)]) as server:
        host = server.url.removeprefix("http://")
        client = client_for(server.url, policies={host: HostPolicy(min_interval=60.0)})
        client.get(server.url + "/a", source=SOURCE)
        threading.Timer(0.3, deadline.request_stop, args=("SIGINT",)).start()
        error, took = timed(lambda: client.get(server.url + "/b", source=SOURCE))
    assert isinstance(error, Stopped) and took < 1.0, (error, took)


HELD = {
    "redirect to file:///etc/passwd": (
        http_response(b"", status="302 Found", headers=["Location: file:///etc/passwd"]),
        "scheme 'file' is not http(s)",
    ),
    "redirect to another host": (
        http_response(b"", status="302 Found", headers=["Location: http://127.0.0.2:9/x"]),
        "is not allowed (redirected from",
    ),
    "redirect loop": (
        http_response(b"", status="302 Found", headers=["Location: /loop"]),
        "more than 5 redirects",
    ),
    "gzip bomb (64 KB expanding to 64 MiB)": (
        http_response(
            __import__("gzip").compress(b" " * 64 * 2**20, compresslevel=9),
            headers=["Content-Encoding: gzip"],
        ),
        "larger than HttpSettings.max_bytes",
    ),
    "Content-Length of 2 GB": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 2147483648\r\nConnection: close\r\n\r\n[",
        "larger than HttpSettings.max_bytes",
    ),
}


@pytest.mark.parametrize("case", list(HELD))
def test_hostile_answers_that_held_still_hold(case: str) -> None:
    """The scenarios issue 25 saw hold, on a raw server: refused at once, one line, the token
    never sent anywhere but its own host."""
    answer, expected = HELD[case]
    with hostile_server(lambda n: [(answer, 0)]) as server:
        host = server.url.removeprefix("http://")
        client = client_for(
            server.url, max_bytes=8 * 2**20, bearer_tokens={host: "hf_canary_token"}
        )
        error, took = timed(lambda: client.get(server.url + "/a", source=SOURCE))
    assert isinstance(error, FetchError) and expected in str(error), error
    assert "hf_canary_token" not in str(error) and took < 2.0
    record(
        category=CATEGORY,
        case=case,
        where="HttpClient (HF policy, bearer token) against a raw server",
        outcome=f"FetchError at once: {expected}; the token never leaves its host",
    )
