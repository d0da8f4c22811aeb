"""The only door to the database: values in, values out, one transaction per public method.

Writes are bulk Core statements (executemany / ``INSERT .. ON CONFLICT``), never per-row ORM
merges, so saving a listing costs a handful of round trips whatever its size. Reads use the
ORM for typed rows and convert them to the dataclasses of ``scrapers.models`` and
``digest.models`` before returning.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Table, and_, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from digest.models import RunRecord, Sighting
from scrapers.errors import StorageError
from scrapers.models import Author, Listing, ListingItem, Paper
from storage.db import storage_error, write_engine
from storage.records import DeliveryRecord, SaveResult
from storage.schema import (
    RUN_STATUSES,
    AuthorRow,
    Base,
    DeliveryRow,
    PaperAuthorRow,
    PaperRow,
    RunRow,
    SentLedgerRow,
    SightingRow,
)

# Ids per IN (...) list: far below SQLite's bound-variable limit, long enough to stay fast.
IN_CHUNK = 500
FINISHED_RUN_STATUSES = tuple(s for s in RUN_STATUSES if s != "running")
DONE_RUN_STATUSES = ("complete", "empty")  # a period needing no more fetching

_papers: Table = Base.metadata.tables["papers"]
_authors: Table = Base.metadata.tables["authors"]
_paper_authors: Table = Base.metadata.tables["paper_authors"]
_runs: Table = Base.metadata.tables["runs"]
_sightings: Table = Base.metadata.tables["sightings"]
_deliveries: Table = Base.metadata.tables["deliveries"]
_sent_ledger: Table = Base.metadata.tables["sent_ledger"]

# Optional paper columns merged "a known value overwrites, an unknown one never erases".
_MERGED_COLUMNS = (
    "abstract",
    "published_at",
    "primary_category",
    "categories",
    "organization",
    "github_repo",
    "project_page",
    "ai_summary",
    "ai_keywords",
    "comment",
    "journal_ref",
    "doi",
)

T = TypeVar("T")
_Insert = postgresql.Insert | sqlite.Insert


def author_key(name: str) -> str:
    """The identity of an author name: Unicode-normalized, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


@dataclass(frozen=True, slots=True)
class _Tracked:
    """The stored values that decide whether a known paper counts as updated."""

    title: str
    abstract: str | None
    github_repo: str | None
    version: int | None


