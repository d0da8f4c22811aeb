"""Hugging Face paper items -> ``ListingItem`` values.

Every HF listing (daily/week/month/trending API and pages, search, one-paper lookups) carries the
same item object: ``{"paper": {...}, "title", "numComments", "organization", ...}``. This module
turns one such object into values and is shared by all HF parsers. Both record shapes are
accepted: the lean 2024 one (no ``submittedOnDailyAt``) and the 2026 one (``ai_summary``,
``organization``, ``githubStars``...).
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from paperpulse.core.errors import ParseError
from paperpulse.core.models import Author, ListingItem, Paper, split_arxiv_id
from paperpulse.core.text import all_clean, clean_text, valid_text
from paperpulse.scrapers.author_values import SLOTS

log = logging.getLogger(__name__)


def parse_items(
    raw_items: Sequence[Any], *, source: str, url: str, requested_date: date | None
) -> tuple[ListingItem, ...]:
    """Parse a list of HF items in listing order; any malformed item fails the whole page."""
    items: list[ListingItem] = []
    seen: dict[str, ListingItem] = {}
    for index, raw in enumerate(raw_items):
        item = as_mapping(raw, source=source, url=url, where=f"item {index}")
        listed = parse_item(
            item,
            rank=len(items) + 1,
            source=source,
            url=url,
            requested_date=requested_date,
            where=f"item {index}",
        )
        # Paging can shift while HF inserts papers: the same paper may come back on two pages.
        first = seen.setdefault(listed.paper.arxiv_id, listed)
        if first is listed:
            items.append(listed)
        elif replace(listed, rank=first.rank) != first:
            log.warning(
                "%s: %s is listed twice with different values; the first (rank %d) is kept",
                url,
                listed.paper.arxiv_id,
                first.rank,
            )
    return tuple(items)


def parse_item(
    item: Mapping[str, Any],
    *,
    rank: int,
    source: str,
    url: str,
    requested_date: date | None,
    where: str = "item",
) -> ListingItem:
    """One HF item (or a bare ``paper`` object, as the search API may return) -> ``ListingItem``."""
    paper = item.get("paper", item)
    if not isinstance(paper, (dict, Mapping)):
        raise ParseError(f"{where}: 'paper' is not an object", source=source, url=url)
    raw_id = paper.get("id")
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise ParseError(f"{where}: missing 'paper.id'", source=source, url=url)
    try:
        arxiv_id, version = split_arxiv_id(raw_id)
    except ValueError:
        raise ParseError(
            f"{where}: 'paper.id' {raw_id!r} is not an arXiv id", source=source, url=url
        ) from None
    title = clean_text(_str(item.get("title")) or _str(paper.get("title")))
    if not title:
        raise ParseError(f"{where} ({arxiv_id}): missing title", source=source, url=url)
    authors = paper.get("authors", [])
    if not isinstance(authors, list):
        raise ParseError(
            f"{where} ({arxiv_id}): 'paper.authors' is not a list", source=source, url=url
        )

    submitted = _str(paper.get("submittedOnDailyAt"))
    list_date = _date(submitted[:10]) if submitted else None
    value = Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        authors=tuple(_authors(authors)),
        abstract=clean_text(_str(paper.get("summary")) or _str(item.get("summary"))),
        published_at=_datetime(_str(paper.get("publishedAt"))),
        list_date=list_date or requested_date,
        organization=_organization(item.get("organization"))
        or _organization(paper.get("organization")),
        github_repo=_str(paper.get("githubRepo")) or None,
        project_page=_str(paper.get("projectPage")) or None,
        ai_summary=clean_text(_str(paper.get("ai_summary"))) or None,
        ai_keywords=tuple(
            clean_text(k) for k in _list(paper.get("ai_keywords")) if isinstance(k, str)
        ),
    )
    return ListingItem(
        paper=value,
        rank=rank,
        upvotes=_int(paper.get("upvotes")),
        comments=_int(item.get("numComments")),
        stars=_int(paper.get("githubStars")),
    )


def as_mapping(raw: Any, *, source: str, url: str, where: str) -> Mapping[str, Any]:
    if isinstance(raw, (dict, Mapping)):
        return raw
    if isinstance(raw, str):
        # Some public archives of HF responses stored each item as a Python literal
        # (str(dict)); literal_eval reads those safely (it never executes code).
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            value = None
        if isinstance(value, Mapping):
            return value
    raise ParseError(f"{where} is not an object", source=source, url=url)


def _authors(raw: list[Any]) -> list[Author]:
    """The visible authors of an HF paper. The hottest loop of a Daily Papers parse (one paper
    lists 533 authors), so it takes the usual shape for granted: dict entries, ASCII user
    names, names checked clean all at once at the end. Anything else (TypeError from a
    non-dict, a name that needs cleaning...) goes to the plain loop, which decides alone."""
    if SLOTS is None:
        return _authors_one_by_one(raw)
    set_name, set_hf_user, set_affiliation = SLOTS
    new = object.__new__
    get = dict.get  # raises TypeError on anything but a dict
    authors: list[Author] = []
    names: list[Any] = []  # strings, or all_clean raises TypeError
    try:
        for entry in raw:
            if get(entry, "hidden") is True:
                continue
            name = get(entry, "name")
            hf_user = get(entry, "user")
            if hf_user is not None:
                hf_user = get(hf_user, "user")
                if hf_user.__class__ is not str or not hf_user or not hf_user.isascii():
                    return _authors_one_by_one(raw)  # valid_text, or no user name
            author = new(Author)
            set_name(author, name)
            set_hf_user(author, hf_user)
            set_affiliation(author, None)
            authors.append(author)
            names.append(name)
        if all_clean(names):  # TypeError when a name is not a string
            return authors
    except TypeError:
        pass
    return _authors_one_by_one(raw)


def _authors_one_by_one(raw: list[Any]) -> list[Author]:
    """``_authors`` the plain way: each name through ``clean_text``, skipped when empty."""
    authors = []
    for entry in raw:
        if not isinstance(entry, (dict, Mapping)) or entry.get("hidden") is True:
            continue
        name = entry.get("name")
        name = clean_text(name) if isinstance(name, str) else ""
        if not name:
            continue
        user = entry.get("user")
        hf_user = None
        if user is not None and isinstance(user, (dict, Mapping)):
            hf_user = _str(user.get("user")) or None
        authors.append(Author(name=name, hf_user=hf_user))
    return authors


def _organization(raw: Any) -> str | None:
    if raw is None or not isinstance(raw, (dict, Mapping)):
        return None
    return clean_text(_str(raw.get("fullname")) or _str(raw.get("name"))) or None


def _str(value: Any) -> str:
    """A string field, "" when absent or not a string; lone surrogates replaced (URLs and
    user names do not go through ``clean_text``)."""
    return valid_text(value) if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _datetime(text: str) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
