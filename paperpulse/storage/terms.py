"""The ``term_counts`` table: "For you" keeps each ranked text's hashed term counts here, so
a run tokenises only texts no earlier run (on any worker sharing the database) has seen.

The counts are opaque bytes to storage; ``digest/terms.py`` makes and reads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from paperpulse.storage import bulk
from paperpulse.storage.schema import Base

_term_counts = Base.metadata.tables["term_counts"]


def load(session: Session, keys: Iterable[str]) -> dict[str, bytes]:
    wanted = list(dict.fromkeys(keys))
    found: dict[str, bytes] = {}
    dialect = session.get_bind().dialect
    for chunk in bulk.chunks(wanted):
        query = select(_term_counts.c.key, _term_counts.c.counts).where(
            bulk.among(dialect, _term_counts.c.key, chunk)
        )
        found.update((key, bytes(counts)) for key, counts in session.execute(query))
    return found


def save(conn: Connection, counts: Mapping[str, bytes], at: datetime) -> None:
    """Insert, keeping a row another worker stored first (same key, same counts)."""
    rows = [{"key": k, "counts": v, "created_at": at} for k, v in sorted(counts.items())]
    for chunk in bulk.chunks(rows):
        stmt = bulk.insert(conn.dialect, _term_counts).on_conflict_do_nothing(
            index_elements=["key"]
        )
        conn.execute(stmt, list(chunk))


def prune(conn: Connection, before: datetime) -> int:
    """Forget counts stored before ``before``; any still needed are counted again."""
    result = conn.execute(delete(_term_counts).where(_term_counts.c.created_at < before))
    return int(result.rowcount or 0)
