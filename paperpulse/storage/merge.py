"""How an incoming paper merges into the stored one, in Python (counts) and in SQL (upsert).

The rule: a known incoming value overwrites; an unknown one (None, blank text, empty tuple)
never erases. ``list_date`` keeps the earliest, ``version`` the highest (an old listing
replayed by a backfill must not roll a paper back).

A known paper counts as *updated* when a tracked field (title, abstract, github_repo,
version) really changed: learning a value we never had is not a change, except a GitHub
repository appearing (code released); reflowed whitespace is not a change either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Table, and_, func, or_

from paperpulse.core.models import Author, Listing, ListingItem, Paper
from paperpulse.core.names import author_key
from paperpulse.storage.bulk import Insert

# Optional columns merged by plain "known value wins" (COALESCE).
MERGED_COLUMNS = (
    "abstract",
    "published_at",
    "primary_category",
    "categories",
    "organization",
    "github_repo",
    "project_page",
    "ai_summary",
    "ai_keywords",
    "comment",
    "journal_ref",
    "doi",
)


@dataclass(frozen=True, slots=True)
class TrackedFields:
    """The stored values that decide whether a known paper counts as updated."""

    title: str
    abstract: str | None
    github_repo: str | None
    version: int | None


def named_authors(authors: Iterable[Author]) -> list[tuple[str, Author]]:
    """``(key, author)`` in byline order, nameless entries dropped."""
    return [(key, a) for a in authors if (key := author_key(a.name))]


def first_per_paper(items: Iterable[ListingItem]) -> list[ListingItem]:
    """One item per paper: a paper listed twice keeps its first (best-ranked) item."""
    firsts: dict[str, ListingItem] = {}
    for item in items:
        firsts.setdefault(item.paper.arxiv_id, item)
    return list(firsts.values())


def is_tracked_change(stored: TrackedFields, paper: Paper) -> bool:
    title = (
        paper.title != stored.title
        and bool(_known(paper.title) and stored.title.strip())
        and _squash(paper.title) != _squash(stored.title)
    )
    abstract = (
        paper.abstract != stored.abstract
        and bool(_known(paper.abstract) and stored.abstract)
        and _squash(paper.abstract) != _squash(stored.abstract or "")
    )
    incoming_repo = _known(paper.github_repo)
    repo = incoming_repo is not None and (
        stored.github_repo is None or _repo_key(incoming_repo) != _repo_key(stored.github_repo)
    )
    # An id without a version (HF lists ids bare) is v1 until a source says otherwise, so a
    # paper first seen bare and now at v2 was revised.
    version = paper.version is not None and paper.version > (stored.version or 1)
    return title or abstract or repo or version


def paper_params(paper: Paper, observed_at: datetime, *, changed: bool) -> dict[str, Any]:
    """One row of the papers upsert; unknown values become NULL so they never overwrite."""
    return {
        "arxiv_id": paper.arxiv_id,
        "title": paper.title.strip(),  # blank only sticks for a new paper: NOT NULL column
        "abstract": _known(paper.abstract),
        "published_at": paper.published_at,
        "list_date": paper.list_date,
        "version": paper.version,
        "primary_category": _known(paper.primary_category),
        "categories": list(paper.categories) or None,
        "organization": _known(paper.organization),
        "github_repo": _known(paper.github_repo),
        "project_page": _known(paper.project_page),
        "ai_summary": _known(paper.ai_summary),
        "ai_keywords": list(paper.ai_keywords) or None,
        "comment": _known(paper.comment),
        "journal_ref": _known(paper.journal_ref),
        "doi": _known(paper.doi),
        "first_seen_at": observed_at,  # kept from the first insert
        # Set only when a tracked field changed; a new paper starts NULL ("never changed").
        "updated_at": observed_at if changed else None,
    }


def revision_params(arxiv_id: str, before: TrackedFields, changed_at: datetime) -> dict[str, Any]:
    """A revision row: the tracked fields as they were before the change at ``changed_at``."""
    return {
        "arxiv_id": arxiv_id,
        "changed_at": changed_at,
        "title": before.title,
        "abstract": before.abstract,
        "github_repo": before.github_repo,
        "version": before.version,
    }


def sighting_params(
    run_id: int, listing: Listing, item: ListingItem, observed_at: datetime
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "arxiv_id": item.paper.arxiv_id,
        "source": listing.source,
        "period": listing.period,
        "observed_at": observed_at,
        "rank": item.rank,
        "upvotes": item.upvotes,
        "comments": item.comments,
        "stars": item.stars,
        "section": item.section,
    }


def upsert_papers(insert: Insert, papers: Table) -> Insert:
    """``INSERT .. ON CONFLICT (arxiv_id) DO UPDATE`` applying the merge rule, for executemany.

    The ``WHERE`` skips rows that would not change, so re-running a day rewrites nothing
    (no dead tuples on PostgreSQL, no WAL growth on SQLite).
    """
    new, old = insert.excluded, papers.c
    incoming_title = func.nullif(new.title, "")
    earlier_list_date = and_(
        new.list_date.is_not(None), or_(old.list_date.is_(None), new.list_date < old.list_date)
    )
    higher_version = and_(
        new.version.is_not(None), or_(old.version.is_(None), new.version > old.version)
    )
    set_: dict[str, Any] = {name: func.coalesce(new[name], old[name]) for name in MERGED_COLUMNS}
    set_ |= {
        "title": func.coalesce(incoming_title, old.title),
        "list_date": sa.case((earlier_list_date, new.list_date), else_=old.list_date),
        "version": sa.case((higher_version, new.version), else_=old.version),
        "updated_at": func.coalesce(new.updated_at, old.updated_at),
        "families": func.coalesce(new.families, old.families),
    }
    changes = [
        and_(new[name].is_not(None), old[name].is_distinct_from(new[name]))
        for name in MERGED_COLUMNS
    ]
    changes += [
        and_(incoming_title.is_not(None), old.title != new.title),
        earlier_list_date,
        higher_version,
        new.updated_at.is_not(None),
        and_(new.families.is_not(None), old.families.is_distinct_from(new.families)),
    ]
    return insert.on_conflict_do_update(index_elements=["arxiv_id"], set_=set_, where=or_(*changes))


def _known(value: str | None) -> str | None:
    """Blank means unknown: it must not overwrite what we know."""
    return value if value and value.strip() else None


def _squash(text: str) -> str:
    """Sources wrap and space text differently; that is not a change."""
    return " ".join(text.split())


def _repo_key(url: str) -> str:
    return url.strip().rstrip("/").casefold().removesuffix(".git")
