"""The only door to the database: values in, values out, one transaction per public method.

Writes are bulk Core statements (executemany / ``INSERT .. ON CONFLICT``), never per-row ORM
merges, so saving a listing costs a handful of round trips whatever its size. Reads use the
ORM for typed rows and convert them to the dataclasses of ``scrapers.models`` and
``digest.models`` before returning.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from paperpulse.core.errors import StorageError
from paperpulse.core.kinds import (
    DONE_RUN_STATUSES,
    STORED_RUN_STATUSES,
    DeliveryStatus,
    RunStatus,
)
from paperpulse.core.merge import family, merge_papers
from paperpulse.core.models import AuthorProfile, Listing, Paper, RunRecord, Sighting
from paperpulse.core.processes import alive, this_process
from paperpulse.storage import bulk, terms
from paperpulse.storage.bylines import load_authors, save_bylines
from paperpulse.storage.convert import (
    profile_from_json,
    profile_to_json,
    to_delivery,
    to_paper,
    to_run_record,
    to_sighting,
)
from paperpulse.storage.db import storage_error, write_engine
from paperpulse.storage.merge import (
    TrackedFields,
    first_per_paper,
    is_tracked_change,
    paper_params,
    revision_params,
    sighting_params,
    upsert_papers,
)
from paperpulse.storage.records import DeliveryRecord, SaveResult, ShownRecord
from paperpulse.storage.schema import (
    AuthorProfileRow,
    Base,
    DeliveryRow,
    FeedbackRow,
    PaperRow,
    RunRow,
    ShownRow,
    SightingRow,
    UTCDateTime,
)

FINISHED_RUN_STATUSES = tuple(s for s in STORED_RUN_STATUSES if s != RunStatus.RUNNING)
# Any constant works; it only has to be the same in every paperpulse process.
_PG_SAVE_LOCK = 0x70705F73  # "pp_s"
_PG_RUN_LOCK = 0x70705F72  # "pp_r"


_papers = Base.metadata.tables["papers"]
_runs = Base.metadata.tables["runs"]
_sightings = Base.metadata.tables["sightings"]
_deliveries = Base.metadata.tables["deliveries"]
_shown = Base.metadata.tables["shown"]
_revisions = Base.metadata.tables["paper_revisions"]
_profiles = Base.metadata.tables["author_profiles"]
_feedback = Base.metadata.tables["feedback"]


# A sent delivery whose error starts so was handed over without the server's answer: never
# resent automatically, only by ``claim_unconfirmed`` (an explicit user command).
UNCONFIRMED = "unconfirmed:"
# A claim handed to the server this long ago whose sender never recorded the outcome died.
UNCONFIRMED_AFTER = timedelta(minutes=10)


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

    def close(self) -> None:
        """Close the engine's pooled connections (the repository is done with)."""
        self._engine.dispose()

    # ------------------------------------------------------------------ runs

    def start_exclusive_run(
        self,
        source: str,
        period: str,
        url: str | None,
        started_at: datetime,
        *,
        stale_after: timedelta = timedelta(minutes=30),
        purpose: str | None = None,
    ) -> int | None:
        """Open a run in the ledger ("running") and return its id; None if another run of this
        listing is in flight.

        The check and the insert happen under one lock (PostgreSQL advisory lock, SQLite's
        write lock), so two processes fetching the same date at once never both proceed. A
        "running" run of this listing older than ``stale_after`` belonged to a killed process:
        it is closed as failed ("interrupted") and no longer blocks. So is any run, of any
        listing, whose process on this host is gone (killed, or unable to close it: a full
        disk), so no run stays "running" past the next one.
        """
        started_at = _aware(started_at, "started_at")
        with self._write(f"starting a {source} run for {period}") as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:a, hashtext(:b))"),
                    {"a": _PG_RUN_LOCK, "b": f"{source}\x1f{period}"},
                )
            running = _runs.c.status == RunStatus.RUNNING
            same = and_(_runs.c.source == source, _runs.c.period == period, running)
            in_flight = conn.execute(
                select(
                    _runs.c.id, _runs.c.source, _runs.c.period, _runs.c.owner, _runs.c.started_at
                ).where(running)
            ).all()
            dead = [
                run.id
                for run in in_flight
                if not alive(run.owner)
                or (
                    (run.source, run.period) == (source, period)
                    and run.started_at < started_at - stale_after
                )
            ]
            if dead:
                conn.execute(
                    sa.update(_runs)
                    .where(_runs.c.id.in_(dead))
                    .values(
                        status=RunStatus.FAILED,
                        error="interrupted (the process running it stopped)",
                        finished_at=started_at,
                    )
                )
            if conn.execute(select(func.count()).select_from(_runs).where(same)).scalar_one():
                return None
            run_id: int = conn.execute(
                sa.insert(_runs)
                .values(
                    source=source,
                    period=period,
                    url=url,
                    status=RunStatus.RUNNING,
                    owner=this_process(),
                    purpose=purpose,
                    started_at=started_at,
                    fetched=0,
                    new=0,
                    updated=0,
                )
                .returning(_runs.c.id)
            ).scalar_one()
        return run_id

    def finish_run(
        self,
        run_id: int,
        *,
        status: RunStatus,
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
            "finished_at": _aware(finished_at, "finished_at"),
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
            return [to_run_record(row) for row in session.scalars(query)]

    def runs_of(self, source: str, periods: Sequence[str]) -> list[RunRecord]:
        """The runs of ``source`` for any of ``periods``, in the order they started."""
        query = (
            select(RunRow)
            .where(RunRow.source == source, RunRow.period.in_(periods))
            .order_by(RunRow.id)
        )
        with self._read("reading the run ledger") as session:
            return [to_run_record(row) for row in session.scalars(query)]

    def first_starts_after(self, source: str, period: str) -> dict[str, datetime]:
        """When the first run of each period of ``source`` after ``period`` started (periods
        compared as text: later list dates)."""
        query = (
            select(RunRow.period, sa.type_coerce(func.min(RunRow.started_at), UTCDateTime))
            .where(RunRow.source == source, RunRow.period > period)
            .group_by(RunRow.period)
        )
        with self._read("reading the run ledger") as session:
            return {p: at for p, at in session.execute(query)}

    def listed_on(self, day: date) -> list[str]:
        """Papers whose list date (HF list or arXiv announcement) is ``day``."""
        query = (
            select(PaperRow.arxiv_id).where(PaperRow.list_date == day).order_by(PaperRow.arxiv_id)
        )
        with self._read(f"reading the papers listed on {day}") as session:
            return list(session.scalars(query))

    def latest_complete_run(self, source: str, period: str) -> RunRecord | None:
        """The most recent run of this listing that finished "complete"."""
        query = (
            select(RunRow)
            .where(
                RunRow.source == source,
                RunRow.period == period,
                RunRow.status == RunStatus.COMPLETE,
            )
            .order_by(RunRow.id.desc())
            .limit(1)
        )
        with self._read(f"reading the latest {source} run for {period}") as session:
            row = session.scalars(query).first()
            return None if row is None else to_run_record(row)

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
        observed_at = _aware(observed_at, "observed_at")
        items = first_per_paper(listing.items)
        for item in items:
            if item.paper.published_at is not None:
                _aware(item.paper.published_at, f"{item.paper.arxiv_id} published_at")
        action = f"saving the {listing.source} listing for {listing.period} (run {run_id})"
        with self._write(action) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SAVE_LOCK})
            self._check_run(conn, run_id, listing, action)
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
            found = _load_papers(session, wanted)
        return {i: found[i] for i in wanted if i in found}

    def papers_listed(self, start: date, end: date) -> list[Paper]:
        """Papers whose list date is in ``[start, end]``, by list date then id (a pool of
        recent papers to rank; ``ix_papers_list_date`` serves it)."""
        query = (
            select(PaperRow.arxiv_id)
            .where(PaperRow.list_date >= start, PaperRow.list_date <= end)
            .order_by(PaperRow.list_date, PaperRow.arxiv_id)
        )
        with self._read("reading papers by list date") as session:
            ids = list(session.scalars(query))
            found = _load_papers(session, ids)
        return [found[i] for i in ids if i in found]

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
            conditions.append(SightingRow.observed_at >= _aware(since, "since"))
        if until is not None:
            conditions.append(SightingRow.observed_at < _aware(until, "until"))
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
            papers = _load_papers(session, [s.arxiv_id for s in sightings])
        return [(papers[s.arxiv_id], s) for s in sightings]

    def runs_between(self, start: datetime, end: datetime) -> list[RunRecord]:
        """Runs started in ``[start, end]``, oldest first (what a digest window covers)."""
        query = (
            select(RunRow)
            .where(
                RunRow.started_at >= _aware(start, "start"), RunRow.started_at <= _aware(end, "end")
            )
            .order_by(RunRow.id)
        )
        with self._read("reading the runs of a window") as session:
            return [to_run_record(row) for row in session.scalars(query)]

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
        at = _aware(at, "at")
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

    def save_author_profile(
        self, run_id: int | None, name: str, profile: AuthorProfile, observed_at: datetime
    ) -> None:
        row = {
            "run_id": run_id,
            "name": name,
            "observed_at": _aware(observed_at, "observed_at"),
            "author_id": profile.author_id,
            "h_index": profile.h_index,
            "paper_count": profile.paper_count,
            "citation_count": profile.citation_count,
            "profile": profile_to_json(profile),
        }
        with self._write(f"saving the profile of {name}") as conn:
            conn.execute(sa.insert(_profiles), [row])

    def author_profiles(
        self, name: str, *, until: datetime, limit: int = 2
    ) -> list[tuple[datetime, AuthorProfile]]:
        """The newest profile snapshots of a followed author up to ``until``, newest first."""
        query = (
            select(AuthorProfileRow)
            .where(
                AuthorProfileRow.name == name,
                AuthorProfileRow.observed_at <= _aware(until, "until"),
            )
            .order_by(AuthorProfileRow.observed_at.desc(), AuthorProfileRow.id.desc())
            .limit(limit)
        )
        with self._read(f"reading the profiles of {name}") as session:
            return [
                (row.observed_at, profile_from_json(row.profile)) for row in session.scalars(query)
            ]

    # ------------------------------------------------------------ deliveries

    def sent_digests(self, channel: str, recipient: str) -> list[str]:
        """Keys of the digests delivered on ``channel`` to ``recipient`` ("daily/2024-08-01"),
        sorted: the archive's index and navigation are built from this, not from its files."""
        query = (
            select(DeliveryRow.digest_key)
            .where(
                DeliveryRow.channel == channel,
                DeliveryRow.recipient == recipient,
                DeliveryRow.status == "sent",
            )
            .order_by(DeliveryRow.digest_key)
        )
        with self._read(f"reading the {channel} deliveries") as session:
            return list(session.scalars(query))

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
        again; a "sending" claim older than ``reclaim_after`` (its sender presumably died) too,
        unless that sender had begun handing the message to the server (``mark_handed``): such
        a message may have arrived and is taken over only by ``claim_unconfirmed``.
        Safe across processes: PostgreSQL makes a concurrent ``INSERT .. ON CONFLICT`` or
        ``UPDATE`` wait for the winner's commit and then re-check its condition; SQLite
        serializes writers (``BEGIN IMMEDIATE``).
        """
        claimed_at = _aware(claimed_at, "claimed_at")
        key = _delivery_key(digest_key, channel, recipient)
        with self._write(f"claiming the {channel} delivery of {digest_key}") as conn:
            inserted = conn.execute(
                bulk.insert(conn.dialect, _deliveries)
                .values(**key, status=DeliveryStatus.SENDING, attempts=1, claimed_at=claimed_at)
                .on_conflict_do_nothing(index_elements=list(key))
                .returning(_deliveries.c.id)
            ).first()
            if inserted is not None:
                return True
            # The condition lives in the UPDATE itself (never check-then-act in Python).
            retry: ColumnElement[bool] = _deliveries.c.status == DeliveryStatus.FAILED
            if reclaim_after is not None:
                stale = and_(
                    _deliveries.c.status == DeliveryStatus.SENDING,
                    _deliveries.c.claimed_at < claimed_at - reclaim_after,
                    _deliveries.c.handed_at.is_(None),
                )
                retry = or_(retry, stale)
            result = conn.execute(
                sa.update(_deliveries)
                .where(_delivery_match(key), retry)
                .values(
                    status=DeliveryStatus.SENDING,
                    attempts=_deliveries.c.attempts + 1,
                    claimed_at=claimed_at,
                    error=None,
                    handed_at=None,
                )
            )
            return result.rowcount == 1

    def mark_handed(self, digest_key: str, channel: str, recipient: str, *, at: datetime) -> None:
        """Note, just before the SMTP conversation, that this claim's message is about to
        reach the server: from here on a dead claim is unconfirmed, never simply retried."""
        key = _delivery_key(digest_key, channel, recipient)
        with self._write(f"marking the {channel} delivery of {digest_key} handed over") as conn:
            conn.execute(
                sa.update(_deliveries)
                .where(_delivery_match(key), _deliveries.c.status == DeliveryStatus.SENDING)
                .values(handed_at=_aware(at, "at"))
            )

    def claim_unconfirmed(
        self, digest_key: str, channel: str, recipient: str, *, claimed_at: datetime
    ) -> bool:
        """Claim a delivery recorded as sent but unconfirmed (``error`` starting
        ``UNCONFIRMED``), or left "sending" by a sender that died after handing it to the
        server, so an explicit resend may send it once more; True means send it."""
        claimed_at = _aware(claimed_at, "claimed_at")
        key = _delivery_key(digest_key, channel, recipient)
        with self._write(f"claiming the unconfirmed {channel} delivery of {digest_key}") as conn:
            result = conn.execute(
                sa.update(_deliveries)
                .where(
                    _delivery_match(key),
                    or_(
                        and_(
                            _deliveries.c.status == DeliveryStatus.SENT,
                            _deliveries.c.error.startswith(UNCONFIRMED),
                        ),
                        and_(
                            _deliveries.c.status == DeliveryStatus.SENDING,
                            _deliveries.c.handed_at.is_not(None),
                            _deliveries.c.claimed_at < claimed_at - UNCONFIRMED_AFTER,
                        ),
                    ),
                )
                .values(
                    status=DeliveryStatus.SENDING,
                    attempts=_deliveries.c.attempts + 1,
                    claimed_at=claimed_at,
                    error=None,
                    handed_at=None,
                )
            )
            return result.rowcount == 1

    def record_delivery(
        self,
        digest_key: str,
        channel: str,
        recipient: str,
        *,
        status: DeliveryStatus,
        at: datetime,
        message_id: str | None = None,
        error: str | None = None,
    ) -> DeliveryRecord:
        """Record the outcome ("sent" or "failed") of an attempt; returns the stored state.

        Idempotent under (digest_key, channel, recipient). A failed delivery may later become
        sent; a sent one never changes again. An attempt counts once, claimed first or not.
        """
        if status not in (DeliveryStatus.SENT, DeliveryStatus.FAILED):
            raise ValueError(f"delivery status must be 'sent' or 'failed', not {status!r}")
        at = _aware(at, "at")
        key = _delivery_key(digest_key, channel, recipient)
        with self._write(f"recording the {channel} delivery of {digest_key}") as conn:
            insert = bulk.insert(conn.dialect, _deliveries).values(
                **key,
                status=status,
                attempts=1,
                claimed_at=at,
                sent_at=at if status == DeliveryStatus.SENT else None,
                message_id=message_id,
                error=error,
            )
            new, old = insert.excluded, _deliveries.c
            claimed = old.status == DeliveryStatus.SENDING  # the claim already counted this attempt
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=list(key),
                    set_={
                        "status": new.status,
                        "sent_at": new.sent_at,
                        "message_id": func.coalesce(new.message_id, old.message_id),
                        "error": new.error,
                        "attempts": sa.case((claimed, old.attempts), else_=old.attempts + 1),
                        "claimed_at": sa.case((claimed, old.claimed_at), else_=new.claimed_at),
                    },
                    where=old.status != DeliveryStatus.SENT,
                )
            )
            with Session(bind=conn) as session:
                row = session.scalars(select(DeliveryRow).where(_delivery_match(key))).one()
                return to_delivery(row)

    # ------------------------------------------------------- reader's ledger

    def record_shown(
        self,
        recipient: str,
        digest_key: str,
        shown: Iterable[tuple[str, int | None, bool]],
        at: datetime,
    ) -> None:
        """Remember what a delivered digest showed ``recipient``: ``(arxiv_id, upvotes shown,
        shown as new)`` per paper, ``at`` the digest's moment. The first "new" wins; a new
        showing moves ``seen_*`` to ``prev_*``; recording the same digest again replaces only
        ``seen_*`` (so a re-run measures from the same earlier digest).
        """
        at = _aware(at, "at")
        rows = [
            {
                "recipient": recipient,
                "arxiv_id": arxiv_id,
                "new_at": at if is_new else None,
                "new_digest": digest_key if is_new else None,
                "seen_at": at,
                "seen_digest": digest_key,
                "seen_upvotes": upvotes,
            }
            for arxiv_id, upvotes, is_new in sorted(set(shown))
        ]
        if not rows:
            return
        with self._write(f"updating what {recipient} was shown") as conn:
            insert = bulk.insert(conn.dialect, _shown)
            new, old = insert.excluded, _shown.c
            again = old.seen_digest == new.seen_digest
            # A rebuilt older digest never moves the reader's "last seen" backwards.
            later = new.seen_at > old.seen_at

            def advance(field: str) -> Any:
                return sa.case(
                    (again, getattr(old, f"prev_{field}")),
                    (later, getattr(old, f"seen_{field}")),
                    else_=getattr(old, f"prev_{field}"),
                )

            def latest(field: str) -> Any:
                return sa.case(
                    (again | later, getattr(new, f"seen_{field}")),
                    else_=getattr(old, f"seen_{field}"),
                )

            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["recipient", "arxiv_id"],
                    set_={
                        "new_at": func.coalesce(old.new_at, new.new_at),
                        "new_digest": func.coalesce(old.new_digest, new.new_digest),
                        **{f"prev_{f}": advance(f) for f in ("at", "digest", "upvotes")},
                        **{f"seen_{f}": latest(f) for f in ("at", "digest", "upvotes")},
                    },
                ),
                rows,
            )

    def shown(self, recipient: str, ids: Iterable[str], before: str) -> dict[str, ShownRecord]:
        """What ``recipient`` was shown of each of ``ids`` before digest ``before`` (absent:
        never shown)."""
        found: dict[str, ShownRecord] = {}
        with self._read(f"reading what {recipient} was shown") as session:
            for chunk in bulk.chunks(sorted(set(ids))):
                query = select(ShownRow).where(
                    ShownRow.recipient == recipient,
                    bulk.among(session.get_bind().dialect, ShownRow.arxiv_id, chunk),
                )
                for row in session.scalars(query):
                    again = row.seen_digest == before
                    record = ShownRecord(
                        arxiv_id=row.arxiv_id,
                        announced_new=row.new_at is not None and row.new_digest != before,
                        seen_at=row.prev_at if again else row.seen_at,
                        seen_digest=row.prev_digest if again else row.seen_digest,
                        seen_upvotes=row.prev_upvotes if again else row.seen_upvotes,
                    )
                    if record.announced_new or record.seen_at is not None:
                        found[row.arxiv_id] = record
        return found

    def announced_since(self, recipient: str, since: datetime) -> dict[str, datetime]:
        """Papers announced as new to ``recipient`` at or after ``since``, with when."""
        query = select(ShownRow.arxiv_id, ShownRow.new_at).where(
            ShownRow.recipient == recipient, ShownRow.new_at >= _aware(since, "since")
        )
        with self._read(f"reading what {recipient} was told is new") as session:
            return {arxiv_id: at for arxiv_id, at in session.execute(query) if at is not None}

    def last_digest_moment(self, recipient: str, before: str) -> datetime | None:
        """The moment of the latest digest ``recipient`` was shown before digest ``before``."""
        moment = func.max(
            sa.case((ShownRow.seen_digest == before, ShownRow.prev_at), else_=ShownRow.seen_at)
        )
        query = select(sa.type_coerce(moment, UTCDateTime)).where(ShownRow.recipient == recipient)
        with self._read(f"reading when {recipient} last read a digest") as session:
            found: datetime | None = session.scalar(query)
            return found

    def delivered(self, recipient: str, prefix: str = "") -> list[DeliveryRecord]:
        """``recipient``'s sent deliveries (digest keys starting with ``prefix``), oldest first."""
        query = (
            select(DeliveryRow)
            .where(
                DeliveryRow.recipient == recipient,
                DeliveryRow.status == "sent",
                DeliveryRow.digest_key.startswith(prefix),
            )
            .order_by(DeliveryRow.sent_at, DeliveryRow.id)
        )
        with self._read(f"reading what was delivered to {recipient}") as session:
            return [to_delivery(row) for row in session.scalars(query)]

    # ------------------------------------------------------------- feedback

    def record_feedback(
        self,
        reader: str,
        signals: Mapping[str, str],
        *,
        origin: str,
        at: datetime,
        renew: bool = False,
    ) -> int:
        """Record ``{arxiv_id: "like" | "hide"}`` from one origin; returns how many changed.

        A signal equal to the one already recorded from the same origin keeps its time (unless
        ``renew``: a command typed again is a new signal), so a feedback file read again every
        run does not outrank a later ``paperpulse hide``.
        """
        at = _aware(at, "at")
        rows = [
            {"reader": reader, "arxiv_id": i, "origin": origin, "signal": s, "at": at}
            for i, s in sorted(signals.items())
        ]
        if not rows:
            return 0
        with self._write(f"recording feedback of {reader}") as conn:
            stmt = bulk.insert(conn.dialect, _feedback)
            upsert = stmt.on_conflict_do_update(
                index_elements=["reader", "arxiv_id", "origin"],
                set_={"signal": stmt.excluded.signal, "at": stmt.excluded.at},
                where=None if renew else _feedback.c.signal != stmt.excluded.signal,
            ).returning(_feedback.c.arxiv_id)
            # RETURNING counts the rows written on both backends (rowcount does not on psycopg).
            return sum(len(conn.execute(upsert, row).all()) for row in rows)

    def feedback(self, reader: str) -> dict[str, str]:
        """A reader's ``{arxiv_id: "like" | "hide"}``: the newest signal of any origin."""
        query = (
            select(FeedbackRow.arxiv_id, FeedbackRow.signal)
            .where(FeedbackRow.reader == reader)
            .order_by(FeedbackRow.at, FeedbackRow.origin)
        )
        with self._read(f"reading feedback of {reader}") as session:
            return {arxiv_id: signal for arxiv_id, signal in session.execute(query)}

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

    @staticmethod
    def _check_run(conn: Connection, run_id: int, listing: Listing, action: str) -> None:
        run = conn.execute(
            select(_runs.c.source, _runs.c.period).where(_runs.c.id == run_id)
        ).first()
        if run is None:
            raise StorageError(
                f"{action}: run {run_id} does not exist; call start_exclusive_run first"
            )
        if (run.source, run.period) != (listing.source, listing.period):
            raise ValueError(
                f"run {run_id} is {run.source} {run.period}, not {listing.source} {listing.period}"
            )

    # ------------------------------------------------------------- "For you" term counts

    def term_counts(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Stored term counts of the texts among ``keys`` (``storage/terms.py``)."""
        with self._read("reading cached term counts") as session:
            return terms.load(session, keys)

    def save_term_counts(self, counts: Mapping[str, bytes], *, at: datetime) -> None:
        if counts:
            with self._write("caching term counts") as conn:
                terms.save(conn, counts, _aware(at, "at"))

    def prune_term_counts(self, before: datetime) -> int:
        with self._write("pruning cached term counts") as conn:
            return terms.prune(conn, _aware(before, "before"))


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
            finished_at=_aware(at, "finished_at"),
        )
    )


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value


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
            tracked=_tracked(row),
            families=set(filter(None, (row.families or "").split(","))),
        )
        for row in rows
    }


def _load_papers(session: Session, ids: Sequence[str]) -> dict[str, Paper]:
    return {arxiv_id: stored.paper for arxiv_id, stored in _load_stored(session, ids).items()}


def _tracked_fields(conn: Connection, ids: Sequence[str]) -> dict[str, TrackedFields]:
    """The stored tracked fields of those ``ids`` already known, in one query per chunk."""
    stored: dict[str, TrackedFields] = {}
    c = _papers.c
    for chunk in bulk.chunks(ids):
        query = select(c.arxiv_id, c.title, c.abstract, c.github_repo, c.version).where(
            bulk.among(conn.dialect, c.arxiv_id, chunk)
        )
        for row in conn.execute(query):
            stored[row.arxiv_id] = _tracked(row)
    return stored


def _tracked(row: Any) -> TrackedFields:
    """From a ``PaperRow`` or a Core row holding the four tracked columns."""
    return TrackedFields(
        title=row.title, abstract=row.abstract, github_repo=row.github_repo, version=row.version
    )


def _delivery_key(digest_key: str, channel: str, recipient: str) -> dict[str, str]:
    return {"digest_key": digest_key, "channel": channel, "recipient": recipient}


def _delivery_match(key: dict[str, str]) -> ColumnElement[bool]:
    return and_(*(_deliveries.c[name] == value for name, value in key.items()))
