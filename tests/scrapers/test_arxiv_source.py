"""arXiv fetchers: listing pages stitched and checked, the API paged and retried."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import respx

from paperpulse.core.errors import FetchError, LayoutChanged, TransientFetchError
from paperpulse.scrapers import arxiv_source
from paperpulse.scrapers.arxiv_listing import NOTHING_ANNOUNCED
from paperpulse.scrapers.arxiv_source import (
    fetch_api,
    fetch_category_new,
)
from paperpulse.scrapers.http import HttpClient
from tests.scrapers.fake_http import (
    ARXIV,
    ARXIV_API,
    NOW,
    FakeClock,
    Recorder,
    atom_feed,
    make_client,
)

NEW = f"{ARXIV}/list/cs.CL/new"
NEW_ASTRO = f"{ARXIV}/list/astro-ph/new"
QUERY = f"{ARXIV_API}/api/query"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(clock: FakeClock) -> Iterator[HttpClient]:
    with respx.mock, make_client(clock) as c:
        yield c


def page(fixtures_dir: Path, name: str) -> bytes:
    return (fixtures_dir / "arxiv" / name).read_bytes()


def serve(clock: FakeClock, url: str, *bodies: bytes) -> Recorder:
    """Answer ``url`` with ``bodies`` in turn (the last one repeats)."""
    pending = list(bodies)

    def respond(_: httpx.Request) -> httpx.Response:
        body = pending.pop(0) if len(pending) > 1 else pending[0]
        return httpx.Response(200, content=body)

    recorder = Recorder(clock, respond)
    respx.get(url__startswith=url).mock(side_effect=recorder)
    return recorder


# --- /new ---------------------------------------------------------------------------------------


def test_new_is_one_request_and_one_complete_listing(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    server = serve(clock, NEW, page(fixtures_dir, "list_new_small.html"))
    listing = fetch_category_new(client, base_url=ARXIV, category="cs.CL", now=NOW)

    assert [str(r.url) for r in server.requests] == [NEW]  # plain URL: one cache key per day
    assert (listing.source, listing.period, listing.declared_count) == (
        "arxiv-listing",
        "2026-07-27",
        4,
    )
    assert [(i.rank, i.paper.arxiv_id, i.section) for i in listing.items] == [
        (1, "2607.22529", "new"),
        (2, "2607.22456", "new"),
        (3, "2607.21608", "cross"),
        (4, "hep-th/9901001", "replacement"),
    ]
    assert {p.list_date for p in listing.papers} == {date(2026, 7, 27)}
    assert listing.fetched_at == NOW and listing.notes == ()


def test_new_with_no_updates_is_an_empty_listing_with_the_sites_note(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    serve(clock, NEW, page(fixtures_dir, "list_new_empty.html"))
    listing = fetch_category_new(client, base_url=ARXIV, category="cs.CL", now=NOW)
    assert listing.items == () and listing.notes == (NOTHING_ANNOUNCED,)


def test_new_follows_declared_paging_fifteen_seconds_apart(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    server = serve(
        clock,
        NEW,
        page(fixtures_dir, "list_recent_small.html"),
        page(fixtures_dir, "list_recent_small_page2.html"),
    )
    listing = fetch_category_new(client, base_url=ARXIV, category="cs.CL", now=NOW)
    assert server.params("skip") == [None, "3"] and server.params("show") == [None, "3"]
    assert [(i.rank, i.paper.arxiv_id, i.paper.list_date) for i in listing.items] == [
        (1, "2607.23001", date(2026, 7, 28)),
        (2, "2607.23002", date(2026, 7, 28)),
        (3, "2607.22001", date(2026, 7, 27)),
        (4, "2607.22002", date(2026, 7, 27)),
        (5, "2607.22003", date(2026, 7, 27)),
    ]
    assert (listing.period, listing.declared_count) == ("2026-07-28", 5)
    assert server.times == [0.0, 15.0]
    assert listing.notes == ()  # the per-page "more pages follow" note is gone once stitched


def test_a_server_ignoring_skip_is_a_layout_change(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    serve(clock, NEW, page(fixtures_dir, "list_recent_small.html"))  # page one, every time
    with pytest.raises(LayoutChanged, match="starts at entry 1, expected 4"):
        fetch_category_new(client, base_url=ARXIV, category="cs.CL", now=NOW)


def test_a_listing_that_moves_while_paging_is_transient(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    moved = page(fixtures_dir, "list_recent_small_page2.html").replace(
        b"Total of 5 entries", b"Total of 6 entries"
    )
    serve(clock, NEW, page(fixtures_dir, "list_recent_small.html"), moved)
    with pytest.raises(TransientFetchError, match=r"changed while paging.*total 5.*6"):
        fetch_category_new(client, base_url=ARXIV, category="cs.CL", now=NOW)


def test_pages_holding_more_than_the_declared_total_are_a_layout_change(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    second = page(fixtures_dir, "list_recent_small_page2.html").decode()
    entry = re.search(r"<dt>.*?</dd>", second, re.DOTALL)
    assert entry is not None
    extra = entry.group(0).replace("2607.22002", "2607.22004")
    second = (
        second.replace("<span>4-5</span>", "<span>4-6</span>")
        .replace("showing last 2 of 3", "showing last 3 of 3")
        .replace("</dl>", extra + "</dl>")
    )
    serve(clock, NEW, page(fixtures_dir, "list_recent_small.html"), second.encode())
    with pytest.raises(LayoutChanged, match=r"parsed 6 entries over 2 pages.*declares 5"):
        fetch_category_new(client, base_url=ARXIV, category="cs.CL", now=NOW)


def _one_entry_page(position: int, total: int) -> bytes:
    """A listing page holding only entry ``position`` of ``total``: paging that never ends."""
    return f"""<div id='dlpage'><h2>Authors and titles for recent submissions</h2>
