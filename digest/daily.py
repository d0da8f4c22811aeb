"""The daily digest of one listing: the day's papers ranked by upvotes, with their gain."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

from digest.models import Digest, DigestItem, Section, Sighting, SourceHealth
from scrapers.models import Paper


def upvote_gain(current: Sighting, previous: Sighting | None) -> int | None:
    """Upvotes gained since the previous observation of the same listing, when there was one."""
    if previous is None or current.upvotes is None or previous.upvotes is None:
        return None
    return current.upvotes - previous.upvotes


def build_daily(
    *,
    list_date: date,
    items: Sequence[tuple[Paper, Sighting]],
    previous: Mapping[str, Sighting],
    new_ids: Collection[str],
    updated: int,
    health: Sequence[SourceHealth],
    generated_at: datetime,
    notes: Sequence[str] = (),
) -> Digest:
    """Rank the day's papers by upvotes (ties keep the listing's order)."""
    ranked = sorted(items, key=lambda pair: (-(pair[1].upvotes or 0), pair[1].rank or 0))
    digest_items = tuple(
        DigestItem(
            paper=paper,
            upvotes=sighting.upvotes,
            gain=upvote_gain(sighting, previous.get(paper.arxiv_id)),
            comments=sighting.comments,
            stars=sighting.stars,
            is_new=paper.arxiv_id in new_ids,
        )
        for paper, sighting in ranked
    )
    section_note = None if digest_items else "No Daily Papers were listed for this date."
    return Digest(
        edition="daily",
        period=list_date.isoformat(),
        title=f"Daily Papers · {list_date:%A %d %B %Y}",
        generated_at=generated_at,
        fetched=len(digest_items),
        new=sum(item.is_new for item in digest_items),
        updated=updated,
        sections=(Section(title="Papers of the day", items=digest_items, note=section_note),),
        health=tuple(health),
        notes=tuple(notes),
    )
