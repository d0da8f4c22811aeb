"""Bounds on one listing's text (paperpulse.core.bounds): cut, reported, never silent."""

from __future__ import annotations

from datetime import UTC, datetime

from paperpulse.core.bounds import LIMITS, bound_listing
from paperpulse.core.models import Author, Listing, ListingItem, Paper

AT = datetime(2026, 1, 1, tzinfo=UTC)


def listing(*items: ListingItem) -> Listing:
    return Listing(source="arxiv-listing", period="cs.LG", url="u", fetched_at=AT, items=items)


def test_a_clean_listing_is_returned_as_is() -> None:
    clean = listing(ListingItem(paper=Paper(arxiv_id="2401.00001", title="T"), rank=1))
    assert bound_listing(clean) == (clean, ())


def test_oversized_fields_are_cut_with_an_ellipsis_and_named() -> None:
    paper = Paper(
        arxiv_id="2401.00001",
        title="t" * 5_000,
        abstract="a " * 400_000,
        authors=(Author(name="n" * 1_000), Author(name="Ada")),
    )
    bounded, warnings = bound_listing(listing(ListingItem(paper=paper, rank=1)))
    cut = bounded.items[0].paper
    assert len(cut.title) == LIMITS["title"] and cut.title.endswith("…")
    assert len(cut.abstract) <= LIMITS["abstract"] and cut.abstract.endswith("…")
    assert len(cut.authors[0].name) == 300 and cut.authors[1].name == "Ada"
    assert warnings == (
        "2401.00001: title (5,000 characters), abstract (800,000 characters), author name(s) "
        "cut to size",
    )


def test_the_same_paper_twice_with_other_values_is_a_warning() -> None:
    a = ListingItem(paper=Paper(arxiv_id="2401.00001", title="T"), rank=1, upvotes=3)
    same = ListingItem(paper=Paper(arxiv_id="2401.00001", title="T"), rank=2, upvotes=3)
    other = ListingItem(paper=Paper(arxiv_id="2401.00001", title="T2"), rank=3, upvotes=3)
    assert bound_listing(listing(a, same))[1] == ()
    _, warnings = bound_listing(listing(a, same, other))
    assert warnings == (
        "2401.00001 is listed twice with different values (ranks 1 and 3); the first is kept",
    )
