"""The reader's side of the database: who unsubscribed, what each reader chose on the manage
page (topics, editions, a pause), and the key that signs readers' links.

Values in, values out, one transaction per call, like ``repository.py``; kept apart from it
so the web application and delivery share this small surface only.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select

from paperpulse.storage import bulk
from paperpulse.storage.base import RepositoryBase
from paperpulse.storage.schema import Base, ReaderPrefsRow, SuppressionRow, WebKeyRow

_suppressions = Base.metadata.tables["suppressions"]
_prefs = Base.metadata.tables["reader_prefs"]
_keys = Base.metadata.tables["web_keys"]
SIGNING_KEY = "links"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReaderPrefs:
    """None: as the config says."""

    topics: tuple[str, ...] | None = None
    editions: tuple[str, ...] | None = None
    paused_until: datetime | None = None

    def paused(self, at: datetime) -> bool:
        return self.paused_until is not None and at < self.paused_until


class ReaderStore(RepositoryBase):
    """Unsubscribes, reader preferences and the link-signing key."""

    # ------------------------------------------------------------ suppression list

    def suppress(self, reader: str, *, origin: str, at: datetime) -> bool:
        """Unsubscribe ``reader``; True if they were subscribed (idempotent)."""
        with self._write(f"unsubscribing {reader}") as conn:
            stmt = bulk.insert(conn.dialect, _suppressions).values(
                reader=_key(reader), at=_utc(at), origin=origin
            )
            done = conn.execute(
                stmt.on_conflict_do_nothing(index_elements=["reader"]).returning(
                    _suppressions.c.reader
                )
            ).all()
            return bool(done)

    def resubscribe(self, reader: str) -> bool:
        with self._write(f"resubscribing {reader}") as conn:
            gone = conn.execute(
                delete(_suppressions)
                .where(_suppressions.c.reader == _key(reader))
                .returning(_suppressions.c.reader)
            ).all()
            return bool(gone)

    def is_suppressed(self, reader: str) -> bool:
        with self._connect(f"reading whether {reader} unsubscribed") as conn:
            query = select(SuppressionRow.reader).where(SuppressionRow.reader == _key(reader))
            return conn.execute(query).first() is not None

    def suppressed(self) -> set[str]:
        with self._connect("reading the suppression list") as conn:
            return set(conn.execute(select(SuppressionRow.reader)).scalars())

    # ------------------------------------------------------------ preferences

    def prefs(self, reader: str) -> ReaderPrefs:
        with self._connect(f"reading the preferences of {reader}") as conn:
            row = conn.execute(
                select(ReaderPrefsRow).where(ReaderPrefsRow.reader == _key(reader))
            ).first()
        if row is None:
            return ReaderPrefs()
        return ReaderPrefs(
            topics=None if row.topics is None else tuple(row.topics),
            editions=None if row.editions is None else tuple(row.editions),
            paused_until=_aware(row.paused_until),
        )

    def save_prefs(self, reader: str, prefs: ReaderPrefs, *, at: datetime) -> None:
        values = {
            "topics": None if prefs.topics is None else list(prefs.topics),
            "editions": None if prefs.editions is None else list(prefs.editions),
            "paused_until": None if prefs.paused_until is None else _utc(prefs.paused_until),
            "updated_at": _utc(at),
        }
        with self._write(f"saving the preferences of {reader}") as conn:
            stmt = bulk.insert(conn.dialect, _prefs).values(reader=_key(reader), **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=["reader"], set_=values))

    # ------------------------------------------------------------ the signing key

    def signing_key(self) -> str:
        """The stored key, made on first use; concurrent first uses agree on one."""
        with self._write("reading the link-signing key") as conn:
            stmt = bulk.insert(conn.dialect, _keys).values(
                name=SIGNING_KEY, value=secrets.token_urlsafe(32)
            )
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
            value: str = conn.execute(
                select(WebKeyRow.value).where(WebKeyRow.name == SIGNING_KEY)
            ).scalar_one()
            return value


def _key(reader: str) -> str:
    """Addresses compare case-insensitively here: ``Alice@X`` unsubscribing stops ``alice@x``."""
    return reader.strip().casefold()


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} given; pass an aware UTC time")
    return value.astimezone(UTC)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value if value.tzinfo else value.replace(tzinfo=UTC)


def normalized(readers: Sequence[str]) -> set[str]:
    return {_key(r) for r in readers}