class Repository:
    """Papers, runs, sightings, deliveries and the sent ledger over one SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise StorageError(
                f"unsupported database {engine.dialect.name!r}: use SQLite or PostgreSQL"
            )
        self._engine = engine
        self._writer = write_engine(engine)

    @property
    def engine(self) -> Engine:
        return self._engine

    # ------------------------------------------------------------------ runs

    def start_run(self, source: str, period: str, url: str | None, started_at: datetime) -> int:
        """Open a run in the ledger (status "running") and return its id."""
        values = {
            "source": source,
            "period": period,
            "url": url,
            "status": "running",
            "started_at": _utc(started_at, "started_at"),
            "fetched": 0,
            "new": 0,
            "updated": 0,
        }
        with self._write(f"starting a {source} run for {period}") as conn:
            run_id: int = conn.execute(
                sa.insert(_runs).values(values).returning(_runs.c.id)
            ).scalar_one()
        return run_id

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        fetched: int = 0,
        new: int = 0,
        updated: int = 0,
        declared: int | None = None,
        error: str | None = None,
        finished_at: datetime,
    ) -> None:
        """Close a run as "complete", "empty" or "failed" with its counts and error."""
        if status not in FINISHED_RUN_STATUSES:
            raise ValueError(f"run status must be one of {FINISHED_RUN_STATUSES}, not {status!r}")
        values = {
            "status": status,
            "fetched": fetched,
            "new": new,
            "updated": updated,
            "declared": declared,
            "error": error,
            "finished_at": _utc(finished_at, "finished_at"),
        }
        with self._write(f"finishing run {run_id}") as conn:
            result = conn.execute(sa.update(_runs).where(_runs.c.id == run_id).values(values))
            if result.rowcount != 1:
                raise StorageError(f"cannot finish run {run_id}: no such run in the ledger")

    def runs(self, source: str | None = None, period: str | None = None) -> list[RunRecord]:
        """Runs in the order they started, optionally for one source and/or period."""
        query = select(RunRow).order_by(RunRow.id)
        if source is not None:
            query = query.where(RunRow.source == source)
        if period is not None:
            query = query.where(RunRow.period == period)
        with self._read("reading the run ledger") as session:
            return [_run_record(row) for row in session.scalars(query)]

    def latest_complete_run(self, source: str, period: str) -> RunRecord | None:
        """The most recent run of this listing that finished "complete"."""
        query = (
            select(RunRow)
            .where(RunRow.source == source, RunRow.period == period, RunRow.status == "complete")
            .order_by(RunRow.id.desc())
            .limit(1)
        )
        with self._read(f"reading the latest {source} run for {period}") as session:
            row = session.scalars(query).first()
            return None if row is None else _run_record(row)

    def complete_periods(self, source: str, start: str, end: str) -> set[str]:
        """Periods in ``[start, end]`` (compared as text: ISO keys sort) that need no refetch.

        A period is done when a run for it finished "complete" or "empty" (a day without
        papers is an answer, not a gap).
        """
        query = (
            select(RunRow.period)
            .distinct()
            .where(
                RunRow.source == source,
                RunRow.period >= start,
                RunRow.period <= end,
                RunRow.status.in_(DONE_RUN_STATUSES),
            )
        )
        with self._read(f"reading complete {source} periods") as session:
            return set(session.scalars(query))

    # -------------------------------------------------------------- listings

    def save_listing(self, run_id: int, listing: Listing, observed_at: datetime) -> SaveResult:
        """Merge the listing's papers and append one sighting per paper, all or nothing.

        Merge rule: a known incoming value overwrites, an unknown one (None, blank, empty
        tuple) never erases; ``list_date`` keeps the earliest, ``version`` the highest. A known
        paper counts as *updated* (and gets ``updated_at``) when its title, abstract,
        github_repo or version really changed; learning a value we never had is not a change,
        except a GitHub repository appearing (code released). Re-saving the same run adds no
        sightings. A paper listed twice keeps its first (best-ranked) item.
        """
        observed_at = _utc(observed_at, "observed_at")
        items = _first_per_paper(listing.items)
        action = f"saving the {listing.source} listing for {listing.period} (run {run_id})"
        with self._write(action) as conn:
            run = conn.execute(
                select(_runs.c.source, _runs.c.period).where(_runs.c.id == run_id)
            ).first()
            if run is None:
                raise StorageError(f"{action}: run {run_id} does not exist; call start_run first")
            if (run.source, run.period) != (listing.source, listing.period):
                raise ValueError(
                    f"run {run_id} is {run.source} {run.period}, "
                    f"not {listing.source} {listing.period}"
                )
            if not items:
                return SaveResult(fetched=0, new=0, updated=0)
            papers = sorted((item.paper for item in items), key=lambda p: p.arxiv_id)
            stored = self._tracked(conn, [p.arxiv_id for p in papers])
            new_ids = tuple(p.arxiv_id for p in papers if p.arxiv_id not in stored)
            updated_ids = tuple(
                p.arxiv_id
                for p in papers
                if p.arxiv_id in stored and _tracked_change(stored[p.arxiv_id], p)
            )
            touched = set(updated_ids)
            conn.execute(
                self._upsert_papers_statement(),
                [_paper_params(p, observed_at, p.arxiv_id in touched) for p in papers],
            )
            self._save_bylines(conn, papers)
            conn.execute(
                self._insert(_sightings).on_conflict_do_nothing(
                    index_elements=["run_id", "arxiv_id"]
                ),
                [_sighting_params(run_id, listing, item, observed_at) for item in items],
            )
        return SaveResult(
            fetched=len(items),
            new=len(new_ids),
            updated=len(updated_ids),
            new_ids=new_ids,
            updated_ids=updated_ids,
        )

    def papers(self, ids: Iterable[str]) -> dict[str, Paper]:
        """The stored papers among ``ids`` (unknown ids are left out), in the order asked."""
        wanted = list(dict.fromkeys(ids))
        with self._read("reading papers") as session:
            found = self._load_papers(session, wanted)
        return {i: found[i] for i in wanted if i in found}

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
            conditions.append(SightingRow.observed_at >= _utc(since, "since"))
        if until is not None:
            conditions.append(SightingRow.observed_at < _utc(until, "until"))
        history: dict[str, list[Sighting]] = {}
        with self._read("reading sightings") as session:
            for chunk in _chunks(list(dict.fromkeys(ids))):
                query = (
                    select(SightingRow)
                    .where(SightingRow.arxiv_id.in_(chunk), *conditions)
                    .order_by(SightingRow.arxiv_id, SightingRow.observed_at, SightingRow.id)
                )
                for row in session.scalars(query):
                    history.setdefault(row.arxiv_id, []).append(_sighting(row))
        return history

    def previous_sightings(
        self, source: str, period: str, before_run_id: int
    ) -> dict[str, Sighting]:
        """Sightings of the last complete run of the same listing before ``before_run_id``."""
        previous = (
            select(func.max(RunRow.id))
            .where(
                RunRow.source == source,
                RunRow.period == period,
                RunRow.status == "complete",
                RunRow.id < before_run_id,
            )
            .scalar_subquery()
        )
        query = select(SightingRow).where(SightingRow.run_id == previous)
        with self._read(f"reading the {source} run before {before_run_id}") as session:
            return {row.arxiv_id: _sighting(row) for row in session.scalars(query)}

    def listing_items(self, run_id: int) -> list[tuple[Paper, Sighting]]:
        """What one run saw, best rank first (unranked last), with each paper as stored now."""
        query = (
            select(SightingRow)
            .where(SightingRow.run_id == run_id)
            .order_by(SightingRow.rank.is_(None), SightingRow.rank, SightingRow.id)
        )
        with self._read(f"reading the items of run {run_id}") as session:
            sightings = [_sighting(row) for row in session.scalars(query)]
            papers = self._load_papers(session, [s.arxiv_id for s in sightings])
        return [(papers[s.arxiv_id], s) for s in sightings]

    # ------------------------------------------------------------ deliveries

    def delivery_status(
        self, digest_key: str, channel: str, recipient: str
    ) -> DeliveryRecord | None:
        """Where this digest stands for this recipient on this channel; None if never tried."""
        with self._read(f"reading the delivery of {digest_key}") as session:
            row = session.scalars(
                select(DeliveryRow).where(
                    DeliveryRow.digest_key == digest_key,
                    DeliveryRow.channel == channel,
                    DeliveryRow.recipient == recipient,
                )
            ).first()
            return None if row is None else _delivery(row)

    def claim_delivery(
        self,
        digest_key: str,
        channel: str,
        recipient: str,
        *,
        claimed_at: datetime,
        reclaim_after: timedelta | None = None,
    ) -> bool:
        """Atomically mark a delivery "sending"; True means *this* caller must send it.

        False when it is sent, or claimed by someone else. A failed delivery can be claimed
        again; a "sending" claim older than ``reclaim_after`` (its sender presumably died) too.
        Safe across processes: PostgreSQL makes a concurrent ``INSERT .. ON CONFLICT`` or
        ``UPDATE`` wait for the winner's commit and then re-check; SQLite serializes writers.
        """
        claimed_at = _utc(claimed_at, "claimed_at")
        key = _delivery_key(digest_key, channel, recipient)
        with self._write(f"claiming the {channel} delivery of {digest_key}") as conn:
            inserted = conn.execute(
                self._insert(_deliveries)
                .values(**key, status="sending", attempts=1, claimed_at=claimed_at)
                .on_conflict_do_nothing(index_elements=list(key))
                .returning(_deliveries.c.id)
            ).first()
            if inserted is not None:
                return True
            retry: ColumnElement[bool] = _deliveries.c.status == "failed"
            if reclaim_after is not None:
                stale = and_(
                    _deliveries.c.status == "sending",
                    _deliveries.c.claimed_at < claimed_at - reclaim_after,
                )
                retry = or_(retry, stale)
            result = conn.execute(
                sa.update(_deliveries)
                .where(_delivery_match(key), retry)
                .values(
                    status="sending",
                    attempts=_deliveries.c.attempts + 1,
                    claimed_at=claimed_at,
                    error=None,
                )
            )
            return result.rowcount == 1

    def record_delivery(
        self,
        digest_key: str,
        channel: str,
        recipient: str,
        *,
        status: str,
        at: datetime,
        message_id: str | None = None,
        error: str | None = None,
    ) -> DeliveryRecord:
        """Record the outcome ("sent" or "failed") of an attempt; returns the stored state.

        Idempotent under (digest_key, channel, recipient). A failed delivery may later become
        sent; a sent one never changes again. An attempt counts once, whether or not it was
        claimed first.
        """
        if status not in ("sent", "failed"):
            raise ValueError(f"delivery status must be 'sent' or 'failed', not {status!r}")
        at = _utc(at, "at")
        key = _delivery_key(digest_key, channel, recipient)
        insert = self._insert(_deliveries).values(
            **key,
            status=status,
            attempts=1,
            claimed_at=at,
            sent_at=at if status == "sent" else None,
            message_id=message_id,
            error=error,
        )
        new, old = insert.excluded, _deliveries.c
        claimed = old.status == "sending"  # the claim already counted this attempt
        statement = insert.on_conflict_do_update(
            index_elements=list(key),
            set_={
                "status": new.status,
                "sent_at": new.sent_at,
                "message_id": func.coalesce(new.message_id, old.message_id),
                "error": new.error,
                "attempts": sa.case((claimed, old.attempts), else_=old.attempts + 1),
                "claimed_at": sa.case((claimed, old.claimed_at), else_=new.claimed_at),
            },
            where=old.status != "sent",
        )
        with self._write(f"recording the {channel} delivery of {digest_key}") as conn:
            conn.execute(statement)
            row = conn.execute(select(_deliveries).where(_delivery_match(key))).one()
        return DeliveryRecord(
            digest_key=row.digest_key,
            channel=row.channel,
            recipient=row.recipient,
            status=row.status,
            attempts=row.attempts,
            claimed_at=row.claimed_at,
            sent_at=row.sent_at,
            message_id=row.message_id,
            error=row.error,
        )

    # ----------------------------------------------------------- sent ledger

    def mark_sent_new(
        self, recipient: str, edition: str, ids: Iterable[str], sent_at: datetime
    ) -> None:
        """Remember that ``ids`` were announced as new to ``recipient`` in ``edition``.

        The first announcement wins: marking again keeps the original time.
        """
        sent_at = _utc(sent_at, "sent_at")
        rows = [
            {"recipient": recipient, "edition": edition, "arxiv_id": i, "sent_at": sent_at}
            for i in sorted(set(ids))
        ]
        if not rows:
            return
        with self._write(f"updating the sent ledger of {recipient}") as conn:
            conn.execute(self._insert(_sent_ledger).on_conflict_do_nothing(), rows)

    def sent_new(self, recipient: str, edition: str, since: datetime) -> dict[str, datetime]:
        """Papers announced as new to ``recipient`` in ``edition`` at or after ``since``."""
        query = select(SentLedgerRow.arxiv_id, SentLedgerRow.sent_at).where(
            SentLedgerRow.recipient == recipient,
            SentLedgerRow.edition == edition,
            SentLedgerRow.sent_at >= _utc(since, "since"),
        )
        with self._read(f"reading the sent ledger of {recipient}") as session:
            return {arxiv_id: sent_at for arxiv_id, sent_at in session.execute(query)}

    # ------------------------------------------------------------- internals

    @contextmanager
    def _write(self, action: str) -> Iterator[Connection]:
        try:
            with self._writer.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise storage_error(exc, action=action, url=self._engine.url) from exc

    @contextmanager
    def _read(self, action: str) -> Iterator[Session]:
        try:
            with Session(self._engine) as session:
                yield session
        except SQLAlchemyError as exc:
            raise storage_error(exc, action=action, url=self._engine.url) from exc

    def _insert(self, table: Table) -> _Insert:
        if self._engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def _upsert_papers_statement(self) -> _Insert:
        insert = self._insert(_papers)
        new, old = insert.excluded, _papers.c
        incoming_title = func.nullif(new.title, "")
        earlier_list_date = and_(
            new.list_date.is_not(None), or_(old.list_date.is_(None), new.list_date < old.list_date)
        )
        higher_version = and_(
            new.version.is_not(None), or_(old.version.is_(None), new.version > old.version)
        )
        set_: dict[str, Any] = {
            name: func.coalesce(new[name], old[name]) for name in _MERGED_COLUMNS
        }
        set_ |= {
            "title": func.coalesce(incoming_title, old.title),
            "list_date": sa.case((earlier_list_date, new.list_date), else_=old.list_date),
            "version": sa.case((higher_version, new.version), else_=old.version),
            "updated_at": func.coalesce(new.updated_at, old.updated_at),
        }
        # Rewrite a row only if something would change: no dead tuples / WAL for re-runs.
        changes = [
            and_(new[name].is_not(None), old[name].is_distinct_from(new[name]))
            for name in _MERGED_COLUMNS
        ]
        changes += [
            and_(incoming_title.is_not(None), old.title != new.title),
            earlier_list_date,
            higher_version,
            new.updated_at.is_not(None),
        ]
        return insert.on_conflict_do_update(
            index_elements=["arxiv_id"], set_=set_, where=or_(*changes)
        )

    def _tracked(self, conn: Connection, ids: Sequence[str]) -> dict[str, _Tracked]:
        """The stored tracked fields of ``ids``; on PostgreSQL also locks those rows (in id
        order, as the upsert will) so the counts match what the upsert does."""
        stored: dict[str, _Tracked] = {}
        for chunk in _chunks(ids):
            query = (
                select(
                    _papers.c.arxiv_id,
                    _papers.c.title,
                    _papers.c.abstract,
                    _papers.c.github_repo,
                    _papers.c.version,
                )
                .where(_papers.c.arxiv_id.in_(chunk))
                .order_by(_papers.c.arxiv_id)
                .with_for_update()
            )
            for row in conn.execute(query):
                stored[row.arxiv_id] = _Tracked(
                    title=row.title,
                    abstract=row.abstract,
                    github_repo=row.github_repo,
                    version=row.version,
                )
        return stored

    def _save_bylines(self, conn: Connection, papers: Sequence[Paper]) -> None:
        """Upsert authors; replace a paper's byline only when its list of authors changed."""
        bylines = {p.arxiv_id: _named(p.authors) for p in papers}
        bylines = {arxiv_id: b for arxiv_id, b in bylines.items() if b}  # unknown: keep stored
        if not bylines:
            return
        firsts: dict[str, Author] = {}
        hf_users: dict[str, str] = {}
        for byline in bylines.values():
            for key, author in byline:
                firsts.setdefault(key, author)
                if author.hf_user:
                    hf_users.setdefault(key, author.hf_user)
        insert = self._insert(_authors)
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["key"],
                set_={"hf_user": insert.excluded.hf_user},
                where=and_(
                    insert.excluded.hf_user.is_not(None),
                    _authors.c.hf_user.is_distinct_from(insert.excluded.hf_user),
                ),
            ),
            [
                {"key": key, "name": firsts[key].name.strip(), "hf_user": hf_users.get(key)}
                for key in sorted(firsts)
            ],
        )
        author_ids: dict[str, int] = {}
        for chunk in _chunks(sorted(firsts)):
            query = select(_authors.c.key, _authors.c.id).where(_authors.c.key.in_(chunk))
            author_ids.update((row.key, row.id) for row in conn.execute(query))
        stored: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
        for chunk in _chunks(sorted(bylines)):
            query = (
                select(
                    _paper_authors.c.arxiv_id,
                    _paper_authors.c.author_id,
                    _paper_authors.c.affiliation,
                )
                .where(_paper_authors.c.arxiv_id.in_(chunk))
                .order_by(_paper_authors.c.arxiv_id, _paper_authors.c.position)
            )
            for row in conn.execute(query):
                stored[row.arxiv_id].append((row.author_id, row.affiliation))

        replaced: list[str] = []
        inserts: list[dict[str, Any]] = []
        affiliations: list[dict[str, Any]] = []
        for arxiv_id, byline in bylines.items():
            wanted = [(author_ids[key], author.affiliation) for key, author in byline]
            have = stored.get(arxiv_id, [])
            if [a for a, _ in have] != [a for a, _ in wanted]:
                if have:
                    replaced.append(arxiv_id)
                inserts += [
                    {"arxiv_id": arxiv_id, "position": i, "author_id": a, "affiliation": aff}
                    for i, (a, aff) in enumerate(wanted)
                ]
                continue
            affiliations += [
                {"b_arxiv_id": arxiv_id, "b_position": i, "b_affiliation": new}
                for i, ((_, old), (_, new)) in enumerate(zip(have, wanted, strict=True))
                if new is not None and new != old
            ]
        for chunk in _chunks(replaced):
            conn.execute(sa.delete(_paper_authors).where(_paper_authors.c.arxiv_id.in_(chunk)))
        if inserts:
            conn.execute(self._insert(_paper_authors).on_conflict_do_nothing(), inserts)
        if affiliations:
            conn.execute(
                sa.update(_paper_authors)
                .where(
                    _paper_authors.c.arxiv_id == bindparam("b_arxiv_id"),
                    _paper_authors.c.position == bindparam("b_position"),
                )
                .values(affiliation=bindparam("b_affiliation")),
                affiliations,
            )

    def _load_papers(self, session: Session, ids: Sequence[str]) -> dict[str, Paper]:
        rows: list[PaperRow] = []
        for chunk in _chunks(ids):
            rows += session.scalars(select(PaperRow).where(PaperRow.arxiv_id.in_(chunk)))
        authors: dict[str, list[Author]] = defaultdict(list)
        for chunk in _chunks([row.arxiv_id for row in rows]):
            query = (
                select(
                    PaperAuthorRow.arxiv_id,
                    AuthorRow.name,
                    AuthorRow.hf_user,
                    PaperAuthorRow.affiliation,
                )
                .join(AuthorRow, AuthorRow.id == PaperAuthorRow.author_id)
                .where(PaperAuthorRow.arxiv_id.in_(chunk))
                .order_by(PaperAuthorRow.arxiv_id, PaperAuthorRow.position)
            )
            for arxiv_id, name, hf_user, affiliation in session.execute(query):
                authors[arxiv_id].append(
                    Author(name=name, hf_user=hf_user, affiliation=affiliation)
                )
        return {row.arxiv_id: _paper(row, tuple(authors.get(row.arxiv_id, ()))) for row in rows}


