"""Bounds on what one listing may put into the database, the archive and the feeds.

A hostile or broken upstream once served a 650 KB abstract and a 100 KB title; both went
into every output. Each text field is cut to a generous limit (arXiv itself caps abstracts at
1,920 characters and titles far below 1,000), and the cut is reported, never silent. A paper
listed twice with different values is reported too; storage keeps the first (best-ranked).
"""

from __future__ import annotations

from dataclasses import replace

from paperpulse.core.models import Listing, ListingItem, Paper

LIMITS = {
    "title": 1_000,
    "abstract": 20_000,
    "ai_summary": 5_000,
    "comment": 2_000,
    "journal_ref": 1_000,
    "organization": 500,
}
AUTHOR_NAME_LIMIT = 300
MAX_AUTHORS = 3_000  # the largest collaborations list ~3,000 names
# Counts a listing shows (upvotes, comments, stars): the most-upvoted HF paper has ~10^4 and
# the most-starred repository ~10^6; a billion is absurd yet fits every integer column.
MAX_COUNT = 10**9
COUNTS = ("upvotes", "comments", "stars")
ELLIPSIS = "…"


def bound_listing(listing: Listing) -> tuple[Listing, tuple[str, ...]]:
    """The listing with every paper's text within ``LIMITS``, and a warning per problem."""
    warnings: list[str] = []
    items = []
    for item in listing.items:
        paper, cuts = bound_paper(item.paper)
        if cuts:
            warnings.append(f"{paper.arxiv_id}: {', '.join(cuts)} cut to size")
            item = replace(item, paper=paper)
        item, flagged = bound_counts(item, listing.url)
        warnings += flagged
        items.append(item)
    warnings += _duplicates(items)
    if not warnings:
        return listing, ()
    return replace(listing, items=tuple(items)), tuple(warnings)


def bound_counts(item: ListingItem, url: str) -> tuple[ListingItem, list[str]]:
    """Counts within ``[0, MAX_COUNT]``: a larger one is clamped, a negative one dropped (not
    known), each flagged naming the paper and where it came from."""
    changes: dict[str, int | None] = {}
    warnings = []
    for name in COUNTS:
        value = getattr(item, name)
        if value is None or 0 <= value <= MAX_COUNT:
            continue
        shown = f"{value:.3g}" if abs(value) > MAX_COUNT else str(value)
        if value < 0:
            changes[name] = None
            warnings.append(f"{item.paper.arxiv_id} ({url}): {name} {shown} is negative; ignored")
        else:
            changes[name] = MAX_COUNT
            warnings.append(
                f"{item.paper.arxiv_id} ({url}): {name} {shown} is absurd; stored as {MAX_COUNT:,}"
            )
    return (replace(item, **changes) if changes else item), warnings  # type: ignore[arg-type]


def bound_paper(paper: Paper) -> tuple[Paper, list[str]]:
    changes: dict[str, object] = {}
    cuts = []
    for name, limit in LIMITS.items():
        value = getattr(paper, name)
        if value is not None and len(value) > limit:
            changes[name] = _cut(value, limit)
            cuts.append(f"{name} ({len(value):,} characters)")
    authors = paper.authors
    if len(authors) > MAX_AUTHORS:
        cuts.append(f"author list ({len(authors):,} names)")
        authors = authors[:MAX_AUTHORS]
    if any(len(a.name) > AUTHOR_NAME_LIMIT for a in authors):
        cuts.append("author name(s)")
        authors = tuple(
            replace(a, name=_cut(a.name, AUTHOR_NAME_LIMIT))
            if len(a.name) > AUTHOR_NAME_LIMIT
            else a
            for a in authors
        )
    if authors is not paper.authors:
        changes["authors"] = authors
    return (replace(paper, **changes) if changes else paper), cuts  # type: ignore[arg-type]


def _cut(text: str, limit: int) -> str:
    return text[: limit - 1].rstrip() + ELLIPSIS


def _duplicates(items: list[ListingItem]) -> list[str]:
    first: dict[str, ListingItem] = {}
    warnings = []
    for item in items:
        seen = first.setdefault(item.paper.arxiv_id, item)
        if seen is not item and replace(seen, rank=item.rank) != item:
            warnings.append(
                f"{item.paper.arxiv_id} is listed twice with different values (ranks "
                f"{seen.rank} and {item.rank}); the first is kept"
            )
    return warnings
