"""Fetching arXiv: category listing pages and the API, stitched into complete ``Listing``s.

    GET {base}/list/<cat>/new                          one page (arXiv shows up to 2000 on it);
                                                       any paging the page declares is followed
    GET {api}/api/query?search_query=|id_list=&start=&max_results=   paged through ``start``

The client paces (15 s between listing pages, 3 s between API calls) and retries transport
failures; this module decides what to ask for, stitches pages into one ``Listing`` with
continuous ranks, and refuses to return a listing that is shorter than what arXiv declared.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from paperpulse.core.errors import LayoutChanged, TransientFetchError
from paperpulse.core.models import Listing, ListingItem
from paperpulse.scrapers.arxiv_api import (
    MAX_RESULTS_PER_CALL,
    ApiPage,
    is_suspiciously_empty,
    parse_api_response,
    query_url,
)
from paperpulse.scrapers.arxiv_api import SOURCE as API_SOURCE
from paperpulse.scrapers.arxiv_listing import SOURCE as LISTING_SOURCE
from paperpulse.scrapers.arxiv_listing import (
    ListingPage,
    listing_url,
    next_page_params,
    parse_listing_page,
)
from paperpulse.scrapers.protocols import Client

log = logging.getLogger(__name__)

MAX_LISTING_PAGES = 10  # 20,000 entries at show=2000: far beyond any category's week
API_PAGE_SIZE = 100
API_MAX_RESULTS = 30_000  # the API's documented ceiling for one query, all pages together
EMPTY_RETRIES = 2  # extra attempts for an API page that is empty although it should not be
_PAGING_NOTE = re.compile(r"^this page holds entries ")  # per-page notes, moot once stitched


def api_endpoint(base_url: str) -> str:
    """``{base}/api/query``; ``base_url`` is the API's root, e.g. ``http://export.arxiv.org``."""
    return f"{base_url.rstrip('/')}/api/query"


# --- listing pages ----------------------------------------------------------------------------


def fetch_category_new(client: Client, *, base_url: str, category: str, now: datetime) -> Listing:
    """Today's ``/list/<category>/new``: new submissions, cross-lists and replacements.

    Papers are dated by the announcement date the page names, never by the run date. Any
    further page the listing declares is followed and stitched on.
    """
    fetched_at = now
    url = listing_url(category, "new", base=base_url)
    pages: list[ListingPage] = []
    params: Mapping[str, int] | None = None
    for _ in range(MAX_LISTING_PAGES):
        response = client.get(url, source=LISTING_SOURCE, params=params)
        if not response.content.strip():
            raise TransientFetchError(
                "arXiv answered with an empty body: retry later",
                source=LISTING_SOURCE,
                url=response.url,
            )
        page = parse_listing_page(response.content, response.url, fetched_at=fetched_at)
        if pages:
            _check_continues(pages[-1], page)
        pages.append(page)
        params = next_page_params(page)
        if params is None:
            return _stitch_listing(pages, fetched_at)
    raise LayoutChanged(
        f"the listing still declares more entries after {MAX_LISTING_PAGES} pages: its paging "
        "looks broken; save a page and run `paperpulse parse arxiv-listing FILE`",
        source=LISTING_SOURCE,
        url=pages[0].listing.url,
    )


def _check_continues(previous: ListingPage, page: ListingPage) -> None:
    """A following page must belong to the same listing and start where the last one ended."""
    url = page.listing.url
    if (page.total, page.listing.period) != (previous.total, previous.listing.period):
        raise TransientFetchError(
            f"the listing changed while paging (total {previous.total} on {previous.listing.period}"
            f" before, {page.total} on {page.listing.period} now): arXiv announced mid-fetch; "
            "fetch the listing again",
            source=LISTING_SOURCE,
            url=url,
        )
    expected = (previous.last or 0) + 1
    if page.first != expected:
        raise LayoutChanged(
            f"the next page starts at entry {page.first}, expected {expected}: arXiv ignored "
            "skip= or its paging changed",
            source=LISTING_SOURCE,
            url=url,
        )


def _stitch_listing(pages: Sequence[ListingPage], fetched_at: datetime) -> Listing:
    first = pages[0]
    items = [item for page in pages for item in page.listing.items]
    total = first.total
    if total is not None and len(items) != total:
        raise LayoutChanged(
            f"parsed {len(items)} entries over {len(pages)} pages, but the listing declares "
            f"{total}; save the pages and run `paperpulse parse arxiv-listing FILE`",
            source=LISTING_SOURCE,
            url=first.listing.url,
        )
    notes = [n for page in pages for n in page.listing.notes if not _PAGING_NOTE.match(n)]
    return Listing(
        source=LISTING_SOURCE,
        period=first.listing.period,
        url=first.listing.url,
        fetched_at=fetched_at,
        items=_reranked(items),
        declared_count=total,
        notes=tuple(dict.fromkeys(notes)),
    )


# --- the API ----------------------------------------------------------------------------------


