"""A daily digest from (paper, sighting) pairs, through the real edition builder (tests only)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

from paperpulse.core.models import Paper, Sighting
from paperpulse.digest.edition import DayListing, EditionInputs, build_edition
from paperpulse.digest.models import Digest, SourceHealth


def build_daily(
    *,
    list_date: date,
    items: Sequence[tuple[Paper, Sighting]],
    generated_at: datetime,
    previous: Mapping[str, Sighting] | None = None,
    new_ids: Collection[str] = (),
    updated: int = 0,
    health: Sequence[SourceHealth] = (),
    notes: Sequence[str] = (),
) -> Digest:
    """The day's edition as the pipeline would build it from these observations."""
    del new_ids, updated  # derived by the builder from the reader's ledger, as in production
    earlier = previous or {}
    inputs = EditionInputs(
        edition="daily",
        key=list_date.isoformat(),
        title=f"Daily Papers · {list_date:%A %d %B %Y}",
        as_of=generated_at,
        listings=(
            DayListing(
                day=list_date,
                ids=tuple(paper.arxiv_id for paper, _ in items),
                status="complete" if items else "empty",
            ),
        ),
        papers={paper.arxiv_id: paper for paper, _ in items},
        sightings={
            paper.arxiv_id: tuple(s for s in (earlier.get(paper.arxiv_id), sighting) if s)
            for paper, sighting in items
        },
        health=tuple(health),
        notes=tuple(notes),
    )
    return build_edition(inputs)
