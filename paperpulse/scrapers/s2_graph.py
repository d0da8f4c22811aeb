"""Semantic Scholar's Graph API about papers: batch lookups and citations (build URLs, parse).

Shapes, from the API's documentation:
- ``POST /paper/batch?fields=...`` with ``{"ids": [...]}`` (at most 500 ids) answers a list in
  the order asked, ``null`` where an id is unknown;
- ``GET /paper/{id}/citations?fields=...&offset=&limit=`` (limit at most 1000) answers
  ``{"offset", "next"?, "data": [{"citingPaper": {...}, "contexts", "intents",
  "isInfluential"}]}``; ``next`` is absent on the last page.
A paper object has ``paperId``, ``title``, ``externalIds`` (``ArXiv``, ``DOI``, ``CorpusId``…),
``venue`` (a string), ``publicationVenue`` (``{"name", "type"}``), ``journal``
(``{"name", "volume", "pages"}``), ``year`` and ``publicationDate``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlencode

from paperpulse.core.errors import FetchError, ParseError
from paperpulse.core.kinds import Source
from paperpulse.core.scholarly import PaperIds, ScholarPaper, clean_venue
from paperpulse.core.text import clean_text

# The same shape checks as the author endpoints: one wording for every S2 answer.
from paperpulse.scrapers.semantic_scholar import _int, _object, _paper_head, _shape

SOURCE = Source.SEMANTIC_SCHOLAR
S2_API = "https://api.semanticscholar.org/graph/v1"
BATCH_MAX = 500  # documented ceiling of ids per batch call
CITATIONS_MAX = 1000  # documented ceiling of ``limit``
BATCH_FIELDS = (
    "title",
    "externalIds",
    "venue",
    "publicationVenue",
    "journal",
    "year",
    "publicationDate",
    "citationCount",
)
CITING_FIELDS = ("title", "externalIds", "venue", "publicationVenue", "year", "publicationDate")


@dataclass(frozen=True, slots=True, kw_only=True)
class CitationsPage:
    offset: int
    next_offset: int | None
    papers: tuple[ScholarPaper, ...]  # citing papers S2 knows well enough to name


def batch_url(*, fields: Sequence[str] = BATCH_FIELDS, base: str = S2_API) -> str:
    return f"{base}/paper/batch?{urlencode({'fields': ','.join(fields)})}"


def batch_body(lookups: Sequence[str]) -> dict[str, list[str]]:
    if not 1 <= len(lookups) <= BATCH_MAX:
        raise ValueError(f"a batch holds 1..{BATCH_MAX} ids, not {len(lookups)}")
    return {"ids": list(lookups)}


def citations_url(
    lookup: str,
    *,
    offset: int = 0,
    limit: int = CITATIONS_MAX,
    fields: Sequence[str] = CITING_FIELDS,
    base: str = S2_API,
) -> str:
    if not 1 <= limit <= CITATIONS_MAX or offset < 0:
        raise ValueError(f"limit must be 1..{CITATIONS_MAX} and offset >= 0")
    params = {"fields": ",".join(fields), "offset": offset, "limit": limit}
    return f"{base}/paper/{quote(lookup, safe=':')}/citations?{urlencode(params)}"


def parse_batch(payload: str | bytes, url: str, asked: int) -> list[ScholarPaper | None]:
    """One entry per id asked, in order; None for an id S2 does not know."""
    body = _load(payload, url)
    if not isinstance(body, list):
        raise _shape(url, "(top level)", "a list", body)
    if len(body) != asked:
        raise ParseError(
            f"batch answered {len(body)} entries for {asked} ids; the API's response shape may "
            "have changed",
            source=SOURCE,
            url=url,
        )
    return [
        None if item is None else _paper(_object(item, f"[{i}]", url), url)
        for i, item in enumerate(body)
    ]


def parse_citations(payload: str | bytes, url: str) -> CitationsPage:
    body = _load(payload, url)
    if not isinstance(body, dict):
        raise _shape(url, "(top level)", "an object", body)
    data = body.get("data")
    if not isinstance(data, list):
        raise _shape(url, "data", "a list", data)
    papers = []
    for i, item in enumerate(data):
        citing = _object(item, f"data[{i}]", url).get("citingPaper")
        citing_obj = _object(citing, f"data[{i}].citingPaper", url)
        # S2 lists citations it cannot resolve with a null paperId and little else: unnamed.
        if citing_obj.get("paperId") is None:
            continue
        papers.append(_paper(citing_obj, url))
    return CitationsPage(
        offset=_int(body, "offset", url) or 0,
        next_offset=_int(body, "next", url),
        papers=tuple(papers),
    )


def _paper(body: dict[str, object], url: str) -> ScholarPaper:
    paper_id, title, external = _paper_head(body, url)
    corpus = external.get("CorpusId")
    ids = PaperIds.of(
        arxiv=_str(external.get("ArXiv")),
        doi=_str(external.get("DOI")),
        s2=paper_id,
        corpus=corpus if isinstance(corpus, (int, str)) and not isinstance(corpus, bool) else None,
    )
    return ScholarPaper(
        ids=ids,
        title=clean_text(title),
        venue=_venue(body),
        year=_int(body, "year", url),
        publication_date=_date(body.get("publicationDate")),
        citation_count=_int(body, "citationCount", url),
    )


def _venue(body: dict[str, object]) -> str | None:
    """``publicationVenue.name``, else ``venue``, else ``journal.name``: the first that names
    a real venue (arXiv itself is not one)."""
    named = []
    for key in ("publicationVenue", "journal"):
        value = body.get(key)
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            named.append(value["name"])
    venue = body.get("venue")
    candidates = [*named[:1], venue if isinstance(venue, str) else None, *named[1:]]
    return next((v for c in candidates if (v := clean_venue(clean_text(c or "")))), None)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _date(raw: object) -> date | None:
    """A malformed date is dropped: it must not sink a whole batch."""
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            return None
    return None


def _load(payload: str | bytes, url: str) -> object:
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"not JSON ({exc})", source=SOURCE, url=url) from exc
    if isinstance(body, dict) and "data" not in body:  # {"error": ...} or a gateway message
        for key in ("error", "message"):
            if isinstance(message := body.get(key), str):
                raise FetchError(
                    f"Semantic Scholar answered with an error: {message}", source=SOURCE, url=url
                )
    return body
