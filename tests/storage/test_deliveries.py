"""Deliveries are never sent twice; the sent ledger remembers what was announced as new."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from paperpulse.core.kinds import DeliveryStatus
from paperpulse.storage import Repository
from paperpulse.storage.convert import to_delivery
from paperpulse.storage.records import DeliveryRecord
from paperpulse.storage.schema import DeliveryRow
from tests.storage.builders import T0

KEY = ("daily/2026-08-03", "email", "ada@example.org")
MINUTE = timedelta(minutes=1)


def stored(repo: Repository) -> list[DeliveryRecord]:
    """Every delivery row as the repository would return it."""
    with Session(repo.engine) as session:
        return [to_delivery(row) for row in session.scalars(select(DeliveryRow))]


def test_first_claim_wins_until_the_delivery_fails(repo: Repository) -> None:
    assert stored(repo) == []
    assert repo.claim_delivery(*KEY, claimed_at=T0) is True
    assert repo.claim_delivery(*KEY, claimed_at=T0 + MINUTE) is False  # claimed

    failed = repo.record_delivery(
        *KEY, status=DeliveryStatus.FAILED, at=T0 + MINUTE, error="SMTP 451"
    )
    assert (failed.status, failed.attempts, failed.error) == ("failed", 1, "SMTP 451")

    assert repo.claim_delivery(*KEY, claimed_at=T0 + 2 * MINUTE) is True  # retry
    sent = repo.record_delivery(
        *KEY, status=DeliveryStatus.SENT, at=T0 + 3 * MINUTE, message_id="<m@x>"
    )
    assert (sent.status, sent.attempts, sent.error) == ("sent", 2, None)
    assert sent.sent_at == T0 + 3 * MINUTE
    assert repo.claim_delivery(*KEY, claimed_at=T0 + 4 * MINUTE) is False  # sent
    assert stored(repo) == [sent]


def test_a_sent_delivery_never_changes_again(repo: Repository) -> None:
    sent = repo.record_delivery(*KEY, status=DeliveryStatus.SENT, at=T0, message_id="<a@x>")
    again = repo.record_delivery(
        *KEY, status=DeliveryStatus.SENT, at=T0 + MINUTE, message_id="<b@x>"
    )
    late_failure = repo.record_delivery(
        *KEY, status=DeliveryStatus.FAILED, at=T0 + MINUTE, error="boom"
    )
    assert sent == again == late_failure
    assert sent.attempts == 1


def test_recording_without_a_claim_counts_each_attempt(repo: Repository) -> None:
    repo.record_delivery(*KEY, status=DeliveryStatus.FAILED, at=T0, error="timeout")
    repo.record_delivery(*KEY, status=DeliveryStatus.FAILED, at=T0 + MINUTE, error="timeout again")
    record = repo.record_delivery(*KEY, status=DeliveryStatus.SENT, at=T0 + 2 * MINUTE)
    assert (record.status, record.attempts) == ("sent", 3)


def test_other_recipients_and_channels_are_separate(repo: Repository) -> None:
    assert repo.claim_delivery(*KEY, claimed_at=T0)
    assert repo.claim_delivery(KEY[0], "feed", KEY[2], claimed_at=T0)
    assert repo.claim_delivery(KEY[0], KEY[1], "alan@example.org", claimed_at=T0)
    assert repo.claim_delivery("daily/2026-08-04", KEY[1], KEY[2], claimed_at=T0)


def test_a_stale_claim_can_be_taken_over_only_when_asked(repo: Repository) -> None:
    assert repo.claim_delivery(*KEY, claimed_at=T0)
    later = T0 + 30 * MINUTE
    assert not repo.claim_delivery(*KEY, claimed_at=later)
    assert not repo.claim_delivery(*KEY, claimed_at=later, reclaim_after=timedelta(hours=1))
    assert repo.claim_delivery(*KEY, claimed_at=later, reclaim_after=timedelta(minutes=10))
    [record] = stored(repo)
    assert (record.attempts, record.claimed_at) == (2, later)


def test_invalid_outcome_is_refused(repo: Repository) -> None:
    with pytest.raises(ValueError, match="'sent' or 'failed'"):
        repo.record_delivery(*KEY, status=DeliveryStatus.SENDING, at=T0)


def race_to_claim(repo: Repository, key: tuple[str, str, str], contenders: int) -> list[bool]:
    """``contenders`` threads (each with its own pooled connection) claim ``key`` at once."""
    barrier = threading.Barrier(contenders)
    wins: list[bool] = []
    errors: list[BaseException] = []

    def contend() -> None:
        try:
            barrier.wait(timeout=10)
            wins.append(repo.claim_delivery(*key, claimed_at=T0 + MINUTE))
        except BaseException as exc:  # re-raised below: a thread must not hide it
            errors.append(exc)

    threads = [threading.Thread(target=contend) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if errors:
        raise errors[0]
    return wins


@pytest.mark.parametrize("contenders", [2, 4])
def test_concurrent_claims_have_exactly_one_winner(repo: Repository, contenders: int) -> None:
    for round_ in range(10):
        key = (f"daily/race-{round_}", "email", "ada@example.org")
        if round_ % 2:  # odd rounds race on an existing failed row (the UPDATE path)
            repo.record_delivery(*key, status=DeliveryStatus.FAILED, at=T0, error="earlier failure")
        wins = race_to_claim(repo, key, contenders)
        assert sorted(wins) == [False] * (contenders - 1) + [True], f"round {round_}"


def test_sent_ledger_keeps_the_first_announcement(repo: Repository) -> None:
    repo.mark_sent_new("ada@example.org", "daily", ["2608.00001", "2608.00002"], T0)
    repo.mark_sent_new("ada@example.org", "daily", ["2608.00002", "2608.00003"], T0 + MINUTE)
    repo.mark_sent_new("ada@example.org", "weekly", ["2608.00004"], T0)
    repo.mark_sent_new("alan@example.org", "daily", ["2608.00005"], T0)
    repo.mark_sent_new("ada@example.org", "daily", [], T0)

    assert repo.sent_new("ada@example.org", "daily", T0) == {
        "2608.00001": T0,
        "2608.00002": T0,
        "2608.00003": T0 + MINUTE,
    }
    assert repo.sent_new("ada@example.org", "daily", T0 + MINUTE) == {"2608.00003": T0 + MINUTE}
