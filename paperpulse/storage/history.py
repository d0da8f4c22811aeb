"""A paper's history: its sightings (what each run saw, at which rank and upvotes), when it
was first seen, and its tracked fields as they were at an earlier moment."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Connection

from paperpulse.core.models import Paper, Sighting
from paperpulse.storage import bulk
from paperpulse.storage.base import RepositoryBase, aware
from paperpulse.storage.convert import to_sighting
from paperpulse.storage.merge import TrackedFields
from paperpulse.storage.papers import load_papers, tracked_of
from paperpulse.storage.schema import Base, PaperRow, SightingRow

_papers = Base.metadata.tables["papers"]
_revisions = Base.metadata.tables["paper_revisions"]


class PaperHistory(RepositoryBase):
    """Reads of what was seen when: the digest compares a paper with its earlier self."""

    def sightings(
        self,
        ids: Iterable[str],
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> dict[str, list[Sighting]]:
        """Each paper's sightings in ``[since, until)``, oldest first; unseen papers are absent."""
        conditions: list[ColumnElement[bool]] = []
        if since is not None:
            conditions.append(SightingRow.observed_at >= aware(since, "since"))
        if until is not None:
            conditions.append(SightingRow.observed_at < aware(until, "until"))
        history: dict[str, list[Sighting]] = {}
        with self._read("reading sightings") as session:
            for chunk in bulk.chunks(list(dict.fromkeys(ids))):
                query = (
                    select(SightingRow)
                    .where(
                        bulk.among(session.get_bind().dialect, SightingRow.arxiv_id, chunk),
                        *conditions,
                    )
                    .order_by(SightingRow.arxiv_id, SightingRow.observed_at, SightingRow.id)
                )
                for row in session.scalars(query):
                    history.setdefault(row.arxiv_id, []).append(to_sighting(row))
        return history

    def listing_items(self, run_id: int) -> list[tuple[Paper, Sighting]]:
        """What one run saw, best rank first (unranked last), with each paper as stored now."""
        query = (
            select(SightingRow)
            .where(SightingRow.run_id == run_id)
            .order_by(SightingRow.rank.is_(None), SightingRow.rank, SightingRow.id)
        )
        with self._read(f"reading the items of run {run_id}") as session:
            sightings = [to_sighting(row) for row in session.scalars(query)]
            papers = load_papers(session, [s.arxiv_id for s in sightings])
        return [(papers[s.arxiv_id], s) for s in sightings]

    def ids_in_runs(self, run_ids: Iterable[int]) -> set[str]:
        """Every paper some of these runs saw."""
        ids: set[str] = set()
        with self._read("reading the papers of runs") as session:
            for chunk in bulk.chunks(sorted(set(run_ids))):
                query = select(SightingRow.arxiv_id).where(
                    bulk.among(session.get_bind().dialect, SightingRow.run_id, chunk)
                )
                ids.update(session.scalars(query))
        return ids

    def first_seen(self, ids: Iterable[str]) -> dict[str, datetime]:
        """When paperpulse first saw each paper (any source)."""
        seen: dict[str, datetime] = {}
        with self._read("reading first sightings") as session:
            for chunk in bulk.chunks(sorted(set(ids))):
                query = select(PaperRow.arxiv_id, PaperRow.first_seen_at).where(
                    bulk.among(session.get_bind().dialect, PaperRow.arxiv_id, chunk)
                )
                seen.update({arxiv_id: at for arxiv_id, at in session.execute(query)})
        return seen

    def tracked_before(self, ids: Iterable[str], at: datetime) -> dict[str, TrackedFields]:
        """Each paper's title, abstract, repository and version as they were at ``at``.

        The first revision recorded after ``at`` holds the values from before that change;
        a paper unchanged since ``at`` is as stored now.
        """
        at = aware(at, "at")
        wanted = sorted(set(ids))
        with self._write("reading paper revisions") as conn:
            state = _tracked_fields(conn, wanted)
            for chunk in bulk.chunks(wanted):
                query = (
                    select(_revisions)
                    .where(
                        bulk.among(conn.dialect, _revisions.c.arxiv_id, chunk),
                        _revisions.c.changed_at > at,
                    )
                    .order_by(_revisions.c.arxiv_id, _revisions.c.changed_at.desc())
                )
                # Walking back from the newest change, the last one written is the earliest.
                for row in conn.execute(query):
                    state[row.arxiv_id] = TrackedFields(
                        title=row.title,
                        abstract=row.abstract,
                        github_repo=row.github_repo,
                        version=row.version,
                    )
        return state


def _tracked_fields(conn: Connection, ids: Sequence[str]) -> dict[str, TrackedFields]:
    """The stored tracked fields of those ``ids`` already known, in one query per chunk."""
    stored: dict[str, TrackedFields] = {}
    c = _papers.c
    for chunk in bulk.chunks(ids):
        query = select(c.arxiv_id, c.title, c.abstract, c.github_repo, c.version).where(
            bulk.among(conn.dialect, c.arxiv_id, chunk)
        )
        for row in conn.execute(query):
            stored[row.arxiv_id] = tracked_of(row)
    return stored
