"""Issue 25: absurd counts from a source are clamped and flagged before storage, on both
backends (10^30 upvotes raised OverflowError in SQLite and lost the day; -5000 was shown)."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from paperpulse.core.bounds import MAX_COUNT, bound_listing
from paperpulse.storage import Repository
from tests.reliability.record import record
from tests.storage.builders import make_listing, make_paper, save


def test_absurd_and_negative_counts_are_clamped_flagged_and_stored(repo: Repository) -> None:
    listing = make_listing([make_paper("2608.00001"), make_paper("2608.00002")])
    first, second = listing.items
    listing = replace(
        listing,
        items=(
            replace(first, upvotes=10**30, stars=2**70),
            replace(second, upvotes=-5000, comments=-1),
        ),
    )
    bounded, warnings = bound_listing(listing)
    assert [w for w in warnings if "upvotes" in w] == [
        f"2608.00001 ({listing.url}): upvotes 1e+30 is absurd; stored as {MAX_COUNT:,}",
        f"2608.00002 ({listing.url}): upvotes -5000 is negative; ignored",
    ]
    assert len(warnings) == 4  # stars and comments flagged too
    _, result = save(repo, bounded)
    assert result.fetched == 2
    with repo.engine.connect() as conn:
        stored = dict(
            conn.execute(sa.text("SELECT arxiv_id, upvotes FROM sightings ORDER BY arxiv_id")).all()
        )
    assert stored == {"2608.00001": MAX_COUNT, "2608.00002": None}
    record(
        category="Issue 25",
        case="upvotes 10^30 and -5000, stars 2^70, comments -1 from a listing",
        where=f"bound_listing → save_listing ({repo.engine.dialect.name})",
        outcome="clamped to 10^9 or dropped, each flagged naming the paper and the URL; "
        "the day is stored",
    )
