"""Completeness against the previous run: a listing that suddenly parses empty is suspect.

Each parser already checks what a page declares ("showing 47 of 47 entries"). A page that
declares nothing and yields nothing still looks like a quiet day; but when the previous run of
the same listing had items, zero items now more likely means the layout changed (ARCHITECTURE:
"a changed page layout is an error, never an empty digest"). The exception is a page that says
itself that it is empty: arXiv's "No updates today", or a declared count of 0.

"The same listing" is the caller's call: for HF, the same source and period (re-running a day);
for arXiv ``/new``, the same category and kind (each announcement has its own period).
"""

from __future__ import annotations

from paperpulse.core.errors import LayoutChanged
from paperpulse.core.models import Listing
from paperpulse.scrapers.arxiv_listing import NOTHING_ANNOUNCED

# Notes a parser adds only when the source itself declared the listing empty. HF's
# "no Daily Papers were listed" is our inference from an empty answer, so it is not here.
DECLARED_EMPTY_NOTES = frozenset({NOTHING_ANNOUNCED})


def declares_empty(listing: Listing) -> bool:
    """Whether the source itself said the listing is empty (not merely that we found nothing)."""
    return listing.declared_count == 0 or not DECLARED_EMPTY_NOTES.isdisjoint(listing.notes)


def check_against_previous(listing: Listing, previous_count: int | None) -> None:
    """Raise ``LayoutChanged`` if ``listing`` is empty, undeclared, and the last run had items.

    ``previous_count`` is the number of items the previous successful run of the same listing
    parsed, or None when there was none.
    """
    if listing.items or not previous_count or declares_empty(listing):
        return
    raise LayoutChanged(
        f"parsed 0 items, but the previous run of this listing had {previous_count} and the "
        "page does not say it is empty: the layout probably changed; save the page and run "
        f"`paperpulse parse {listing.source} FILE`",
        source=listing.source,
        url=listing.url,
    )


GROWTH = 3  # a listing more than this many times its previous size...
GROWTH_FLOOR = 20  # ...and at least this many items larger is suspect, not news


def size_warning(listing: Listing, previous_count: int | None) -> str | None:
    """A warning when a listing jumped far past its previous run's size (11 papers, then 90:
    a page that now merges in another list, or a parser reading the wrong part of it)."""
    count = len(listing.items)
    if not previous_count or count <= max(GROWTH * previous_count, previous_count + GROWTH_FLOOR):
        return None
    return (
        f"parsed {count} items where the previous run of this listing had {previous_count} "
        f"({listing.url}): kept, but check the page; if its layout changed, save it and run "
        f"`paperpulse parse {listing.source} FILE`"
    )
