"""The deliveries ledger: each (digest, channel, recipient) claimed before it is sent, so a
re-run, an overlapping run or a crash never sends a digest twice."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from paperpulse.core.keys import DigestKey, Recipient, delivery_text, key_text
from paperpulse.core.kinds import DeliveryStatus
from paperpulse.storage import bulk
from paperpulse.storage.base import RepositoryBase, aware
from paperpulse.storage.convert import to_delivery
from paperpulse.storage.records import DeliveryRecord
from paperpulse.storage.schema import Base, DeliveryRow

_deliveries = Base.metadata.tables["deliveries"]

# A sent delivery whose error starts so was handed over without the server's answer: never
# resent automatically, only by ``claim_unconfirmed`` (an explicit user command).
UNCONFIRMED = "unconfirmed:"
# A claim handed to the server this long ago whose sender never recorded the outcome died.
UNCONFIRMED_AFTER = timedelta(minutes=10)


class DeliveryLedger(RepositoryBase):
    """Claims and outcomes. A digest key or recipient may be given typed (``core.keys``) or
    as the text the ledger stores; both are stored as that text."""

    def sent_digests(self, channel: str, recipient: Recipient | str) -> list[str]:
        """Keys of the digests delivered on ``channel`` to ``recipient`` ("daily/2024-08-01"),
        sorted: the archive's index and navigation are built from this, not from its files."""
        query = (
            select(DeliveryRow.digest_key)
            .where(
                DeliveryRow.channel == channel,
                DeliveryRow.recipient == delivery_text(recipient),
                DeliveryRow.status == "sent",
            )
            .order_by(DeliveryRow.digest_key)
        )
        with self._read(f"reading the {channel} deliveries") as session:
            return list(session.scalars(query))

    def claim_delivery(
        self,
        digest_key: DigestKey | str,
        channel: str,
        recipient: Recipient | str,
        *,
        claimed_at: datetime,
        reclaim_after: timedelta | None = None,
    ) -> bool:
        """Atomically mark a delivery "sending"; True means *this* caller must send it.

        False when it is sent, or claimed by someone else. A failed delivery can be claimed
        again; a "sending" claim older than ``reclaim_after`` (its sender presumably died) too,
        unless that sender had begun handing the message to the server (``mark_handed``): such
        a message may have arrived and is taken over only by ``claim_unconfirmed``. Safe
        across processes: PostgreSQL makes a concurrent ``INSERT .. ON CONFLICT`` or ``UPDATE``
        wait for the winner's commit and then re-check its condition; SQLite serializes
        writers (``BEGIN IMMEDIATE``).
        """
        claimed_at = aware(claimed_at, "claimed_at")
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
            return _reclaim(conn, key, retry, claimed_at)

    def claim_unconfirmed(
        self,
        digest_key: DigestKey | str,
        channel: str,
        recipient: Recipient | str,
        *,
        claimed_at: datetime,
    ) -> bool:
        """Claim a delivery recorded as sent but unconfirmed (``error`` starting
        ``UNCONFIRMED``), or left "sending" by a sender that died after handing it to the
        server, so an explicit resend may send it once more; True means send it."""
        claimed_at = aware(claimed_at, "claimed_at")
        key = _delivery_key(digest_key, channel, recipient)
        with self._write(f"claiming the unconfirmed {channel} delivery of {digest_key}") as conn:
            unconfirmed = or_(
                and_(
                    _deliveries.c.status == DeliveryStatus.SENT,
                    _deliveries.c.error.startswith(UNCONFIRMED),
                ),
                and_(
                    _deliveries.c.status == DeliveryStatus.SENDING,
                    _deliveries.c.handed_at.is_not(None),
                    _deliveries.c.claimed_at < claimed_at - UNCONFIRMED_AFTER,
                ),
            )
            return _reclaim(conn, key, unconfirmed, claimed_at)

    def mark_handed(
        self,
        digest_key: DigestKey | str,
        channel: str,
        recipient: Recipient | str,
        *,
        at: datetime,
    ) -> None:
        """Note, just before the SMTP conversation, that this claim's message is about to
        reach the server: from here on a dead claim is unconfirmed, never simply retried."""
        key = _delivery_key(digest_key, channel, recipient)
        with self._write(f"marking the {channel} delivery of {digest_key} handed over") as conn:
            conn.execute(
                sa.update(_deliveries)
                .where(_delivery_match(key), _deliveries.c.status == DeliveryStatus.SENDING)
                .values(handed_at=aware(at, "at"))
            )

    def record_delivery(
        self,
        digest_key: DigestKey | str,
        channel: str,
        recipient: Recipient | str,
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
        at = aware(at, "at")
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

    def delivered(
        self, recipient: Recipient | str, prefix: DigestKey | str = ""
    ) -> list[DeliveryRecord]:
        """``recipient``'s sent deliveries (digest keys starting with ``prefix``), oldest first."""
        query = (
            select(DeliveryRow)
            .where(
                DeliveryRow.recipient == delivery_text(recipient),
                DeliveryRow.status == "sent",
                DeliveryRow.digest_key.startswith(key_text(prefix)),
            )
            .order_by(DeliveryRow.sent_at, DeliveryRow.id)
        )
        with self._read(f"reading what was delivered to {recipient}") as session:
            return [to_delivery(row) for row in session.scalars(query)]


def _delivery_key(
    digest_key: DigestKey | str, channel: str, recipient: Recipient | str
) -> dict[str, str]:
    """The ledger's unique key as stored: the one place typed identities become text."""
    return {
        "digest_key": key_text(digest_key),
        "channel": channel,
        "recipient": delivery_text(recipient),
    }


def _delivery_match(key: dict[str, str]) -> ColumnElement[bool]:
    return and_(*(_deliveries.c[name] == value for name, value in key.items()))


def _reclaim(
    conn: Connection, key: dict[str, str], when: ColumnElement[bool], claimed_at: datetime
) -> bool:
    """Claim an existing delivery again if ``when`` holds; the condition lives in the UPDATE
    itself, so two claimers never both win."""
    result = conn.execute(
        sa.update(_deliveries)
        .where(_delivery_match(key), when)
        .values(
            status=DeliveryStatus.SENDING,
            attempts=_deliveries.c.attempts + 1,
            claimed_at=claimed_at,
            error=None,
            handed_at=None,
        )
    )
    return result.rowcount == 1
