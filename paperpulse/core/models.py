"""The values every stage passes around: frozen, slotted, keyword-only, timezone-aware.

A ``Paper`` is what a paper *is* (identity and slowly changing metadata); a ``ListingItem`` is
what one listing said about it at one moment (rank, upvotes, comments, stars). Storage keeps
papers merged and items as append-only sightings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from paperpulse.core.kinds import RunStatus

# New-style ids (2407.21783, 0704.0001) and old-style ids (hep-th/9901001, math.GT/0309136).
_ARXIV_ID = re.compile(
    r"^(?P<id>\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?$"
)


def split_arxiv_id(raw: str) -> tuple[str, int | None]:
    """Return ``(id_without_version, version)`` for an arXiv id, URL tail or ``arXiv:`` label.

    Raises ``ValueError`` when ``raw`` is not an arXiv identifier.
    """
    text = raw.strip()
    for prefix in ("arXiv:", "arxiv:"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    for marker in ("/abs/", "/pdf/", "/papers/"):
        if marker in text:
            text = text.split(marker, 1)[1]
    text = text.strip().removesuffix(".pdf")
    match = _ARXIV_ID.match(text)
    if not match:
        raise ValueError(f"not an arXiv id: {raw!r}")
    version = match.group("version")
    return match.group("id"), int(version) if version else None


def normalize_arxiv_id(raw: str) -> str:
    """The arXiv id without its version suffix: the identity of a paper everywhere."""
    return split_arxiv_id(raw)[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class Author:
    name: str
    hf_user: str | None = None
    affiliation: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Paper:
    arxiv_id: str  # without version: the natural key
    title: str
    authors: tuple[Author, ...] = ()
    abstract: str = ""
    published_at: datetime | None = None  # arXiv submission time
    list_date: date | None = None  # HF Daily list date or arXiv announcement date
    version: int | None = None
    primary_category: str | None = None
    categories: tuple[str, ...] = ()
    organization: str | None = None
    github_repo: str | None = None
    project_page: str | None = None
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] = ()
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None

    @property
    def hf_url(self) -> str:
        return f"https://huggingface.co/papers/{self.arxiv_id}"

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ListingItem:
    """One paper as one listing showed it: the volatile numbers live here, not on ``Paper``."""

    paper: Paper
    rank: int  # 1-based position in the listing
    upvotes: int | None = None
    comments: int | None = None
    stars: int | None = None
    section: str | None = None  # arXiv: "new", "cross", "replacement"


@dataclass(frozen=True, slots=True, kw_only=True)
class Listing:
    """What one fetch of one listing page (all of its API pages) returned."""

    source: str  # "hf-daily", "arxiv-listing", ...
    period: str  # the list date "2024-08-01", week "2024-W31", month, query, or "trending"
    url: str
    fetched_at: datetime
    items: tuple[ListingItem, ...] = ()
    declared_count: int | None = None  # what the page says it holds, when it says
    notes: tuple[str, ...] = field(default=())  # e.g. "no Daily Papers listed for this date"

    @property
    def papers(self) -> tuple[Paper, ...]:
        return tuple(item.paper for item in self.items)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorPaper:
    """One of an author's papers, as Semantic Scholar lists it."""

    paper_id: str
    title: str
    arxiv_id: str | None  # without version, when Semantic Scholar knows the arXiv id
    publication_date: date | None
    year: int | None = None
    citation_count: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorProfile:
    """An author's standing; counts are None when the request did not ask for them."""

    author_id: str
    name: str
    h_index: int | None = None
    paper_count: int | None = None
    citation_count: int | None = None
    affiliations: tuple[str, ...] = ()
    recent_papers: tuple[AuthorPaper, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Sighting:
    """One observation of one paper in one run (append-only history; diffs and trending read it)."""

    arxiv_id: str
    source: str
    period: str
    run_id: int
    observed_at: datetime  # UTC
    rank: int | None = None
    upvotes: int | None = None
    comments: int | None = None
    stars: int | None = None
    section: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """One fetch of one source for one period, as the run ledger keeps it."""

    id: int
    source: str
    period: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None = None
    fetched: int = 0
    new: int = 0
    updated: int = 0
    declared: int | None = None
    error: str | None = None
    owner: str | None = None  # "host:pid" of the process that ran it
    purpose: str | None = None  # "scheduled", "heal", "refresh", "backfill" (None: older)
