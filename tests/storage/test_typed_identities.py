"""Typed digest keys and recipients (``core.keys``) are stored as the very text the ledgers
held before them, so a typed caller and a caller passing that text see the same rows."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from paperpulse.core.keys import ARCHIVE, DigestKey, Recipient
from paperpulse.core.kinds import DeliveryStatus
from paperpulse.storage import Repository
from tests.storage.builders import T0

DAY = DigestKey.daily(date(2026, 8, 3))
NEXT = DigestKey.daily(date(2026, 8, 4))
LAB = Recipient.chat("lab-slack")
ADA = Recipient.reader("ada@example.org")


def _rows(engine: Engine, query: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(query))]


def test_deliveries_store_the_key_text_and_the_name_beside_the_channel(
    repo: Repository, engine: Engine
) -> None:
    assert repo.claim_delivery(DAY, "chat", LAB, claimed_at=T0)
    assert not repo.claim_delivery("daily/2026-08-03", "chat", "lab-slack", claimed_at=T0)
    sent = repo.record_delivery(DAY, "chat", LAB, status=DeliveryStatus.SENT, at=T0)
    repo.record_delivery(DAY, "archive", ARCHIVE, status=DeliveryStatus.SENT, at=T0)
    repo.record_delivery(DAY, "email", ADA, status=DeliveryStatus.SENT, at=T0)
    assert _rows(engine, "SELECT digest_key, channel, recipient FROM deliveries ORDER BY id") == [
        ("daily/2026-08-03", "chat", "lab-slack"),
        ("daily/2026-08-03", "archive", "archive"),
        ("daily/2026-08-03", "email", "ada@example.org"),
    ]
    assert (sent.digest_key, sent.recipient, sent.key, sent.to) == (
        "daily/2026-08-03", "lab-slack", DAY, LAB
    )  # fmt: skip
    assert repo.sent_digests("archive", ARCHIVE) == repo.sent_digests("archive", "archive")
    assert repo.sent_digests("archive", ARCHIVE) == ["daily/2026-08-03"]
    assert [r.to for r in repo.delivered(ADA, prefix=DAY)] == [ADA]
    assert repo.delivered(ADA, prefix="daily/") == repo.delivered("ada@example.org", DAY)
    assert repo.delivered(ADA, prefix=NEXT) == []


def test_the_readers_ledger_stores_a_chat_channel_as_chat_and_its_name(
    repo: Repository, engine: Engine
) -> None:
    repo.record_shown(LAB, DAY, [("2608.00001", 10, True)], T0)
    repo.record_shown(ARCHIVE, DAY, [("2608.00001", 10, True)], T0)
    assert _rows(engine, "SELECT recipient, new_digest, seen_digest FROM shown ORDER BY 1") == [
        ("archive", "daily/2026-08-03", "daily/2026-08-03"),
        ("chat:lab-slack", "daily/2026-08-03", "daily/2026-08-03"),
    ]
    typed = repo.shown(LAB, ["2608.00001"], before=NEXT)
    assert typed == repo.shown("chat:lab-slack", ["2608.00001"], before="daily/2026-08-04")
    assert typed["2608.00001"].seen_digest == "daily/2026-08-03"
    assert repo.shown(Recipient.reader("lab-slack"), ["2608.00001"], before=NEXT) == {}
    assert repo.last_digest_moment(LAB, before=NEXT) == T0
    assert repo.announced_since(ARCHIVE, T0 - timedelta(days=1)) == {"2608.00001": T0}

    repo.record_feedback(ADA, {"2608.00001": "like"}, origin="cli", at=T0)
    assert _rows(engine, "SELECT reader, arxiv_id FROM feedback") == [
        ("ada@example.org", "2608.00001")
    ]
    assert repo.feedback(ADA) == repo.feedback("ada@example.org") == {"2608.00001": "like"}