# ---------------------------------------------------------------- conversions


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def _first_per_paper(items: Iterable[ListingItem]) -> list[ListingItem]:
    firsts: dict[str, ListingItem] = {}
    for item in items:
        firsts.setdefault(item.paper.arxiv_id, item)
    return list(firsts.values())


def _known(value: str | None) -> str | None:
    """Blank means unknown: it must not overwrite what we know."""
    return value if value and value.strip() else None


def _squash(text: str) -> str:
    """Sources wrap and space text differently; that is not a change."""
    return " ".join(text.split())


def _repo(url: str) -> str:
    return url.strip().rstrip("/").casefold().removesuffix(".git")


def _tracked_change(stored: _Tracked, paper: Paper) -> bool:
    title = bool(_known(paper.title) and stored.title.strip()) and (
        _squash(paper.title) != _squash(stored.title)
    )
    abstract = bool(_known(paper.abstract) and stored.abstract) and (
        _squash(paper.abstract) != _squash(stored.abstract or "")
    )
    incoming_repo = _known(paper.github_repo)
    repo = incoming_repo is not None and (
        stored.github_repo is None or _repo(incoming_repo) != _repo(stored.github_repo)
    )
    version = (
        paper.version is not None and stored.version is not None and paper.version > stored.version
    )
    return title or abstract or repo or version


