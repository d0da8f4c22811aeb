"""Offline parsing by source name: what `paperpulse parse SOURCE FILE` runs.

Each parser takes the saved bytes and the URL (or path) they came from and returns a Listing,
exactly as the live fetch would, so a parser can be fixed against a saved page.

    hf-daily, hf-week, hf-month, hf-trending   a saved HF page (HTML) or API response (JSON)
    hf-search, hf-paper                        HF search / one-paper API responses
    arxiv-listing                              a saved /list/<cat>/new, /recent or /pastweek page
    arxiv-api                                  a saved Atom response of export.arxiv.org/api/query

Semantic Scholar author answers have no parser here: a profile is numbers about a person
(h-index, counts), not a listing of papers, and its papers often lack the arXiv id a ``Paper``
needs. ``arxiv-author`` is the API format filtered by a name the file does not carry: parse such
a file as ``arxiv-api``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields
from datetime import date, datetime

from paperpulse.core.clock import utc_now
from paperpulse.core.models import Author, Listing, ListingItem, Paper
from paperpulse.scrapers import arxiv_api, arxiv_listing, hf_daily, hf_papers

Parser = Callable[[bytes, str], Listing]

_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def date_in_name(name: str) -> date | None:
    """2024 HF records lack their list date; a saved file's name often carries it."""
    match = _DATE.search(name)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def _hf_listing(source: str) -> Parser:
    def parse(content: bytes, url: str) -> Listing:
        return hf_daily.parse_any(
            content,
            url=url,
            requested_date=date_in_name(url),
            fetched_at=utc_now(),
            source=source,
        )

    return parse


def _hf_search(content: bytes, url: str) -> Listing:
    return hf_papers.parse_search(content, url=url, query="", fetched_at=utc_now())


def _hf_paper(content: bytes, url: str) -> Listing:
    details = hf_papers.parse_paper(content, url=url)
    return Listing(
        source="hf-paper",
        period=details.item.paper.arxiv_id,
        url=url,
        fetched_at=utc_now(),
        items=(details.item,),
    )


def _arxiv_listing(content: bytes, url: str) -> Listing:
    return arxiv_listing.parse_listing(content, url, fetched_at=utc_now())


def _arxiv_api(content: bytes, url: str) -> Listing:
    return arxiv_api.parse_api_response(content, url, fetched_at=utc_now()).listing


PARSERS: dict[str, Parser] = {
    "hf-daily": _hf_listing("hf-daily"),
    "hf-week": _hf_listing("hf-week"),
    "hf-month": _hf_listing("hf-month"),
    "hf-trending": _hf_listing("hf-trending"),
    "hf-search": _hf_search,
    "hf-paper": _hf_paper,
    "arxiv-listing": _arxiv_listing,
    "arxiv-api": _arxiv_api,
}

# The `--json` shape (documented in docs/sources.md): scripts and bug reports rely on these keys.
LISTING_KEYS = ("source", "period", "declared_count", "notes", "papers")
# Every field the parsers give (derived, so a new field can never be left out of --json).
PAPER_KEYS = (
    "id",
    *(f.name for f in fields(Paper) if f.name != "arxiv_id"),
    *(f.name for f in fields(ListingItem) if f.name != "paper"),
)


def parse_file(source: str, content: bytes, url: str) -> Listing:
    try:
        parser = PARSERS[source]
    except KeyError:
        raise ValueError(
            f"unknown source {source!r}; choose one of: {', '.join(sorted(PARSERS))}"
        ) from None
    return parser(content, url)


def listing_as_json(listing: Listing) -> dict[str, object]:
    """The `--json` shape: ``LISTING_KEYS``, each paper with ``PAPER_KEYS``; times ISO 8601."""
    return {
        "source": listing.source,
        "period": listing.period,
        "declared_count": listing.declared_count,
        "notes": list(listing.notes),
        "papers": [_paper_json(item) for item in listing.items],
    }


def _paper_json(item: ListingItem) -> dict[str, object]:
    values = {"id": item.paper.arxiv_id}
    values.update((f.name, getattr(item.paper, f.name)) for f in fields(Paper))
    values.update((f.name, getattr(item, f.name)) for f in fields(ListingItem))
    return {key: _plain(values[key]) for key in PAPER_KEYS}


def _plain(value: object) -> object:
    """JSON's own types: dates as ISO 8601, tuples as lists, authors as objects."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Author):
        return {"name": value.name, "hf_user": value.hf_user, "affiliation": value.affiliation}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
