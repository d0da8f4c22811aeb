"""Every fetcher against every HTTP outcome, through the real client on a fake clock.

The client retries and paces; these tests check that each fetcher surfaces what the client
decided: FetchError for 400/404 at once, TransientFetchError after retries for 503, timeouts
and resets, a Retry-After waited out. Each success is checked against what the fixture holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import respx

from paperpulse.core.errors import FetchError, TransientFetchError
from paperpulse.core.models import AuthorProfile, Listing
from paperpulse.scrapers import hf_daily, hf_papers
from paperpulse.scrapers.arxiv_source import fetch_api, fetch_category_new
from paperpulse.scrapers.authors import fetch_author_papers, fetch_author_profile
from paperpulse.scrapers.http import HttpClient
from tests.scrapers.fake_http import (
    ARXIV,
    ARXIV_API,
    HF,
    NOW,
    S2,
    FakeClock,
    Recorder,
    make_client,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
S2_FILES = {
    "/graph/v1/author/search": "s2/author_search.json",
    "/graph/v1/author/2110000001": "s2/author.json",
    "/graph/v1/author/2110000001/papers": "s2/author_papers.json",
}


@dataclass(frozen=True)
class Case:
    host: str
    call: Callable[[HttpClient], Listing | AuthorProfile]
    good: Callable[[httpx.Request], bytes]
    gist: tuple[object, ...]  # what a success must hold: see ``gist``


def gist(result: Listing | AuthorProfile) -> tuple[object, ...]:
    """A listing's source, size and first paper; a profile's id, name and h-index."""
    if isinstance(result, AuthorProfile):
        return (result.author_id, result.name, result.h_index)
    return (result.source, len(result.items), result.items[0].paper.arxiv_id)


def _fixture(name: str) -> Callable[[httpx.Request], bytes]:
    return lambda _: (FIXTURES / name).read_bytes()


def _hf_items(_: httpx.Request) -> bytes:
    return (FIXTURES / "hf" / "daily_2026.json").read_bytes()


CASES = {
    "hf-daily": Case(
        HF,
        lambda c: hf_daily.fetch_daily(c, base_url=HF, list_date=NOW.date(), now=NOW),
        _hf_items,
        ("hf-daily", 2, "2611.01234"),
    ),
    "hf-daily-html": Case(
        HF,
        lambda c: hf_daily.fetch_daily(c, base_url=HF, list_date=NOW.date(), via="html", now=NOW),
        _fixture("hf/daily_2026-11-20.html"),
        ("hf-daily", 2, "2611.01234"),
    ),
    "hf-week": Case(
        HF,
        lambda c: hf_papers.fetch_period(c, base_url=HF, kind="week", key="2026-W47", now=NOW),
        _hf_items,
        ("hf-week", 2, "2611.01234"),
    ),
    "hf-month": Case(
        HF,
        lambda c: hf_papers.fetch_period(c, base_url=HF, kind="month", key="2026-11", now=NOW),
        _hf_items,
        ("hf-month", 2, "2611.01234"),
    ),
    "hf-trending": Case(
        HF,
        lambda c: hf_papers.fetch_trending(c, base_url=HF, now=NOW),
        _hf_items,
        ("hf-trending", 2, "2611.01234"),
    ),
    "hf-search": Case(
        HF,
        lambda c: hf_papers.search(c, base_url=HF, query="speculative decoding", now=NOW),
        _hf_items,
        ("hf-search", 2, "2611.01234"),
    ),
    "new": Case(
        ARXIV,
        lambda c: fetch_category_new(c, base_url=ARXIV, category="cs.CL", now=NOW),
        _fixture("arxiv/list_new_small.html"),
        ("arxiv-listing", 4, "2607.22529"),
    ),
    "api": Case(
        ARXIV_API,
        lambda c: fetch_api(c, base_url=ARXIV_API, search_query="au:x", max_results=2, now=NOW),
        _fixture("arxiv/api_query_small.xml"),
        ("arxiv-api", 2, "2607.22529"),
    ),
    "author-papers": Case(
        ARXIV_API,
        lambda c: fetch_author_papers(
            c, api_base_url=ARXIV_API, name="Jane Doe", since=None, max_results=2, now=NOW
        ),
        _fixture("arxiv/api_query_small.xml"),
        ("arxiv-author", 2, "2607.22529"),
    ),
    "author-profile": Case(
        S2,
        lambda c: fetch_author_profile(c, s2_base_url=S2, name="Hanze Dong", now=NOW),
        lambda request: (FIXTURES / S2_FILES[request.url.path]).read_bytes(),
        ("2110000001", "Hanze Dong", 21),
    ),
}
INTERVAL = {ARXIV: 15.0, ARXIV_API: 3.0, S2: 1.0, HF: 0.5}
cases = pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(clock: FakeClock) -> Iterator[HttpClient]:
    with respx.mock, make_client(clock) as c:
        yield c


def route(
    case: Case, clock: FakeClock, respond: Callable[[httpx.Request], httpx.Response]
) -> Recorder:
    server = Recorder(clock, respond)
    respx.get(url__startswith=case.host).mock(side_effect=server)
    return server


@cases
def test_200_gives_a_result_with_paced_requests(
    client: HttpClient, clock: FakeClock, case: Case
) -> None:
    server = route(case, clock, lambda r: httpx.Response(200, content=case.good(r)))
    assert gist(case.call(client)) == case.gist
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    assert all(gap >= INTERVAL[case.host] for gap in gaps)


@cases
@pytest.mark.parametrize("status", [400, 404])
def test_permanent_errors_surface_at_once(
    client: HttpClient, clock: FakeClock, case: Case, status: int
) -> None:
    server = route(case, clock, lambda _: httpx.Response(status, text="no such thing"))
    with pytest.raises(FetchError) as info:
        case.call(client)
    assert not isinstance(info.value, TransientFetchError)
    assert info.value.status == status and info.value.url.startswith(case.host)
    assert "no such thing" in str(info.value) and len(server.requests) == 1


@cases
def test_429_retry_after_is_waited_out(client: HttpClient, clock: FakeClock, case: Case) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if len(server.requests) == 1:
            return httpx.Response(429, headers={"retry-after": "20"})
        return httpx.Response(200, content=case.good(request))

    server = route(case, clock, respond)
    assert gist(case.call(client)) == case.gist
    assert server.times[1] - server.times[0] >= 20.0
    assert client.stats[httpx.URL(case.host).host].throttled == 1


@cases
@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503),
        httpx.ReadTimeout("timed out"),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
    ],
    ids=["503", "timeout", "reset"],
)
def test_transient_failures_are_retried_then_surface_as_transient(
    client: HttpClient, clock: FakeClock, case: Case, failure: httpx.Response | Exception
) -> None:
    def respond(_: httpx.Request) -> httpx.Response:
        if isinstance(failure, Exception):
            raise failure
        return failure

    server = route(case, clock, respond)
    with pytest.raises(TransientFetchError) as info:
        case.call(client)
    assert "gave up after 4 attempts" in str(info.value)
    assert len(server.requests) == 4  # the first request and the client's three retries
    assert info.value.url.startswith(case.host)


@cases
def test_a_transient_failure_that_clears_is_invisible(
    client: HttpClient, clock: FakeClock, case: Case
) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if len(server.requests) == 1:
            raise httpx.ConnectError("[Errno 104] Connection reset by peer")
        return httpx.Response(200, content=case.good(request))

    server = route(case, clock, respond)
    flaky = case.call(client)
    asked = len(server.requests)
    assert gist(flaky) == case.gist
    assert case.call(client) == flaky  # the same fetch without the failure
    assert len(server.requests) == 2 * asked - 1