def _paper_params(paper: Paper, observed_at: datetime, touched: bool) -> dict[str, Any]:
    return {
        "arxiv_id": paper.arxiv_id,
        "title": paper.title.strip(),
        "abstract": _known(paper.abstract),
        "published_at": None
        if paper.published_at is None
        else _utc(paper.published_at, f"{paper.arxiv_id} published_at"),
        "list_date": paper.list_date,
        "version": paper.version,
        "primary_category": _known(paper.primary_category),
        "categories": list(paper.categories) or None,
        "organization": _known(paper.organization),
        "github_repo": _known(paper.github_repo),
        "project_page": _known(paper.project_page),
        "ai_summary": _known(paper.ai_summary),
        "ai_keywords": list(paper.ai_keywords) or None,
        "comment": _known(paper.comment),
        "journal_ref": _known(paper.journal_ref),
        "doi": _known(paper.doi),
        "first_seen_at": observed_at,
        # Only for known papers whose tracked fields changed; the upsert keeps the old value
        # otherwise, and a new paper starts with NULL ("never changed").
        "updated_at": observed_at if touched else None,
    }


def _sighting_params(
    run_id: int, listing: Listing, item: ListingItem, observed_at: datetime
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "arxiv_id": item.paper.arxiv_id,
        "source": listing.source,
        "period": listing.period,
        "observed_at": observed_at,
        "rank": item.rank,
        "upvotes": item.upvotes,
        "comments": item.comments,
        "stars": item.stars,
        "section": item.section,
    }


