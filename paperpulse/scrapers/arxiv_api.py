"""Parse Atom responses of the arXiv API (``export.arxiv.org/api/query``) and build its URLs.

The feed is parsed with ``xml.etree.ElementTree`` after refusing any DOCTYPE or ENTITY
declaration: the API never sends one, and refusing them closes the entity-expansion and
external-entity doors without adding a dependency (defusedxml would do the same, for a package).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

from paperpulse.core.errors import FetchError, ParseError
from paperpulse.core.kinds import Source
from paperpulse.core.models import Author, Listing, ListingItem, Paper, split_arxiv_id

SOURCE = Source.ARXIV_API
API_URL = "https://export.arxiv.org/api/query"
MAX_RESULTS_PER_CALL = 2000  # the API's documented ceiling for one call
SORT_BY = ("relevance", "lastUpdatedDate", "submittedDate")
SORT_ORDER = ("ascending", "descending")

_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
    "arxiv": "http://arxiv.org/schemas/atom",
}
_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_FIELDS = ("ti", "au", "abs", "co", "jr", "cat", "rn", "id", "all")


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiPage:
    """One API response: its papers plus the opensearch paging numbers."""

    listing: Listing
    total_results: int  # opensearch:totalResults (also listing.declared_count)
    start_index: int  # opensearch:startIndex, 0-based
    items_per_page: int  # opensearch:itemsPerPage (the max_results asked for)

    @property
    def expected_on_page(self) -> int:
        """How many entries this page should hold given the totals."""
        return max(0, min(self.items_per_page, self.total_results - self.start_index))

    @property
    def missing_on_page(self) -> int:
        """Entries the totals promise but the page lacks (the API sometimes returns short pages)."""
        return max(0, self.expected_on_page - len(self.listing.items))

    @property
    def next_start(self) -> int | None:
        """``start`` for the next call, or None when this page reaches the end."""
        following = self.start_index + self.items_per_page
        return following if self.items_per_page > 0 and following < self.total_results else None


def is_suspiciously_empty(page: ApiPage, *, expect_results: bool = False) -> bool:
    """True for an empty page that should not be: retry it rather than record "nothing new".

    The API sporadically answers with no entries (even ``totalResults`` 0) for queries that do
    have results. A page is suspicious when it is empty although its own totals promise entries,
    when it answers an ``id_list`` lookup, or when the caller knows results exist.
    """
    if page.listing.items:
        return False
    asked_for_ids = bool(_query_param(page.listing.url, "id_list"))
    return page.expected_on_page > 0 or asked_for_ids or expect_results


def parse_api_response(payload: str | bytes, url: str, *, fetched_at: datetime) -> ApiPage:
    """Parse one Atom feed; raise ``FetchError`` for arXiv's error feed, ``ParseError`` else."""
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    if _DECLARATION.search(data):
        raise ParseError(
            "refusing XML with a DOCTYPE or ENTITY declaration (the arXiv API sends none)",
            source=SOURCE,
            url=url,
        )
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError, LookupError) as exc:  # LookupError: unknown encoding
        raise ParseError(
            f"not well-formed XML ({exc}); save the response and check it", source=SOURCE, url=url
        ) from exc
    if root.tag != f"{{{_NS['atom']}}}feed":
        raise ParseError(f"expected an Atom <feed>, got <{root.tag}>", source=SOURCE, url=url)

    entries = root.findall("atom:entry", _NS)
    _raise_for_error_feed(entries, url)
    total = _opensearch_int(root, "totalResults", url)
    start = _opensearch_int(root, "startIndex", url)
    per_page = _opensearch_int(root, "itemsPerPage", url)
    items = tuple(
        ListingItem(paper=_parse_entry(entry, url, n), rank=start + n)
        for n, entry in enumerate(entries, start=1)
    )
    listing = Listing(
        source=SOURCE,
        period=_describe_query(url, root),
        url=url,
        fetched_at=fetched_at,
        items=items,
        declared_count=total,
    )
    return ApiPage(listing=listing, total_results=total, start_index=start, items_per_page=per_page)


def query_url(
    base: str,
    *,
    search_query: str | None = None,
    id_list: Iterable[str] = (),
    start: int = 0,
    max_results: int = 100,
    sort_by: str | None = None,
    sort_order: str | None = None,
) -> str:
    """An ``/api/query`` URL; ``base`` is e.g. ``API_URL``."""
    ids = [i.strip() for i in id_list if i.strip()]
    if not search_query and not ids:
        raise ValueError("an arXiv API query needs search_query or id_list")
    if start < 0:
        raise ValueError(f"start must be >= 0, not {start}")
    if not 1 <= max_results <= MAX_RESULTS_PER_CALL:
        raise ValueError(f"max_results must be 1..{MAX_RESULTS_PER_CALL}, not {max_results}")
    if sort_by is not None and sort_by not in SORT_BY:
        raise ValueError(f"sort_by must be one of {SORT_BY}, not {sort_by!r}")
    if sort_order is not None and sort_order not in SORT_ORDER:
        raise ValueError(f"sort_order must be one of {SORT_ORDER}, not {sort_order!r}")
    params: list[tuple[str, str]] = []
    if search_query:
        params.append(("search_query", search_query))
    if ids:
        params.append(("id_list", ",".join(ids)))
    params += [("start", str(start)), ("max_results", str(max_results))]
    if sort_by:
        params.append(("sortBy", sort_by))
    if sort_order:
        params.append(("sortOrder", sort_order))
    return f"{base}?{urlencode(params)}"


