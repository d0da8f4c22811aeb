"""Followed authors: their new arXiv papers, and their standing on Semantic Scholar.

    arXiv API    search_query=au:"First Last" [AND submittedDate:[since TO now]], newest first
    S2 Graph     /author/search?query=  (only without a known id)  ->  /author/{id}
                 ->  /author/{id}/papers?publicationDateOrYear=<a year ago>:

arXiv's ``au:`` search is fuzzy (it matches any author sharing the words), so only entries with
an author whose name really is the followed one (``same_author_name``) are kept. A Semantic
Scholar API key, when configured, travels as the ``x-api-key`` header set up in
``scrapers.http.default_settings``; this module never sees it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from paperpulse.core.errors import FetchError
from paperpulse.core.kinds import Source
from paperpulse.core.models import AuthorProfile, Listing, Paper
from paperpulse.core.names import same_author_name
from paperpulse.scrapers import semantic_scholar as s2
from paperpulse.scrapers.arxiv_api import all_of, author_query, submitted_between
from paperpulse.scrapers.arxiv_source import fetch_api
from paperpulse.scrapers.protocols import Client

SOURCE = Source.ARXIV_AUTHOR
S2_GRAPH_PATH = "/graph/v1"
SEARCH_CANDIDATES = 10  # namesakes to choose from when no author id is configured
RECENT_PAPERS = 10
PAPERS_WINDOW = timedelta(days=365)  # how far back "recent papers" reach
PAPERS_LIMIT = 100


def fetch_author_papers(
    client: Client,
    *,
    api_base_url: str,
    name: str,
    since: date | None,
    max_results: int = 50,
    now: datetime,
) -> Listing:
    """The followed author's arXiv papers submitted since ``since`` (UTC day), newest first."""
    fetched_at = now
    query = author_query(name)
    if since is not None:
        query = all_of(query, submitted_between(datetime.combine(since, time(), UTC), fetched_at))
    found = fetch_api(
        client,
        base_url=api_base_url,
        search_query=query,
        max_results=max_results,
        sort_by="submittedDate",
        sort_order="descending",
        now=fetched_at,
    )
    kept = [
        item for item in found.items if is_by(item.paper, name) and not _before(item.paper, since)
    ]
    notes = [*found.notes]
    if len(kept) < len(found.items):
        notes.append(
            f"kept {len(kept)} of {len(found.items)} au: results: the others only share "
            f"words with {name!r}"
        )
    return Listing(
        source=SOURCE,
        period=name,
        url=found.url,
        fetched_at=fetched_at,
        items=tuple(replace(item, rank=rank) for rank, item in enumerate(kept, start=1)),
        declared_count=None,  # the API's total counts fuzzy matches, not the author's papers
        notes=tuple(notes),
    )


def is_by(paper: Paper, name: str) -> bool:
    """Whether one of the paper's authors is ``name`` (not merely a namesake's initials)."""
    return any(same_author_name(author.name, name) for author in paper.authors)


def _before(paper: Paper, since: date | None) -> bool:
    return bool(since and paper.published_at and paper.published_at.date() < since)


def fetch_author_profile(
    client: Client,
    *,
    s2_base_url: str,
    name: str,
    author_id: str | None = None,
    now: datetime,
) -> AuthorProfile:
    """h-index, counts, affiliations and the newest papers of the last year, from Semantic Scholar.

    Without ``author_id`` the name is searched and the matching candidate with the most papers
    is taken; raises ``FetchError`` when no candidate carries the name (configure the id then).
    """
    base = s2_base_url.rstrip("/") + S2_GRAPH_PATH
    if author_id is None:
        url = s2.author_search_url(name, limit=SEARCH_CANDIDATES, base=base)
        page = s2.parse_author_search(client.get(url, source=s2.SOURCE).content, url)
        chosen = s2.match_author(page.authors, name)
        if chosen is None:
            seen = ", ".join(repr(a.name) for a in page.authors) or "none"
            raise FetchError(
                f"no Semantic Scholar author is named {name!r} (candidates: {seen}); "
                "set the author's Semantic Scholar id in the configuration",
                source=s2.SOURCE,
                url=url,
            )
        author_id = chosen.author_id
    url = s2.author_url(author_id, base=base)
    profile = s2.parse_author(client.get(url, source=s2.SOURCE).content, url)
    since = (now - PAPERS_WINDOW).date()
    papers_url = s2.author_papers_url(
        author_id, limit=PAPERS_LIMIT, published_since=since, base=base
    )
    papers = s2.parse_author_papers(client.get(papers_url, source=s2.SOURCE).content, papers_url)
    return s2.with_recent_papers(profile, papers.papers, limit=RECENT_PAPERS)


def profile_changes(before: AuthorProfile | None, after: AuthorProfile) -> tuple[str, ...]:
    """What changed in an author's standing, as lines a reader understands.

    ("h-index 35 → 36", "+2 papers", "+120 citations", "new paper: <title>"). A first profile
    gives one summary line; a profile of another Semantic Scholar author gives one line saying so
    (comparing two people's numbers would mean nothing).
    """
    if before is None:
        return (f"now following {after.name}: {_standing(after)}",)
    if before.author_id != after.author_id:
        return (
            f"{after.name} now matches another Semantic Scholar profile "
            f"({before.author_id} → {after.author_id}): {_standing(after)}",
        )
    lines: list[str] = []
    if None not in (before.h_index, after.h_index) and before.h_index != after.h_index:
        lines.append(f"h-index {before.h_index} → {after.h_index}")
    for label, old, new in (
        ("paper", before.paper_count, after.paper_count),
        ("citation", before.citation_count, after.citation_count),
    ):
        if old is not None and new is not None and old != new:
            delta = new - old
            lines.append(f"{delta:+,} {label}{'' if abs(delta) == 1 else 's'}")
    known = {paper.paper_id for paper in before.recent_papers}
    lines += [f"new paper: {p.title}" for p in after.recent_papers if p.paper_id not in known]
    return tuple(lines)


def _standing(profile: AuthorProfile) -> str:
    parts = [
        f"{label} {value:,}" if label == "h-index" else f"{value:,} {label}"
        for label, value in (
            ("h-index", profile.h_index),
            ("papers", profile.paper_count),
            ("citations", profile.citation_count),
        )
        if value is not None
    ]
    return ", ".join(parts) or "no counts known"
