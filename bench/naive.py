"""The straightforward way to store a listing, as a baseline: one ORM call per row.

What a first version of paperpulse would do: in one ``Session`` per listing, get-or-create
every author by a query, ``session.merge`` every paper and every byline position (a SELECT by
primary key, then an INSERT or UPDATE), add every sighting, commit. It writes the same rows as
``Repository.save_listing`` (papers, authors, bylines, a run, sightings) without the merge
rules, revisions or counts, so it does less than ours. Only the benchmarks use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from paperpulse.core.models import Listing
from paperpulse.core.names import author_key
from paperpulse.storage.schema import AuthorRow, PaperAuthorRow, PaperRow, RunRow, SightingRow

COUNTED_TABLES = ("papers", "authors", "paper_authors", "runs", "sightings")


def naive_save(engine: Engine, listing: Listing, observed_at: datetime) -> int:
    """Store ``listing`` as one new run, row by row; returns the run id."""
    with Session(engine) as session:
        run = RunRow(
            source=listing.source,
            period=listing.period,
            url=listing.url,
            status="running",
            started_at=observed_at,
            fetched=0,
            new=0,
            updated=0,
        )
        session.add(run)
        session.flush()
        seen: set[str] = set()
        for item in listing.items:
            paper = item.paper
            if paper.arxiv_id in seen:
                continue
            seen.add(paper.arxiv_id)
            session.merge(
                PaperRow(
                    arxiv_id=paper.arxiv_id,
                    title=paper.title,
                    abstract=paper.abstract or None,
                    published_at=paper.published_at,
                    list_date=paper.list_date,
                    version=paper.version,
                    primary_category=paper.primary_category,
                    categories=list(paper.categories) or None,
                    organization=paper.organization,
                    github_repo=paper.github_repo,
                    project_page=paper.project_page,
                    ai_summary=paper.ai_summary,
                    ai_keywords=list(paper.ai_keywords) or None,
                    comment=paper.comment,
                    journal_ref=paper.journal_ref,
                    doi=paper.doi,
                    first_seen_at=observed_at,
                    families="hf",
                )
            )
            position = 0
            for author in paper.authors:
                key = author_key(author.name)
                if not key:
                    continue
                row = session.scalars(select(AuthorRow).where(AuthorRow.key == key)).first()
                if row is None:
                    row = AuthorRow(key=key, name=author.name.strip(), hf_user=author.hf_user)
                    session.add(row)
                    session.flush()
                session.merge(
                    PaperAuthorRow(
                        arxiv_id=paper.arxiv_id,
                        position=position,
                        author_id=row.id,
                        affiliation=author.affiliation,
                    )
                )
                position += 1
            session.add(
                SightingRow(
                    run_id=run.id,
                    arxiv_id=paper.arxiv_id,
                    source=listing.source,
                    period=listing.period,
                    observed_at=observed_at,
                    rank=item.rank,
                    upvotes=item.upvotes,
                    comments=item.comments,
                    stars=item.stars,
                    section=item.section,
                )
            )
        run.status = "complete" if seen else "empty"
        run.fetched = len(seen)
        run.finished_at = observed_at
        session.commit()
        return run.id


def row_counts(engine: Engine, tables: Iterable[str] = COUNTED_TABLES) -> dict[str, int]:
    """Rows per table: how the benchmarks check that two competitors wrote the same data."""
    with engine.connect() as conn:
        return {
            name: int(conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one())
            for name in tables
        }
