"""Hugging Face Daily Papers: the JSON API (default) and the HTML page, for one list date.

    GET {base}/api/daily_papers?date=YYYY-MM-DD&limit=100&p=N   paged until a short page
    GET {base}/papers/date/YYYY-MM-DD                           hydration JSON in data-props

Both give the same ``Listing``. A redirect back to ``/papers`` or an empty list means HF listed
no papers that day (weekends, holidays): an empty listing with a note, not an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from paperpulse.core.errors import LayoutChanged, ParseError
from paperpulse.core.kinds import Source
from paperpulse.core.models import Listing, ListingItem
from paperpulse.scrapers.dom import parse_html
from paperpulse.scrapers.hf_items import parse_items
from paperpulse.scrapers.protocols import Client

SOURCE = Source.HF_DAILY
PAGE_SIZE = 100  # the API's maximum
MAX_PAGES = 20  # 2,000 papers in a day would be ten times the record: stop rather than loop
NO_PAPERS = "no Daily Papers were listed for this date"


def api_url(base_url: str, **params: str | int) -> str:
    return f"{base_url.rstrip('/')}/api/daily_papers" + (f"?{urlencode(params)}" if params else "")


def page_url(base_url: str, list_date: date) -> str:
    return f"{base_url.rstrip('/')}/papers/date/{list_date.isoformat()}"


# --- parsing (pure) -----------------------------------------------------------------------


def parse_api_payload(
    content: bytes | str, *, url: str, requested_date: date | None, source: str = SOURCE
) -> tuple[Sequence[Any], int | None]:
    """Decode one API response into its raw items and the count it declares, if any."""
    try:
        payload = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"response is not JSON ({exc})", source=source, url=url) from None
    if isinstance(payload, list):
        return payload, None
    if isinstance(payload, Mapping):
        if "error" in payload:
            raise ParseError(
                f"HF answered with an error: {payload['error']!s:.200}", source=source, url=url
            )
        # Archived captures wrap the list as {"status", "date", "count", "data": [...]}.
        data = payload.get("data")
        if isinstance(data, list):
            count = payload.get("count")
            return data, count if isinstance(count, int) else None
        if isinstance(payload.get("dailyPapers"), list):
            return payload["dailyPapers"], None
    raise ParseError("expected a JSON list of papers", source=source, url=url)


def parse_api(
    content: bytes | str,
    *,
    url: str,
    requested_date: date | None,
    fetched_at: datetime,
    source: str = SOURCE,
    period: str | None = None,
) -> Listing:
    """One API response (or an archived capture of one) -> ``Listing``."""
    raw, declared = parse_api_payload(
        content, url=url, requested_date=requested_date, source=source
    )
    items = parse_items(raw, source=source, url=url, requested_date=requested_date)
    if declared is not None and len(items) < declared:
        raise LayoutChanged(
            f"parsed {len(items)} of the {declared} papers the response declares",
            source=source,
            url=url,
        )
    return _listing(source, period, requested_date, url, fetched_at, items, declared)


def parse_page(
    html: bytes | str,
    *,
    url: str,
    requested_date: date | None,
    fetched_at: datetime,
    source: str = SOURCE,
    period: str | None = None,
) -> Listing:
    """A Daily Papers HTML page (day, week, month or trending) -> ``Listing``.

    The papers come from the hydration JSON in ``data-props``; the visible ``<article>`` cards
    only serve as a completeness check (they lack abstracts and authors).
    """
    tree = parse_html(html)
    island = tree.css_first('[data-target="DailyPapers"]')
    if island is None:
        raise LayoutChanged(
            'no [data-target="DailyPapers"] element: the Daily Papers page layout changed '
            "(save the page and try `paperpulse parse hf-daily FILE`)",
            source=source,
            url=url,
        )
    props_text = island.attributes.get("data-props")
    if not props_text:
        raise LayoutChanged("the DailyPapers element has no data-props", source=source, url=url)
    try:
        props = json.loads(props_text)
    except ValueError as exc:
        raise ParseError(f"data-props is not JSON ({exc})", source=source, url=url) from None
    raw = props.get("dailyPapers") if isinstance(props, Mapping) else None
    if not isinstance(raw, list):
        raise LayoutChanged("data-props has no 'dailyPapers' list", source=source, url=url)
    items = parse_items(raw, source=source, url=url, requested_date=requested_date)
    cards = len(tree.css("article"))
    if cards > len(items):
        raise LayoutChanged(
            f"the page shows {cards} paper cards but its data holds {len(items)}",
            source=source,
            url=url,
        )
    return _listing(source, period, requested_date, url, fetched_at, items, cards or None)


def _listing(
    source: str,
    period: str | None,
    requested_date: date | None,
    url: str,
    fetched_at: datetime,
    items: tuple[ListingItem, ...],
    declared: int | None,
) -> Listing:
    """A parsed listing; an empty one carries the note that explains it in the digest."""
    return Listing(
        source=source,
        period=period or (requested_date.isoformat() if requested_date else "unknown"),
        url=url,
        fetched_at=fetched_at,
        items=items,
        declared_count=declared,
        notes=() if items else (NO_PAPERS,),
    )


def parse_any(
    content: bytes,
    *,
    url: str,
    requested_date: date | None,
    fetched_at: datetime,
    source: str = SOURCE,
) -> Listing:
    """Sniff a saved file: HTML page or API JSON (what `paperpulse parse hf-daily` accepts)."""
    head = content.lstrip()[:1]
    parse = parse_page if head == b"<" else parse_api
    return parse(
        content, url=url, requested_date=requested_date, fetched_at=fetched_at, source=source
    )


# --- fetching (I/O through the injected client) -------------------------------------------


def fetch_daily(
    client: Client,
    *,
    base_url: str,
    list_date: date,
    via: str = "api",
    now: datetime,
) -> Listing:
    """Fetch every paper HF listed on ``list_date``; ``via`` is "api" (default) or "html"."""
    fetched_at = now
    if via == "html":
        return _fetch_page(client, base_url=base_url, list_date=list_date, fetched_at=fetched_at)
    if via != "api":
        raise ValueError(f"via must be 'api' or 'html', not {via!r}")
    return fetch_api_listing(
        client,
        base_url=base_url,
        source=SOURCE,
        period=list_date.isoformat(),
        params={"date": list_date.isoformat()},
        requested_date=list_date,
        now=fetched_at,
    )


def fetch_api_listing(
    client: Client,
    *,
    base_url: str,
    source: str,
    period: str,
    params: Mapping[str, str | int],
    requested_date: date | None = None,
    max_items: int | None = None,
    now: datetime,
) -> Listing:
    """Page through ``/api/daily_papers`` with ``params`` until a short page (or ``max_items``)."""
    endpoint = f"{base_url.rstrip('/')}/api/daily_papers"
    first_url = f"{endpoint}?{urlencode(params)}"
    raw: list[Any] = []
    for page in range(MAX_PAGES):
        response = client.get(
            endpoint, source=source, params={**params, "limit": PAGE_SIZE, "p": page}
        )
        batch, _ = parse_api_payload(
            response.content, url=response.url, requested_date=requested_date, source=source
        )
        raw.extend(batch)
        if len(batch) < PAGE_SIZE or (max_items is not None and len(raw) >= max_items):
            break
    else:
        raise LayoutChanged(
            f"more than {MAX_PAGES} pages of {PAGE_SIZE}: paging looks broken",
            source=source,
            url=first_url,
        )
    items = parse_items(
        raw[:max_items] if max_items else raw,
        source=source,
        url=first_url,
        requested_date=requested_date,
    )
    return Listing(
        source=source,
        period=period,
        url=first_url,
        fetched_at=now,
        items=items,
        notes=() if items else (NO_PAPERS,),
    )


def _fetch_page(client: Client, *, base_url: str, list_date: date, fetched_at: datetime) -> Listing:
    url = page_url(base_url, list_date)
    response = client.get(url, source=SOURCE)
    if response.redirected and urlsplit(response.url).path.rstrip("/") != urlsplit(url).path:
        # HF sends a date it has no list for back to /papers, which redirects on to the latest
        # list: whatever page we land on, it is not this date's.
        return Listing(
            source=SOURCE,
            period=list_date.isoformat(),
            url=url,
            fetched_at=fetched_at,
            notes=(NO_PAPERS,),
        )
    return parse_page(response.content, url=url, requested_date=list_date, fetched_at=fetched_at)
