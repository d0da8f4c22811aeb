"""Values only storage produces (frozen dataclasses; no SQLAlchemy in here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from paperpulse.core.keys import DigestKey, Recipient
from paperpulse.core.kinds import DeliveryStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class SaveResult:
    """What saving one listing changed: counts for the run ledger, ids for the diff."""

    fetched: int  # distinct papers in the listing
    new: int  # papers the database did not hold before
    updated: int  # known papers whose title, abstract, github_repo or version changed
    new_ids: tuple[str, ...] = ()
    updated_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryRecord:
    """One digest on one channel to one recipient: the guard against sending twice."""

    digest_key: str
    channel: str
    recipient: str
    status: DeliveryStatus
    attempts: int
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    message_id: str | None = None
    error: str | None = None
    # When the latest attempt began talking to the mail server (None: it never got there).
    handed_at: datetime | None = None

    def unconfirmed(self, now: datetime, after: timedelta) -> bool:
        """Sent without the server's answer, or claimed by a sender that died (``after`` ago)
        after handing the message over: it may have arrived, so it is never sent again
        automatically."""
        if self.status == DeliveryStatus.SENDING:
            return self.handed_at is not None and (self.claimed_at or now) < now - after
        return (self.error or "").startswith("unconfirmed:")

    @property
    def key(self) -> DigestKey:
        """``digest_key`` typed."""
        return DigestKey.parse(self.digest_key)

    @property
    def to(self) -> Recipient:
        """``recipient`` typed (read with its channel: a chat channel is stored by its name)."""
        return Recipient.delivered_to(self.channel, self.recipient)


@dataclass(frozen=True, slots=True, kw_only=True)
class ShownRecord:
    """What one reader was shown of one paper *before* a given digest (see ``ShownRow``):
    a re-run of a digest reads the ledger as it was before that digest's first delivery."""

    arxiv_id: str
    announced_new: bool
    seen_at: datetime | None = None
    seen_digest: str | None = None
    seen_upvotes: int | None = None
