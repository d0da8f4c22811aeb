"""Hugging Face listings beyond one day: week, month, global trending, topic search, one paper.

    /api/daily_papers?week=YYYY-Www | month=YYYY-MM | sort=trending   (same items as daily)
    /papers/week/YYYY-Www, /papers/month/YYYY-MM, /papers/trending     (same hydration JSON)
    /api/papers/search?q=...&limit<=120                               (wrapped or flat items)
    /api/papers/{arxiv_id}                                             (one paper object)

Trending is HF's own ranking: global (it ignores ``date``), not ordered by upvotes, score hidden.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from paperpulse.core.errors import ParseError
from paperpulse.core.kinds import Source
from paperpulse.core.models import Listing, ListingItem
from paperpulse.scrapers.hf_daily import fetch_api_listing, parse_page
from paperpulse.scrapers.hf_items import parse_item, parse_items
from paperpulse.scrapers.protocols import Client

WEEK = re.compile(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
SEARCH_LIMIT = 120  # the search API's maximum
QUERY_LIMIT = 250  # characters HF accepts in q

SOURCES = {Source.HF_WEEK: "week", Source.HF_MONTH: "month", Source.HF_TRENDING: "trending"}


def check_period(kind: str, key: str) -> str:
    """Validate a week (``2024-W31``) or month (``2024-08``) key; raise ValueError if bad."""
    pattern = WEEK if kind == "week" else MONTH
    if not pattern.match(key):
        example = "2024-W31" if kind == "week" else "2024-08"
        raise ValueError(f"not a {kind} key: {key!r} (expected e.g. {example})")
    return key


def fetch_period(
    client: Client,
    *,
    base_url: str,
    kind: str,
    key: str,
    via: str = "api",
    now: datetime,
) -> Listing:
    """A week (``kind="week"``, key ``2024-W31``) or month (``"month"``, ``2024-08``) list."""
    check_period(kind, key)
    source = f"hf-{kind}"
    if via == "html":
        url = f"{base_url.rstrip('/')}/papers/{kind}/{key}"
        response = client.get(url, source=source)
        return parse_page(
            response.content,
            url=url,
            requested_date=None,
            source=source,
            period=key,
            fetched_at=now,
        )
    return fetch_api_listing(
        client, base_url=base_url, source=source, period=key, params={kind: key}, now=now
    )


def fetch_trending(
    client: Client,
    *,
    base_url: str,
    limit: int = 100,
    via: str = "api",
    now: datetime,
) -> Listing:
    """HF's global trending list, in HF's order (its score is not exposed)."""
    period = now.date().isoformat()
    if via == "html":
        url = f"{base_url.rstrip('/')}/papers/trending"
        response = client.get(url, source=Source.HF_TRENDING)
        return parse_page(
            response.content,
            url=url,
            requested_date=None,
            source=Source.HF_TRENDING,
            period=period,
            fetched_at=now,
        )
    return fetch_api_listing(
        client,
        base_url=base_url,
        source=Source.HF_TRENDING,
        period=period,
        params={"sort": "trending"},
        max_items=limit,
        now=now,
    )


# --- search -------------------------------------------------------------------------------


def search_url(base_url: str, query: str, limit: int = SEARCH_LIMIT) -> str:
    return f"{base_url.rstrip('/')}/api/papers/search?" + urlencode(
        {"q": query[:QUERY_LIMIT], "limit": min(max(limit, 1), SEARCH_LIMIT)}
    )


def parse_search(content: bytes | str, *, url: str, query: str, fetched_at: datetime) -> Listing:
    """A search response: a list of ``{"paper": {...}}`` items, or of bare paper objects."""
    try:
        payload = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(
            f"response is not JSON ({exc})", source=Source.HF_SEARCH, url=url
        ) from None
    if not isinstance(payload, list):
        raise ParseError("expected a JSON list of search results", source=Source.HF_SEARCH, url=url)
    items = parse_items(payload, source=Source.HF_SEARCH, url=url, requested_date=None)
    return Listing(
        source=Source.HF_SEARCH, period=query, url=url, fetched_at=fetched_at, items=items
    )


def search(
    client: Client,
    *,
    base_url: str,
    query: str,
    limit: int = SEARCH_LIMIT,
    now: datetime,
) -> Listing:
    if not query.strip():
        raise ValueError("an HF search needs a non-empty query")
    url = search_url(base_url, query, limit)
    response = client.get(url, source=Source.HF_SEARCH)
    return parse_search(response.content, url=url, query=query, fetched_at=now)


# --- one paper ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperDetails:
    """``/api/papers/{id}``: the paper plus what HF links to it."""

    item: ListingItem  # the paper with upvotes and GitHub stars
    models: int | None = None
    datasets: int | None = None
    spaces: int | None = None


def parse_paper(content: bytes | str, *, url: str) -> PaperDetails:
    try:
        payload = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"response is not JSON ({exc})", source=Source.HF_PAPER, url=url) from None
    if not isinstance(payload, Mapping):
        raise ParseError("expected a JSON object for one paper", source=Source.HF_PAPER, url=url)
    item = parse_item(payload, rank=1, source=Source.HF_PAPER, url=url, requested_date=None)
    return PaperDetails(
        item=item,
        models=_count(payload, "models"),
        datasets=_count(payload, "datasets"),
        spaces=_count(payload, "spaces"),
    )


def _count(payload: Mapping[str, Any], name: str) -> int | None:
    """Linked repos come as a list or as a ``num<Name>`` count, depending on the endpoint."""
    value = payload.get(name)
    if isinstance(value, list):
        return len(value)
    number = payload.get(f"num{name.capitalize()}")
    return number if isinstance(number, int) and not isinstance(number, bool) else None