def fetch_api(
    client: Client,
    *,
    base_url: str,
    search_query: str | None = None,
    id_list: Iterable[str] = (),
    max_results: int = 100,
    sort_by: str | None = "submittedDate",
    sort_order: str | None = "descending",
    page_size: int = API_PAGE_SIZE,
    expect_results: bool = False,
    now: datetime,
) -> Listing:
    """Up to ``max_results`` results of one API query, paged through ``start``.

    An empty page (or blank body) is re-requested ``EMPTY_RETRIES`` times when results were
    promised (by the page's own totals, by an ``id_list``, by an earlier page or by
    ``expect_results``), then raised as ``TransientFetchError``. A short page is continued from
    where it stopped, so nothing is skipped; an entry repeated across pages (the results shifted)
    is kept once. A lookup by ``id_list`` alone is one call: the API counts unknown ids in its
    totals, so paging on would only fetch the known ones again.
    """
    ids = tuple(id_list)
    if not 1 <= max_results <= API_MAX_RESULTS:
        raise ValueError(f"max_results must be 1..{API_MAX_RESULTS}, not {max_results}")
    if page_size < 1:
        raise ValueError(f"page_size must be >= 1, not {page_size}")
    ids_only = bool(ids) and not search_query
    if ids_only:
        if len(ids) > MAX_RESULTS_PER_CALL:
            raise ValueError(
                f"{len(ids)} ids exceed the {MAX_RESULTS_PER_CALL} one call can return; "
                "split them into batches"
            )
        size = min(max_results, len(ids))
    else:
        size = min(page_size, max_results, MAX_RESULTS_PER_CALL)
    fetched_at = now
    endpoint = api_endpoint(base_url)
    pages: list[ApiPage] = []
    seen: set[str] = set()
    start = 0
    # Short pages cost extra calls; a server that keeps answering short pages is bounded here.
    for _ in range(3 * math.ceil(max_results / size) + 1):
        url = query_url(
            endpoint,
            search_query=search_query,
            id_list=ids,
            start=start,
            max_results=min(size, max_results - len(seen)),
            sort_by=sort_by,
            sort_order=sort_order,
        )
        page = _api_page(client, url, expect=expect_results or bool(pages), fetched_at=fetched_at)
        if page is None:
            raise TransientFetchError(
                f"the arXiv API answered with no entries {EMPTY_RETRIES + 1} times although "
                "results were due (it does this sporadically): retry later",
                source=API_SOURCE,
                url=url,
            )
        pages.append(page)
        start += len(page.listing.items)
        seen.update(p.arxiv_id for p in page.listing.papers)
        # The latest total counts: when new papers shift the results, it has grown.
        done = len(seen) >= max_results or start >= page.total_results
        if ids_only or done or not page.listing.items:
            return _stitch_api(pages, max_results, fetched_at)
    raise TransientFetchError(
        f"the arXiv API kept answering short pages ({len(seen)} of "
        f"{min(max_results, pages[-1].total_results)} results after {len(pages)} calls); "
        "retry later",
        source=API_SOURCE,
        url=pages[0].listing.url,
    )


def _api_page(client: Client, url: str, *, expect: bool, fetched_at: datetime) -> ApiPage | None:
    """One API page; None if it stayed suspiciously empty through ``EMPTY_RETRIES`` re-requests.

    A blank body counts as empty: the API sends one now and then, and it is not malformed XML
    that a retry cannot fix. The client paces the re-requests like any other call.
    """
    for attempt in range(1, EMPTY_RETRIES + 2):
        response = client.get(url, source=API_SOURCE)
        if response.content.strip():
            page = parse_api_response(response.content, response.url, fetched_at=fetched_at)
            if not is_suspiciously_empty(page, expect_results=expect):
                return page
        log.warning("arXiv API: empty answer where entries were due (attempt %d): %s", attempt, url)
    return None


def _stitch_api(pages: Sequence[ApiPage], max_results: int, fetched_at: datetime) -> Listing:
    first, last = pages[0], pages[-1]
    unique: dict[str, ListingItem] = {}
    repeated = 0
    for page in pages:
        for item in page.listing.items:
            if item.paper.arxiv_id in unique:
                repeated += 1
            else:
                unique[item.paper.arxiv_id] = item
    items = list(unique.values())[:max_results]
    notes = []
    if not items:
        notes.append("the arXiv API found no results for this query")
    if last.total_results > max_results:
        notes.append(f"kept the first {max_results} of {last.total_results} results (max_results)")
    if repeated:
        notes.append(f"dropped {repeated} entries repeated across pages (results shifted)")
    return Listing(
        source=API_SOURCE,
        period=first.listing.period,
        url=first.listing.url,
        fetched_at=fetched_at,
        items=_reranked(items),
        declared_count=last.total_results,  # the latest word: results may grow while paging
        notes=tuple(notes),
    )


def _reranked(items: Iterable[ListingItem]) -> tuple[ListingItem, ...]:
    return tuple(replace(item, rank=rank) for rank, item in enumerate(items, start=1))
