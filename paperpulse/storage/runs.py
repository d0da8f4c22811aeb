"""The run ledger: one row per fetch of a listing, opened exclusively and closed with counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import and_, func, select

from paperpulse.core.errors import StorageError
from paperpulse.core.kinds import DONE_RUN_STATUSES, STORED_RUN_STATUSES, RunStatus
from paperpulse.core.models import RunRecord
from paperpulse.core.processes import alive, this_process
from paperpulse.storage.base import RepositoryBase, aware
from paperpulse.storage.convert import to_run_record
from paperpulse.storage.schema import Base, RunRow, UTCDateTime

FINISHED_RUN_STATUSES = tuple(s for s in STORED_RUN_STATUSES if s != RunStatus.RUNNING)
# Any constant works; it only has to be the same in every paperpulse process.
_PG_RUN_LOCK = 0x70705F72  # "pp_r"

_runs = Base.metadata.tables["runs"]


class RunLedger(RepositoryBase):
    """Runs: started under a lock so one listing is fetched by one process at a time."""

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
        started_at = aware(started_at, "started_at")
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
            "finished_at": aware(finished_at, "finished_at"),
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

    def runs_between(self, start: datetime, end: datetime) -> list[RunRecord]:
        """Runs started in ``[start, end]``, oldest first (what a digest window covers)."""
        query = (
            select(RunRow)
            .where(
                RunRow.started_at >= aware(start, "start"), RunRow.started_at <= aware(end, "end")
            )
            .order_by(RunRow.id)
        )
        with self._read("reading the runs of a window") as session:
            return [to_run_record(row) for row in session.scalars(query)]