def author_query(name: str) -> str:
    """``au:"First Last"``; the query language has no escape, so quotes in a name are dropped."""
    return _phrase("au", name)


def keyword_query(phrase: str, *, fields: Iterable[str] = ("ti", "abs")) -> str:
    """A phrase searched in each field: ``(ti:"graph neural" OR abs:"graph neural")``."""
    parts = [_phrase(f, phrase) for f in fields]
    if not parts:
        raise ValueError("keyword_query needs at least one field")
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def submitted_between(start: datetime, end: datetime) -> str:
    """``submittedDate:[YYYYMMDDHHMM TO YYYYMMDDHHMM]`` in UTC (the API's clock)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("submitted_between needs timezone-aware datetimes")
    fmt = "%Y%m%d%H%M"
    return (
        f"submittedDate:[{start.astimezone(UTC).strftime(fmt)} TO "
        f"{end.astimezone(UTC).strftime(fmt)}]"
    )


def all_of(*queries: str) -> str:
    """``(a) AND (b)``."""
    return _join("AND", queries)


def _parse_entry(entry: ET.Element, url: str, n: int) -> Paper:
    raw_id = _text(entry, "atom:id")
    if not raw_id:
        raise ParseError(f"entry {n} has no <id>", source=SOURCE, url=url)
    try:
        arxiv_id, version = split_arxiv_id(raw_id)
    except ValueError as exc:
        raise ParseError(
            f"entry {n}: <id> {raw_id!r} is not an arXiv id", source=SOURCE, url=url
        ) from exc
    title = _text(entry, "atom:title")
    if not title:
        raise ParseError(f"entry {n} ({arxiv_id}) has no <title>", source=SOURCE, url=url)
    primary_node = entry.find("arxiv:primary_category", _NS)
    primary = (primary_node.get("term") or None) if primary_node is not None else None
    categories = [primary] if primary else []
    for node in entry.findall("atom:category", _NS):
        term = node.get("term")
        if term and term not in categories:
            categories.append(term)
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        authors=tuple(_parse_author(a) for a in entry.findall("atom:author", _NS)),
        abstract=_text(entry, "atom:summary") or "",
        published_at=_timestamp(_text(entry, "atom:published"), url, n),
        primary_category=primary,
        categories=tuple(categories),
        comment=_text(entry, "arxiv:comment"),
        journal_ref=_text(entry, "arxiv:journal_ref"),
        doi=_text(entry, "arxiv:doi"),
    )


def _parse_author(node: ET.Element) -> Author:
    affiliations = [
        text for a in node.findall("arxiv:affiliation", _NS) if (text := _collapse(a.text))
    ]
    return Author(
        name=_text(node, "atom:name") or "",
        affiliation="; ".join(affiliations) or None,
    )


def _raise_for_error_feed(entries: list[ET.Element], url: str) -> None:
    """arXiv reports a bad query as a feed whose single entry is the error."""
    if len(entries) != 1:
        return
    entry_id = _text(entries[0], "atom:id") or ""
    if "api/errors" in entry_id or _text(entries[0], "atom:title") == "Error":
        message = _text(entries[0], "atom:summary") or entry_id
        raise FetchError(
            f"arXiv API rejected the query: {message}; fix the query before retrying",
            source=SOURCE,
            url=url,
            status=400,
        )


def _opensearch_int(root: ET.Element, name: str, url: str) -> int:
    text = _text(root, f"opensearch:{name}")
    if text is None or not re.fullmatch(r"[0-9]+", text):
        raise ParseError(
            f"opensearch:{name} is missing or not a number ({text!r})", source=SOURCE, url=url
        )
    return int(text)


def _timestamp(text: str | None, url: str, n: int) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ParseError(f"entry {n}: bad <published> {text!r}", source=SOURCE, url=url) from exc
    if moment.tzinfo is None:  # the API writes "Z"; a bare time is UTC by its documentation
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _describe_query(url: str, root: ET.Element) -> str:
    """The listing's period: the query asked, from the URL (or the feed title as a fallback)."""
    if query := _query_param(url, "search_query"):
        return query
    if ids := _query_param(url, "id_list"):
        return f"id_list:{ids}"
    title = _text(root, "atom:title") or ""
    return title.removeprefix("ArXiv Query:").strip() or "query"


def _query_param(url: str, name: str) -> str:
    values = parse_qs(urlsplit(url).query).get(name)
    return values[0].strip() if values else ""


def _phrase(field: str, text: str) -> str:
    if field not in _FIELDS:
        raise ValueError(f"unknown arXiv search field {field!r}; use one of {_FIELDS}")
    cleaned = _collapse(text.replace('"', " "))
    if not cleaned:
        raise ValueError(f"empty {field}: search term")
    return f'{field}:"{cleaned}"'


def _join(operator: str, queries: tuple[str, ...]) -> str:
    parts = [q for q in queries if q]
    if not parts:
        raise ValueError(f"{operator} needs at least one query")
    return parts[0] if len(parts) == 1 else f" {operator} ".join(f"({q})" for q in parts)


def _text(node: ET.Element, path: str) -> str | None:
    found = node.find(path, _NS)
    if found is None:
        return None
    return _collapse(found.text) or None


def _collapse(text: str | None) -> str:
    return " ".join((text or "").split())