<div class='paging'>Total of {total} entries : <span>{position}-{position}</span></div>
<dl id='articles'><h3>Mon, 27 Jul 2026</h3>
<dt><a href="/abs/2607.{position:05d}" title="Abstract">arXiv:2607.{position:05d}</a></dt>
<dd><div class='meta'><div class='list-title'>Paper {position}</div>
<div class='list-authors'><a href="/a">Ann Lee</a></div><div class='list-subjects'>
<span class="primary-subject">Computation and Language (cs.CL)</span></div></div></dd>
</dl></div>""".encode()


def test_paging_that_never_ends_is_bounded(client: HttpClient, clock: FakeClock) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        skip = int(request.url.params.get("skip", "0"))
        return httpx.Response(200, content=_one_entry_page(skip + 1, 10_000))

    server = Recorder(clock, respond)
    respx.get(url__startswith=NEW).mock(side_effect=server)
    with pytest.raises(LayoutChanged, match=f"after {arxiv_source.MAX_LISTING_PAGES} pages"):
        fetch_category_new(client, base_url=ARXIV, category="cs.CL", now=NOW)
    assert len(server.requests) == arxiv_source.MAX_LISTING_PAGES


def test_a_blank_listing_body_is_transient(client: HttpClient, clock: FakeClock) -> None:
    serve(clock, NEW, b"  \n")
    with pytest.raises(TransientFetchError, match="empty body"):
        fetch_category_new(client, base_url=ARXIV, category="cs.CL", now=NOW)


def test_bad_arguments_are_refused_before_any_request(client: HttpClient) -> None:
    with pytest.raises(ValueError, match="not an arXiv category"):
        fetch_category_new(client, base_url=ARXIV, category="cs CL; rm", now=NOW)
    with pytest.raises(ValueError, match="max_results"):
        fetch_api(client, base_url=ARXIV_API, search_query="cat:cs.CL", max_results=30_001, now=NOW)
    assert respx.calls.call_count == 0


# --- the API ------------------------------------------------------------------------------------


def _ids(first: int, last: int) -> list[tuple[str, str, list[str]]]:
    return [(f"2607.{n:05d}v1", "2026-07-27T10:00:00Z", ["Ann Lee"]) for n in range(first, last)]


def paged(clock: FakeClock, total: int, *, short_once_at: int | None = None) -> Recorder:
    """An API holding ``total`` results; the page starting at ``short_once_at`` is short once."""
    shorted: set[int] = set()

    def respond(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["start"])
        size = int(request.url.params["max_results"])
        end = min(start + size, total)
        if start == short_once_at and start not in shorted:
            shorted.add(start)
            end = start + 1
        feed = atom_feed(_ids(start, end), total=total, start=start, per_page=size)
        return httpx.Response(200, content=feed)

    server = Recorder(clock, respond)
    respx.get(url__startswith=QUERY).mock(side_effect=server)
    return server


def test_api_golden_first_page_of_a_larger_result(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    server = serve(clock, QUERY, page(fixtures_dir, "api_query_small.xml"))
    listing = fetch_api(
        client, base_url=ARXIV_API, search_query='au:"Jane Doe"', max_results=2, now=NOW
    )
    (request,) = server.requests
    assert dict(request.url.params) == {
        "search_query": 'au:"Jane Doe"',
        "start": "0",
        "max_results": "2",
        "sortBy": "submittedDate",
        "sortOrder": "descending",
    }
    assert (listing.source, listing.period, listing.declared_count) == (
        "arxiv-api",
        'au:"Jane Doe"',
        7,
    )
    assert [(i.rank, i.paper.arxiv_id, i.paper.version) for i in listing.items] == [
        (1, "2607.22529", 2),
        (2, "hep-th/9901001", 3),
    ]
    assert listing.papers[0].doi == "10.1234/acl.2026.1"
    assert listing.notes == ("kept the first 2 of 7 results (max_results)",)


def test_api_pages_through_start_three_seconds_apart(client: HttpClient, clock: FakeClock) -> None:
    server = paged(clock, total=7)
    listing = fetch_api(
        client, base_url=ARXIV_API, search_query="cat:cs.CL", max_results=100, page_size=2, now=NOW
    )
    assert server.params("start") == ["0", "2", "4", "6"]
    assert server.params("max_results") == ["2", "2", "2", "2"]
    assert [i.paper.arxiv_id for i in listing.items] == [f"2607.{n:05d}" for n in range(7)]
    assert [i.rank for i in listing.items] == list(range(1, 8))
    assert clock.monotonic() >= (len(server.requests) - 1) * 3.0
    assert all(b - a >= 3.0 for a, b in itertools.pairwise(server.times))
    assert listing.notes == ()


def test_api_stops_at_max_results(client: HttpClient, clock: FakeClock) -> None:
    server = paged(clock, total=50)
    listing = fetch_api(
        client, base_url=ARXIV_API, search_query="cat:cs.CL", max_results=5, page_size=2, now=NOW
    )
    assert server.params("max_results") == ["2", "2", "1"]
    assert len(listing.items) == 5 and listing.declared_count == 50
    assert listing.notes == ("kept the first 5 of 50 results (max_results)",)


def test_a_short_page_is_continued_where_it_stopped(client: HttpClient, clock: FakeClock) -> None:
    server = paged(clock, total=6, short_once_at=2)
    listing = fetch_api(
        client, base_url=ARXIV_API, search_query="cat:cs.CL", max_results=6, page_size=2, now=NOW
    )
    assert server.params("start") == ["0", "2", "3", "5"]
    assert [i.paper.arxiv_id for i in listing.items] == [f"2607.{n:05d}" for n in range(6)]


def test_entries_repeated_across_pages_are_kept_once(client: HttpClient, clock: FakeClock) -> None:
    first = atom_feed(_ids(0, 2), total=4, start=0, per_page=2)
    # A paper submitted meanwhile pushed everything one place down and the total up.
    shifted = atom_feed(_ids(1, 3), total=5, start=2, per_page=2)
    last = atom_feed(_ids(3, 4), total=5, start=4, per_page=2)
    serve(clock, QUERY, first, shifted, last)
    listing = fetch_api(
        client, base_url=ARXIV_API, search_query="cat:cs.CL", max_results=4, page_size=2, now=NOW
    )
    assert [i.paper.arxiv_id for i in listing.items] == [f"2607.{n:05d}" for n in range(4)]
    assert [i.rank for i in listing.items] == [1, 2, 3, 4]
    assert listing.notes == (
        "kept the first 4 of 5 results (max_results)",
        "dropped 1 entries repeated across pages (results shifted)",
    )


def test_an_empty_search_is_a_quiet_result(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    server = serve(clock, QUERY, page(fixtures_dir, "api_empty.xml"))
    listing = fetch_api(client, base_url=ARXIV_API, search_query="cat:cs.CL", now=NOW)
    assert listing.items == () and len(server.requests) == 1
    assert listing.notes == ("the arXiv API found no results for this query",)


@pytest.mark.parametrize(
    ("body", "expect"),
    [
        (atom_feed([], total=5, per_page=100), False),  # its own totals promise entries
        (atom_feed([], total=0, per_page=100), True),  # the caller knows there are results
        (b"", False),  # a blank body
    ],
    ids=["totals-promise", "caller-expects", "blank"],
)
def test_a_suspiciously_empty_page_is_retried_then_transient(
    client: HttpClient, clock: FakeClock, body: bytes, expect: bool
) -> None:
    server = serve(clock, QUERY, body)
    with pytest.raises(TransientFetchError, match="no entries 3 times") as info:
        fetch_api(
            client, base_url=ARXIV_API, search_query="cat:cs.CL", expect_results=expect, now=NOW
        )
    assert info.value.source == "arxiv-api" and "search_query=cat" in info.value.url
    assert len(server.requests) == 1 + arxiv_source.EMPTY_RETRIES
    assert server.times == [0.0, 3.0, 6.0]  # re-requests are paced like any call


def test_a_suspiciously_empty_page_that_recovers_is_used(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    empty = atom_feed([], total=7, per_page=2)
    server = serve(clock, QUERY, empty, page(fixtures_dir, "api_query_small.xml"))
    listing = fetch_api(client, base_url=ARXIV_API, search_query="x", max_results=2, now=NOW)
    assert len(server.requests) == 2 and len(listing.items) == 2


def test_an_error_feed_is_permanent_and_not_retried(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    server = serve(clock, QUERY, page(fixtures_dir, "api_error.xml"))
    with pytest.raises(FetchError, match="incorrect id format") as info:
        fetch_api(client, base_url=ARXIV_API, id_list=["1234.12345"], now=NOW)
    assert not isinstance(info.value, TransientFetchError) and info.value.status == 400
    assert len(server.requests) == 1


def test_an_id_lookup_is_one_call_even_when_totals_count_unknown_ids(
    client: HttpClient, clock: FakeClock
) -> None:
    # The API counts unknown ids in totalResults; paging on would fetch known ones again.
    server = serve(clock, QUERY, atom_feed(_ids(1, 3), total=3, per_page=3))
    ids = ["2607.00001", "2607.00002", "2607.99999"]
    listing = fetch_api(client, base_url=ARXIV_API, id_list=ids, sort_by=None, now=NOW)
    (request,) = server.requests
    assert request.url.params["id_list"] == ",".join(ids)
    assert request.url.params["max_results"] == "3" and "sortBy" not in request.url.params
    assert [p.arxiv_id for p in listing.papers] == ["2607.00001", "2607.00002"]


# --- the real captures --------------------------------------------------------------------------

REAL_RECENT = "pages/arxiv_listing/list_cs.CL_recent_2026-07-28_shelf.html"
REAL_LEGACY = "pages/arxiv_listing/list_astro-ph_new_2014-06-13_legacy_gabriel-p.html"
REAL_IDS = "pages/arxiv_api/query_id_list_1601.00001_2020-09-04_zoia.xml"


def test_a_real_first_page_wanting_more_asks_for_the_next_page(
    client: HttpClient, clock: FakeClock, shared_data: Path
) -> None:
    # Only page one was captured: serving it again must be caught, not stitched twice.
    server = serve(clock, NEW, (shared_data / REAL_RECENT).read_bytes())
    with pytest.raises(LayoutChanged, match="starts at entry 1, expected 51"):
        fetch_category_new(client, base_url=ARXIV, category="cs.CL", now=NOW)
    assert server.params("skip") == [None, "50"] and server.params("show") == [None, "50"]


def test_real_legacy_new_page_is_one_complete_listing(
    client: HttpClient, clock: FakeClock, shared_data: Path
) -> None:
    serve(clock, NEW_ASTRO, (shared_data / REAL_LEGACY).read_bytes())
    listing = fetch_category_new(client, base_url=ARXIV, category="astro-ph", now=NOW)
    assert len(listing.items) == listing.declared_count == 72
    assert listing.period == "2014-06-13"


def test_real_id_lookup_reads_doi_and_journal_ref(
    client: HttpClient, clock: FakeClock, shared_data: Path
) -> None:
    serve(clock, QUERY, (shared_data / REAL_IDS).read_bytes())
    listing = fetch_api(client, base_url=ARXIV_API, id_list=["1601.00001v1"], now=NOW)
    [paper] = listing.papers
    assert paper.doi and paper.journal_ref and paper.primary_category == "cond-mat.mes-hall"
