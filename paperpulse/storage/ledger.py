"""The reader's ledger: what each reader (a person, a chat channel, the archive) was shown,
and what they liked or hid. "New", "rising" and "For you" are measured against it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select

from paperpulse.core.keys import DigestKey, Recipient, key_text, ledger_text
from paperpulse.storage import bulk
from paperpulse.storage.base import RepositoryBase, aware
from paperpulse.storage.records import ShownRecord
from paperpulse.storage.schema import Base, FeedbackRow, ShownRow, UTCDateTime

_shown = Base.metadata.tables["shown"]
_feedback = Base.metadata.tables["feedback"]


class ReaderLedger(RepositoryBase):
    """Per reader, per paper. A reader or digest key may be given typed (``core.keys``) or as
    the text the ledger stores; both are stored as that text."""

    def record_shown(
        self,
        recipient: Recipient | str,
        digest_key: DigestKey | str,
        shown: Iterable[tuple[str, int | None, bool]],
        at: datetime,
    ) -> None:
        """Remember what a delivered digest showed ``recipient``: ``(arxiv_id, upvotes shown,
        shown as new)`` per paper, ``at`` the digest's moment. The first "new" wins; a new
        showing moves ``seen_*`` to ``prev_*``; recording the same digest again replaces only
        ``seen_*`` (so a re-run measures from the same earlier digest).
        """
        at = aware(at, "at")
        recipient, digest_key = ledger_text(recipient), key_text(digest_key)
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

    def shown(
        self, recipient: Recipient | str, ids: Iterable[str], before: DigestKey | str
    ) -> dict[str, ShownRecord]:
        """What ``recipient`` was shown of each of ``ids`` before digest ``before`` (absent:
        never shown)."""
        recipient, before = ledger_text(recipient), key_text(before)
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

    def announced_since(self, recipient: Recipient | str, since: datetime) -> dict[str, datetime]:
        """Papers announced as new to ``recipient`` at or after ``since``, with when."""
        recipient = ledger_text(recipient)
        query = select(ShownRow.arxiv_id, ShownRow.new_at).where(
            ShownRow.recipient == recipient, ShownRow.new_at >= aware(since, "since")
        )
        with self._read(f"reading what {recipient} was told is new") as session:
            return {arxiv_id: at for arxiv_id, at in session.execute(query) if at is not None}

    def last_digest_moment(
        self, recipient: Recipient | str, before: DigestKey | str
    ) -> datetime | None:
        """The moment of the latest digest ``recipient`` was shown before digest ``before``."""
        recipient, before = ledger_text(recipient), key_text(before)
        moment = func.max(
            sa.case((ShownRow.seen_digest == before, ShownRow.prev_at), else_=ShownRow.seen_at)
        )
        query = select(sa.type_coerce(moment, UTCDateTime)).where(ShownRow.recipient == recipient)
        with self._read(f"reading when {recipient} last read a digest") as session:
            found: datetime | None = session.scalar(query)
            return found

    def record_feedback(
        self,
        reader: Recipient | str,
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
        at, reader = aware(at, "at"), ledger_text(reader)
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

    def feedback(self, reader: Recipient | str) -> dict[str, str]:
        """A reader's ``{arxiv_id: "like" | "hide"}``: the newest signal of any origin."""
        reader = ledger_text(reader)
        query = (
            select(FeedbackRow.arxiv_id, FeedbackRow.signal)
            .where(FeedbackRow.reader == reader)
            .order_by(FeedbackRow.at, FeedbackRow.origin)
        )
        with self._read(f"reading feedback of {reader}") as session:
            return {arxiv_id: signal for arxiv_id, signal in session.execute(query)}
