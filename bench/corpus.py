"""Synthetic listings for the storage benchmarks: many papers, many distinct people.

``bench.synthetic`` draws authors from 99 names, which is right for rendering but would make
the authors table tiny. Here each byline keeps its length (mean ~10 authors, like the real
captures: median 7, a few hundreds) but names come from a pool three times the paper count,
so author upserts and lookups cost what they cost on a real history. Same seed, same values.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime

from bench.synthetic import synthetic_papers
from paperpulse.core.models import Author, Listing, ListingItem, Paper

SOURCE = "hf-daily"


def corpus_papers(count: int, *, seed: int = 2024) -> list[Paper]:
    """``count`` distinct papers with realistic fields and bylines drawn from a large pool."""
    rng = random.Random(seed)
    pool = max(3 * count, 100)
    return [
        replace(
            paper,
            authors=tuple(
                Author(name=f"{a.name} {rng.randrange(pool):x}", affiliation=None)
                for a in paper.authors
            ),
        )
        for paper in synthetic_papers(count, seed=seed)
    ]


def corpus_listings(
    papers: list[Paper], *, per_listing: int, fetched_at: datetime, observation: int = 0
) -> list[Listing]:
    """The papers as HF-daily listings of ``per_listing`` papers (one period each).

    ``observation`` numbers a re-observation of the same listings: upvotes grow with it, as
    they do between two runs of the same day.
    """
    listings = []
    for start in range(0, len(papers), per_listing):
        chunk = papers[start : start + per_listing]
        items = tuple(
            ListingItem(
                paper=paper,
                rank=rank,
                upvotes=(start + rank) % 200 + 3 * observation,
                comments=rank % 7,
            )
            for rank, paper in enumerate(chunk, start=1)
        )
        listings.append(
            Listing(
                source=SOURCE,
                period=f"bench-{start // per_listing:05d}",
                url=f"https://huggingface.co/api/daily_papers?bench={start // per_listing}",
                fetched_at=fetched_at,
                items=items,
            )
        )
    return listings
