"""Parse Semantic Scholar Academic Graph API answers about authors, and build their URLs.

Shapes follow the API documentation: ``/author/search`` and ``/author/{id}/papers`` answer
``{"offset", "next"?, "data": [...]}`` (search adds an approximate ``"total"``; ``next`` is absent
on the last batch); ``/author/{id}`` answers the author object itself; errors are
``{"error": "..."}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import quote, urlencode

from paperpulse.core.errors import FetchError, ParseError
from paperpulse.core.kinds import Source
from paperpulse.core.models import AuthorPaper, AuthorProfile, split_arxiv_id
from paperpulse.core.names import same_author_name
from paperpulse.core.text import clean_text

SOURCE = Source.SEMANTIC_SCHOLAR
S2_API = "https://api.semanticscholar.org/graph/v1"
AUTHOR_FIELDS = ("name", "hIndex", "paperCount", "citationCount", "affiliations")
PAPER_FIELDS = ("title", "externalIds", "year", "publicationDate", "citationCount")
MAX_LIMIT = 1000  # documented ceiling of ``limit`` for author search and author papers


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorSearchPage:
    total: int  # approximate, by the API's own account
    offset: int
    next_offset: int | None
    authors: tuple[AuthorProfile, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorPapersPage:
    offset: int
    next_offset: int | None
    papers: tuple[AuthorPaper, ...]


def author_search_url(
    name: str,
    *,
    limit: int = 10,
    offset: int = 0,
    fields: Sequence[str] = AUTHOR_FIELDS,
    base: str = S2_API,
) -> str:
    """``/author/search?query=...``; hyphens become spaces (documented: they match nothing)."""
    query = " ".join(name.replace("-", " ").split())
    if not query:
        raise ValueError("author search needs a name")
    _check_paging(limit, offset)
    params = {"query": query, "offset": offset, "limit": limit, "fields": ",".join(fields)}
    return f"{base}/author/search?{urlencode(params)}"


def author_url(author_id: str, *, fields: Sequence[str] = AUTHOR_FIELDS, base: str = S2_API) -> str:
    """``/author/{id}?fields=...``."""
    return f"{base}/author/{_author_path(author_id)}?{urlencode({'fields': ','.join(fields)})}"


def author_papers_url(
    author_id: str,
    *,
    limit: int = 100,
    offset: int = 0,
    fields: Sequence[str] = PAPER_FIELDS,
    published_since: date | None = None,
    base: str = S2_API,
) -> str:
    """``/author/{id}/papers``, optionally only papers published on or after a date."""
    _check_paging(limit, offset)
    params: dict[str, str | int] = {"offset": offset, "limit": limit, "fields": ",".join(fields)}
    if published_since is not None:
        params["publicationDateOrYear"] = f"{published_since.isoformat()}:"
    return f"{base}/author/{_author_path(author_id)}/papers?{urlencode(params)}"


def parse_author_search(payload: str | bytes, url: str) -> AuthorSearchPage:
    body = _load(payload, url)
    data = _list(body, "data", url)
    return AuthorSearchPage(
        total=_int(body, "total", url, required=True) or 0,
        offset=_int(body, "offset", url) or 0,
        next_offset=_int(body, "next", url),
        authors=tuple(
            _author(_object(item, f"data[{i}]", url), url) for i, item in enumerate(data)
        ),
    )


def parse_author(payload: str | bytes, url: str) -> AuthorProfile:
    return _author(_load(payload, url), url)


def parse_author_papers(payload: str | bytes, url: str) -> AuthorPapersPage:
    body = _load(payload, url)
    data = _list(body, "data", url)
    return AuthorPapersPage(
        offset=_int(body, "offset", url) or 0,
        next_offset=_int(body, "next", url),
        papers=tuple(_paper(_object(item, f"data[{i}]", url), url) for i, item in enumerate(data)),
    )


def with_recent_papers(
    profile: AuthorProfile, papers: Iterable[AuthorPaper], *, limit: int = 10
) -> AuthorProfile:
    """The profile with its ``limit`` newest papers (by date, else year), newest first."""
    newest = sorted(
        papers,
        key=lambda p: p.publication_date or (date(p.year, 1, 1) if p.year else date.min),
        reverse=True,
    )
    return replace(profile, recent_papers=tuple(newest[:limit]))


def match_author(candidates: Iterable[AuthorProfile], name: str) -> AuthorProfile | None:
    """The candidate named ``name``; among namesakes, the one with the most papers."""
    named = [c for c in candidates if same_author_name(c.name, name)]
    return max(named, key=lambda c: c.paper_count or 0, default=None)


def _author(body: dict[str, object], url: str) -> AuthorProfile:
    author_id = body.get("authorId")
    if isinstance(author_id, int) and not isinstance(author_id, bool):
        author_id = str(author_id)
    if not isinstance(author_id, str) or not author_id:
        raise _shape(url, "authorId", "a non-empty string", author_id)
    name = body.get("name")
    if not isinstance(name, str):
        raise _shape(url, "name", "a string", name)
    affiliations = body.get("affiliations") or []
    if not isinstance(affiliations, list) or not all(isinstance(a, str) for a in affiliations):
        raise _shape(url, "affiliations", "a list of strings", affiliations)
    papers = body.get("papers") or []
    if not isinstance(papers, list):
        raise _shape(url, "papers", "a list", papers)
    return AuthorProfile(
        author_id=author_id,
        name=clean_text(name),
        h_index=_int(body, "hIndex", url),
        paper_count=_int(body, "paperCount", url),
        citation_count=_int(body, "citationCount", url),
        affiliations=tuple(clean for a in affiliations if (clean := clean_text(a))),
        recent_papers=tuple(_paper(_object(p, "papers[]", url), url) for p in papers),
    )


def _paper(body: dict[str, object], url: str) -> AuthorPaper:
    paper_id, title, external = _paper_head(body, url)
    return AuthorPaper(
        paper_id=paper_id,
        title=clean_text(title),
        arxiv_id=_arxiv_id(external.get("ArXiv")),
        publication_date=_date(body.get("publicationDate"), url),
        year=_int(body, "year", url),
        citation_count=_int(body, "citationCount", url),
    )


def _paper_head(body: dict[str, object], url: str) -> tuple[str, str, dict[str, object]]:
    """A paper object's ``paperId``, ``title`` and ``externalIds``, checked (every endpoint
    that answers papers: author papers, batch, citations)."""
    paper_id = body.get("paperId")
    if not isinstance(paper_id, str) or not paper_id:
        raise _shape(url, "paperId", "a non-empty string", paper_id)
    title = body.get("title") or ""
    if not isinstance(title, str):
        raise _shape(url, "title", "a string", title)
    external = body.get("externalIds") or {}
    if not isinstance(external, dict):
        raise _shape(url, "externalIds", "an object", external)
    return paper_id, title, external


def _arxiv_id(raw: object) -> str | None:
    """A usable arXiv id or None: a malformed cross-reference must not sink the whole profile."""
    if not isinstance(raw, str):
        return None
    try:
        return split_arxiv_id(raw)[0]
    except ValueError:
        return None


def _date(raw: object, url: str) -> date | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise _shape(url, "publicationDate", "a YYYY-MM-DD string or null", raw)


def _load(payload: str | bytes, url: str) -> dict[str, object]:
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and bad UTF-8 are ValueErrors
        raise ParseError(f"not JSON ({exc})", source=SOURCE, url=url) from exc
    if not isinstance(body, dict):
        raise _shape(url, "(top level)", "an object", body)
    if "data" not in body and "authorId" not in body:  # {"error": ...} or a gateway {"message"}
        for key in ("error", "message"):
            if isinstance(message := body.get(key), str):
                raise FetchError(
                    f"Semantic Scholar answered with an error: {message}", source=SOURCE, url=url
                )
    return body


def _list(body: dict[str, object], key: str, url: str) -> list[object]:
    value = body.get(key)
    if not isinstance(value, list):
        raise _shape(url, key, "a list", value)
    return value


def _object(value: object, where: str, url: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _shape(url, where, "an object", value)
    return value


def _int(body: dict[str, object], key: str, url: str, *, required: bool = False) -> int | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise _shape(url, key, "a non-negative integer", value)


def _shape(url: str, key: str, expected: str, got: object) -> ParseError:
    shown = repr(got)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return ParseError(
        f"field {key!r} should be {expected}, got {shown}; the API's response shape may have "
        "changed",
        source=SOURCE,
        url=url,
    )


def _author_path(author_id: str) -> str:
    if not author_id.strip():
        raise ValueError("author_id must not be empty")
    return quote(author_id.strip(), safe="")


def _check_paging(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1..{MAX_LIMIT}, not {limit}")
    if offset < 0:
        raise ValueError(f"offset must be >= 0, not {offset}")
