"""A daily digest from (paper, sighting) pairs, through the real edition builder (tests only)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

from paperpulse.core.models import Paper, Sighting
from paperpulse.digest.diff import DiffWindow, PaperHistory
from paperpulse.digest.edition import EditionInputs, build_edition
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
    del new_ids, updated  # derived by the builder from the histories, as in production
    earlier = previous or {}
    histories = tuple(
        PaperHistory(
            paper=paper,
            first_seen_at=(earlier.get(paper.arxiv_id) or sighting).observed_at,
            sightings=tuple(s for s in (earlier.get(paper.arxiv_id), sighting) if s),
        )
        for paper, sighting in items
    )
    inputs = EditionInputs(
        edition="daily",
        period=list_date.isoformat(),
        title=f"Daily Papers · {list_date:%A %d %B %Y}",
        window=DiffWindow(start=None, end=generated_at),
        histories=histories,
        runs=(),
        primary=tuple(sighting for _, sighting in items),
        health=tuple(health),
        notes=tuple(notes),
    )
    return build_edition(inputs).digest
