"""Digests of real Hugging Face days (``/work/shared/data/hf_api_daily``, see its SOURCES.md),
built through the real edition builder: the busiest captured days, one by one and as a catch-up.

The captures hold one observation per day (upvotes as of the capture), so these digests have no
rising papers; the topics are the example configuration's. Tests skip when the data is absent.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from paperpulse.core.kinds import Edition
from paperpulse.core.models import Paper, Sighting
from paperpulse.digest.calendar import catch_up, period_for
from paperpulse.digest.edition import DayListing, EditionInputs, build_edition
from paperpulse.digest.models import Digest
from paperpulse.digest.topics import Topic
from paperpulse.scrapers import hf_daily

DATA = Path(os.environ.get("PAPERPULSE_SHARED_DATA", "/work/shared/data")) / "hf_api_daily"
BUSY = 30  # papers: a day at least this long is "busy" (2026 days list 30-50)
# A week of busy days read as one catch-up after a missed week (Mon 29 Sep - Sun 5 Oct 2025).
CATCH_UP = tuple(date(2025, 9, 29) + timedelta(days=n) for n in range(7))
TOPICS = (  # paperpulse.example.toml's
    Topic(
        name="LLM inference",
        include=("speculative decoding", "kv cache", "quantization"),
        exclude=("survey",),
        categories=("cs.CL",),
        ai_keywords=("kv cache",),
    ),
    Topic(
        name="Agents",
        include=("agent", "tool use", "computer use"),
        exclude=("multi-agent reinforcement learning",),
    ),
)


def available() -> bool:
    return DATA.is_dir() and any(DATA.glob("*.json"))


def busy_days() -> list[date]:
    """Every captured day listing at least ``BUSY`` papers, oldest first."""
    days = []
    for path in sorted(DATA.glob("*.json")):
        if len(json.loads(path.read_bytes())) >= BUSY:
            days.append(date.fromisoformat(path.stem))
    return days


def _listing(day: date) -> tuple[list[Paper], dict[str, Sighting]]:
    path = DATA / f"{day.isoformat()}.json"
    if not path.exists():  # a weekend: nothing listed
        return [], {}
    at = datetime.combine(day, time(9), UTC)
    listing = hf_daily.parse_any(
        path.read_bytes(), url=str(path), requested_date=day, fetched_at=at
    )
    sightings = {
        item.paper.arxiv_id: Sighting(
            arxiv_id=item.paper.arxiv_id,
            source="hf-daily",
            period=day.isoformat(),
            run_id=1,
            observed_at=at,
            rank=item.rank,
            upvotes=item.upvotes,
            comments=item.comments,
            stars=item.stars,
        )
        for item in listing.items
    }
    return list(listing.papers), sightings


def real_digest(
    days: tuple[date, ...], topics: tuple[Topic, ...] = TOPICS, *, weekly: bool = False
) -> Digest:
    """The daily edition of ``days`` (one day, or several as a catch-up) for a new reader, or
    the weekly edition of ``days[0]``'s week."""
    if weekly:
        period = period_for(Edition.WEEKLY, days[0])
        days = period.days
    else:
        period = catch_up(days) if len(days) > 1 else period_for(Edition.DAILY, days[0])
    listings, papers, sightings = [], {}, {}
    for day in days:
        found, seen = _listing(day)
        papers.update({p.arxiv_id: p for p in found})
        sightings.update({i: (s,) for i, s in seen.items()})
        listings.append(
            DayListing(
                day=day,
                ids=tuple(p.arxiv_id for p in found),
                status="complete" if found else "empty",
            )
        )
    return build_edition(
        EditionInputs(
            edition=period.edition,
            key=period.key,
            title=period.title,
            as_of=datetime.combine(days[-1] + timedelta(days=1), time(6), UTC),
            listings=tuple(listings),
            papers=papers,
            sightings=sightings,
            topics=topics,
        )
    )


def listed_ids(days: tuple[date, ...]) -> set[str]:
    return {p.arxiv_id for day in days for p in _listing(day)[0]}
