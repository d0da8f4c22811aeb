"""Typed identities format to exactly the strings the ledgers have always stored, and back."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperpulse.core.keys import ARCHIVE, DigestKey, Recipient, RecipientKind, delivery_text
from paperpulse.core.kinds import Channel, Edition


def test_digest_keys_read_and_write_the_stored_text() -> None:
    assert str(DigestKey.daily(date(2024, 8, 1))) == "daily/2024-08-01"
    assert str(DigestKey.weekly(date(2024, 8, 1))) == "weekly/2024-W31"
    # ISO weeks: 2024-12-30 is in week 1 of 2025, 2021-01-03 in week 53 of 2020.
    assert str(DigestKey.weekly(date(2024, 12, 30))) == "weekly/2025-W01"
    assert str(DigestKey.weekly(date(2021, 1, 3))) == "weekly/2020-W53"
    key = DigestKey.parse("weekly/2024-W31")
    assert (key.edition, key.period, key.day) == (Edition.WEEKLY, "2024-W31", None)
    assert DigestKey.parse("daily/2024-08-01").day == date(2024, 8, 1)


@pytest.mark.parametrize(
    "text",
    ["", "daily", "daily/", "daily/2024-13-01", "monthly/2024-08", "weekly/2024-31",
     "weekly/2024-W54", "weekly/2021-W53", "2024-08-01", "daily/2024-08-01/x"],
)  # fmt: skip
def test_anything_else_is_not_a_digest_key(text: str) -> None:
    with pytest.raises(ValueError, match=r"^not an? (digest key|list date|ISO week)"):
        DigestKey.parse(text)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9998, 12, 1)))
def test_keys_round_trip_and_sort_as_their_text(day: date) -> None:
    keys = [DigestKey.daily(day), DigestKey.weekly(day)]
    for key in keys:
        assert DigestKey.parse(str(key)) == key
    later = [DigestKey.daily(date.fromordinal(day.toordinal() + 1)), DigestKey.weekly(day)]
    everything = keys + later
    assert [str(k) for k in sorted(everything)] == sorted(str(k) for k in everything)


def test_recipients_keep_the_two_ledgers_forms() -> None:
    ada, lab = Recipient.reader("ada@example.org"), Recipient.chat("lab-slack")
    # The reader's ledger (shown, feedback): one text per identity.
    assert [str(r) for r in (ada, lab, ARCHIVE)] == ["ada@example.org", "chat:lab-slack", "archive"]
    for r in (ada, lab, ARCHIVE):
        assert Recipient.parse(str(r)) == r
    # The deliveries ledger: the name beside its channel.
    assert [delivery_text(r) for r in (ada, lab, ARCHIVE)] == [
        "ada@example.org", "lab-slack", "archive"
    ]  # fmt: skip
    assert Recipient.delivered_to(Channel.CHAT, "lab-slack") == lab
    assert Recipient.delivered_to("chat", "lab-slack") == lab
    assert Recipient.delivered_to("archive", "archive") == ARCHIVE
    assert Recipient.delivered_to("email", "ada@example.org") == ada
    assert Recipient.delivered_to("outbox", "ada@example.org") == ada
    assert delivery_text("as stored") == "as stored"


def test_a_recipient_needs_a_name_and_there_is_one_archive() -> None:
    with pytest.raises(ValueError, match="needs a name"):
        Recipient.chat("")
    with pytest.raises(ValueError, match="the archive is named"):
        Recipient(RecipientKind.ARCHIVE, "other")
