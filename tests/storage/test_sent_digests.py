"""The archive's list of digests comes from the deliveries ledger: sent ones only, in order."""

from __future__ import annotations

from paperpulse.storage import Repository
from tests.storage.builders import T0


def test_only_sent_digests_of_that_channel_and_recipient_in_key_order(repo: Repository) -> None:
    repo.record_delivery("daily/2026-08-04", "archive", "archive", status="sent", at=T0)
    repo.record_delivery("daily/2026-08-03", "archive", "archive", status="sent", at=T0)
    repo.record_delivery("weekly/2026-W31", "archive", "archive", status="sent", at=T0)
    repo.record_delivery("daily/2026-08-05", "archive", "archive", status="failed", at=T0)
    repo.claim_delivery("daily/2026-08-06", "archive", "archive", claimed_at=T0)  # sending
    repo.record_delivery("daily/2026-08-07", "email", "archive", status="sent", at=T0)
    repo.record_delivery("daily/2026-08-08", "archive", "ada@example.org", status="sent", at=T0)
    assert repo.sent_digests("archive", "archive") == [
        "daily/2026-08-03",
        "daily/2026-08-04",
        "weekly/2026-W31",
    ]
