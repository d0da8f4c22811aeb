"""Typed identities the ledgers store as text: which digest ("daily/2024-08-01",
"weekly/2024-W31") and who it went to (a reader, a chat channel, the archive).

Each value formats to exactly the string stored before these types existed (no migration)
and parses back from it: this module is the one place those strings are made and read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from paperpulse.core.kinds import Channel, Edition

_ISO_WEEK = re.compile(r"(\d{4})-W(\d{2})")


@dataclass(frozen=True, slots=True, order=True)
class DigestKey:
    """One digest: its edition and period. Ordered as its text sorts (edition, then period)."""

    edition: Edition
    period: str  # daily: the list date ("2024-08-01"; a catch-up: its last day); weekly: "2024-W31"

    def __post_init__(self) -> None:
        if self.edition == Edition.DAILY:
            try:
                date.fromisoformat(self.period)
            except ValueError:
                raise ValueError(f"not a list date like 2024-08-01: {self.period!r}") from None
        elif not _valid_week(self.period):
            raise ValueError(f"not an ISO week like 2024-W31: {self.period!r}")

    @classmethod
    def daily(cls, day: date) -> DigestKey:
        return cls(Edition.DAILY, day.isoformat())

    @classmethod
    def weekly(cls, day: date) -> DigestKey:
        """The weekly digest of the ISO week holding ``day``."""
        return cls(Edition.WEEKLY, iso_week(day))

    @classmethod
    def parse(cls, text: str) -> DigestKey:
        """The key stored as ``text``; ValueError for anything else."""
        edition, slash, period = text.partition("/")
        if not slash or edition not in {e.value for e in Edition}:
            raise ValueError(f"not a digest key like daily/2024-08-01 or weekly/2024-W31: {text!r}")
        return cls(Edition(edition), period)

    @property
    def day(self) -> date | None:
        """A daily digest's list date (None for a weekly one)."""
        return date.fromisoformat(self.period) if self.edition == Edition.DAILY else None

    def __str__(self) -> str:
        return f"{self.edition}/{self.period}"


def iso_week(day: date) -> str:
    """ISO week of a day, e.g. ``2024-W31``; around New Year the ISO year may differ."""
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _valid_week(text: str) -> bool:
    match = _ISO_WEEK.fullmatch(text)
    if match is None:
        return False
    try:
        date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return False
    return True


class RecipientKind(StrEnum):
    READER = "reader"  # a person, by email address
    CHAT = "chat"  # a chat or push channel, by its configured name
    ARCHIVE = "archive"  # the public archive and its feeds


_CHAT_PREFIX = "chat:"


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a digest goes to: an identity in the deliveries ledger and the reader's ledger.

    The two ledgers store it differently (kept as they always were): the deliveries ledger
    pairs ``name`` with the channel ("chat", "lab-slack"); the reader's ledger (what was
    shown, feedback) has no channel column, so a chat channel is ``str(recipient)``,
    "chat:lab-slack".
    """

    kind: RecipientKind
    name: str  # the email address, the channel's name, or "archive"

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError(f"a {self.kind} recipient needs a name")
        if self.kind == RecipientKind.ARCHIVE and self.name != RecipientKind.ARCHIVE:
            raise ValueError(f"the archive is named {RecipientKind.ARCHIVE!r}, not {self.name!r}")

    @classmethod
    def reader(cls, address: str) -> Recipient:
        return cls(RecipientKind.READER, address)

    @classmethod
    def chat(cls, name: str) -> Recipient:
        return cls(RecipientKind.CHAT, name)

    @classmethod
    def parse(cls, text: str) -> Recipient:
        """An identity of the reader's ledger from its stored text (``str`` reverses it)."""
        if text == RecipientKind.ARCHIVE:
            return ARCHIVE
        if text.startswith(_CHAT_PREFIX):
            return cls.chat(text.removeprefix(_CHAT_PREFIX))
        return cls.reader(text)

    @classmethod
    def delivered_to(cls, channel: str, name: str) -> Recipient:
        """An identity of the deliveries ledger from its stored channel and recipient."""
        if channel == Channel.CHAT:
            return cls.chat(name)
        if channel == Channel.ARCHIVE and name == RecipientKind.ARCHIVE:
            return ARCHIVE
        return cls.reader(name)

    def __str__(self) -> str:
        return _CHAT_PREFIX + self.name if self.kind == RecipientKind.CHAT else self.name


ARCHIVE = Recipient(RecipientKind.ARCHIVE, RecipientKind.ARCHIVE.value)


def ledger_text(recipient: Recipient | str) -> str:
    """What the reader's ledger stores for ``recipient`` (a ``str`` is that text already)."""
    return str(recipient)


def delivery_text(recipient: Recipient | str) -> str:
    """What the deliveries ledger stores beside the channel (a ``str`` is that text already)."""
    return recipient.name if isinstance(recipient, Recipient) else recipient


def key_text(key: DigestKey | str) -> str:
    """What both ledgers store for a digest key (a ``str`` is that text already)."""
    return str(key)
