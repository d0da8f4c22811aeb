"""Papers: saving a listing (merge, revisions, bylines, sightings, all or nothing) and
reading papers back as ``core.models.Paper`` values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from paperpulse.core.errors import StorageError
from paperpulse.core.kinds import RunStatus
from paperpulse.core.merge import family, merge_papers
from paperpulse.core.models import Listing, Paper
from paperpulse.storage import bulk
from paperpulse.storage.base import RepositoryBase, aware
from paperpulse.storage.bylines import load_authors, save_bylines
from paperpulse.storage.convert import to_paper
from paperpulse.storage.merge import (
    TrackedFields,
    first_per_paper,
    is_tracked_change,
    paper_params,
    revision_params,
    sighting_params,
    upsert_papers,
)
from paperpulse.storage.records import SaveResult
from paperpulse.storage.schema import Base, PaperRow

# Any constant works; it only has to be the same in every paperpulse process.
_PG_SAVE_LOCK = 0x70705F73  # "pp_s"

_papers = Base.metadata.tables["papers"]
_runs = Base.metadata.tables["runs"]
_sightings = Base.metadata.tables["sightings"]
_revisions = Base.metadata.tables["paper_revisions"]


class PaperStore(RepositoryBase):
    """Listings in, papers out: one merged row per paper, its revisions and its sightings."""

    def save_listing(
        self,
        run_id: int,
        listing: Listing,
        observed_at: datetime,
        *,
        finished_at: datetime | None = None,
    ) -> SaveResult:
        """Merge the listing's papers and append one sighting per paper, all or nothing.

        Papers merge by the rule in :mod:`storage.merge`; re-saving the same run adds no
        sightings. Saves are serialized (SQLite's write lock, a PostgreSQL advisory lock) for
        the few milliseconds they take, so new/updated counts stay exact when runs overlap.
        With ``finished_at`` the run is closed ("complete", or "empty" for an empty listing) in
        the same transaction: a process killed at any point leaves either a finished run with
        its sightings or an unfinished one without any.
        """
        observed_at = aware(observed_at, "observed_at")
        items = first_per_paper(listing.items)
        for item in items:
            if item.paper.published_at is not None:
                aware(item.paper.published_at, f"{item.paper.arxiv_id} published_at")
        action = f"saving the {listing.source} listing for {listing.period} (run {run_id})"
        with self._write(action) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SAVE_LOCK})
            _check_run(conn, run_id, listing, action)
            if not items:
                result = SaveResult(fetched=0, new=0, updated=0)
                _close_run(conn, run_id, result, listing, finished_at)
                return result
            incoming = sorted((item.paper for item in items), key=lambda p: p.arxiv_id)
            with Session(bind=conn) as session:
                known = _load_stored(session, [p.arxiv_id for p in incoming])
            # One paper, many sources: each field's owner wins (scrapers.merge precedence).
            papers = [
                merge_papers(
                    known[p.arxiv_id].paper if p.arxiv_id in known else None,
                    p,
                    source=listing.source,
                    stored_families=known[p.arxiv_id].families if p.arxiv_id in known else set(),
                )
                for p in incoming
            ]
            new_ids = tuple(p.arxiv_id for p in papers if p.arxiv_id not in known)
            updated_ids = tuple(
                p.arxiv_id
                for p in papers
                if p.arxiv_id in known and is_tracked_change(known[p.arxiv_id].tracked, p)
            )
            changed = set(updated_ids)
            if updated_ids:
                bulk.insert_rows(
                    conn,
                    _revisions,
                    [revision_params(i, known[i].tracked, observed_at) for i in updated_ids],
                )
            source_family = family(listing.source)
            rows = [
                paper_params(p, observed_at, changed=p.arxiv_id in changed)
                | {"families": _joined(stored.families if stored else set(), source_family)}
                for p in papers
                # A re-observed paper that merges to what is stored needs no statement at
                # all; the upsert's WHERE would skip it anyway, after a round trip per row.
                if (stored := known.get(p.arxiv_id)) is None
                or p.arxiv_id in changed
                or p != stored.paper
                or source_family not in stored.families
            ]
            bulk.insert_rows(conn, _papers, rows, lambda insert: upsert_papers(insert, _papers))
            # A byline that merges to the stored one (same people, spellings, accounts and
            # affiliations) has nothing to write.
            save_bylines(
                conn,
                [
                    p
                    for p in papers
                    if (stored := known.get(p.arxiv_id)) is None
                    or p.authors != stored.paper.authors
                ],
            )
            bulk.insert_rows(
                conn,
                _sightings,
                [sighting_params(run_id, listing, item, observed_at) for item in items],
                lambda insert: insert.on_conflict_do_nothing(index_elements=["run_id", "arxiv_id"]),
            )
            result = SaveResult(
                fetched=len(items),
                new=len(new_ids),
                updated=len(updated_ids),
                new_ids=new_ids,
                updated_ids=updated_ids,
            )
            _close_run(conn, run_id, result, listing, finished_at)
        return result

    def papers(self, ids: Iterable[str]) -> dict[str, Paper]:
        """The stored papers among ``ids`` (unknown ids are left out), in the order asked."""
        wanted = list(dict.fromkeys(ids))
        with self._read("reading papers") as session:
            found = load_papers(session, wanted)
        return {i: found[i] for i in wanted if i in found}

    def listed_on(self, day: date) -> list[str]:
        """Papers whose list date (HF list or arXiv announcement) is ``day``."""
        query = (
            select(PaperRow.arxiv_id).where(PaperRow.list_date == day).order_by(PaperRow.arxiv_id)
        )
        with self._read(f"reading the papers listed on {day}") as session:
            return list(session.scalars(query))


def _check_run(conn: Connection, run_id: int, listing: Listing, action: str) -> None:
    run = conn.execute(select(_runs.c.source, _runs.c.period).where(_runs.c.id == run_id)).first()
    if run is None:
        raise StorageError(f"{action}: run {run_id} does not exist; call start_exclusive_run first")
    if (run.source, run.period) != (listing.source, listing.period):
        raise ValueError(
            f"run {run_id} is {run.source} {run.period}, not {listing.source} {listing.period}"
        )


def _joined(families: set[str], new: str | None) -> str | None:
    merged = sorted(families | ({new} if new else set()))
    return ",".join(merged) or None


def _close_run(
    conn: Connection, run_id: int, result: SaveResult, listing: Listing, at: datetime | None
) -> None:
    if at is None:
        return
    conn.execute(
        sa.update(_runs)
        .where(_runs.c.id == run_id)
        .values(
            status=RunStatus.COMPLETE if result.fetched else RunStatus.EMPTY,
            fetched=result.fetched,
            new=result.new,
            updated=result.updated,
            declared=listing.declared_count,
            finished_at=aware(at, "finished_at"),
        )
    )


@dataclass(frozen=True, slots=True)
class _Stored:
    """A stored paper as ``save_listing`` needs it: one read of the papers table for all."""

    paper: Paper
    tracked: TrackedFields
    families: set[str]  # the source families that reported it


def _load_stored(session: Session, ids: Sequence[str]) -> dict[str, _Stored]:
    rows: list[PaperRow] = []
    dialect = session.get_bind().dialect
    for chunk in bulk.chunks(ids):
        rows += session.scalars(
            select(PaperRow).where(bulk.among(dialect, PaperRow.arxiv_id, chunk))
        )
    authors = load_authors(session, [row.arxiv_id for row in rows])
    return {
        row.arxiv_id: _Stored(
            paper=to_paper(row, authors.get(row.arxiv_id, ())),
            tracked=tracked_of(row),
            families=set(filter(None, (row.families or "").split(","))),
        )
        for row in rows
    }


def load_papers(session: Session, ids: Sequence[str]) -> dict[str, Paper]:
    """The stored papers among ``ids`` with their bylines (history and For-you read them too)."""
    return {arxiv_id: stored.paper for arxiv_id, stored in _load_stored(session, ids).items()}


def tracked_of(row: Any) -> TrackedFields:
    """From a ``PaperRow`` or a Core row holding the four tracked columns."""
    return TrackedFields(
        title=row.title, abstract=row.abstract, github_repo=row.github_repo, version=row.version
    )