def _named(authors: Iterable[Author]) -> list[tuple[str, Author]]:
    return [(key, a) for a in authors if (key := author_key(a.name))]


def _paper(row: PaperRow, authors: tuple[Author, ...]) -> Paper:
    return Paper(
        arxiv_id=row.arxiv_id,
        title=row.title,
        authors=authors,
        abstract=row.abstract or "",
        published_at=row.published_at,
        list_date=row.list_date,
        version=row.version,
        primary_category=row.primary_category,
        categories=tuple(row.categories or ()),
        organization=row.organization,
        github_repo=row.github_repo,
        project_page=row.project_page,
        ai_summary=row.ai_summary,
        ai_keywords=tuple(row.ai_keywords or ()),
        comment=row.comment,
        journal_ref=row.journal_ref,
        doi=row.doi,
    )


def _sighting(row: SightingRow) -> Sighting:
    return Sighting(
        arxiv_id=row.arxiv_id,
        source=row.source,
        period=row.period,
        run_id=row.run_id,
        observed_at=row.observed_at,
        rank=row.rank,
        upvotes=row.upvotes,
        comments=row.comments,
        stars=row.stars,
        section=row.section,
    )


def _run_record(row: RunRow) -> RunRecord:
    return RunRecord(
        id=row.id,
        source=row.source,
        period=row.period,
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        fetched=row.fetched,
        new=row.new,
        updated=row.updated,
        declared=row.declared,
        error=row.error,
    )


def _delivery(row: DeliveryRow) -> DeliveryRecord:
    return DeliveryRecord(
        digest_key=row.digest_key,
        channel=row.channel,
        recipient=row.recipient,
        status=row.status,
        attempts=row.attempts,
        claimed_at=row.claimed_at,
        sent_at=row.sent_at,
        message_id=row.message_id,
        error=row.error,
    )


def _delivery_key(digest_key: str, channel: str, recipient: str) -> dict[str, str]:
    return {"digest_key": digest_key, "channel": channel, "recipient": recipient}


def _delivery_match(key: dict[str, str]) -> ColumnElement[bool]:
    return and_(*(_deliveries.c[name] == value for name, value in key.items()))
