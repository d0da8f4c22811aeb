"""Deliveries are never sent twice; the reader's ledger remembers what each reader was shown."""

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
DAY = timedelta(days=1)


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


def test_the_readers_ledger_keeps_the_first_new_and_the_latest_showing(repo: Repository) -> None:
    ada, ids = "ada@example.org", ["2608.00001", "2608.00002"]
    repo.record_shown(ada, "daily/2026-08-03", [(ids[0], 10, True), (ids[1], 4, True)], T0)
    repo.record_shown(ada, "daily/2026-08-04", [(ids[0], 25, False)], T0 + DAY)
    repo.record_shown("alan@example.org", "daily/2026-08-04", [(ids[1], 4, True)], T0 + DAY)

    later = repo.shown(ada, [*ids, "2608.00003"], before="daily/2026-08-05")
    assert set(later) == set(ids)  # never shown: absent
    assert later[ids[0]].announced_new and later[ids[0]].seen_upvotes == 25
    assert later[ids[0]].seen_digest == "daily/2026-08-04"
    # Read for the digest that announced them, they are not "announced before" (a re-run).
    again = repo.shown(ada, ids, before="daily/2026-08-03")
    assert ids[1] not in again  # as if never shown
    # Read for the latest digest, the baseline is the showing before it.
    rerun = repo.shown(ada, ids, before="daily/2026-08-04")
    assert rerun[ids[0]].seen_upvotes == 10 and rerun[ids[0]].announced_new
    assert repo.last_digest_moment(ada, before="daily/2026-08-05") == T0 + DAY
    assert repo.last_digest_moment(ada, before="daily/2026-08-04") == T0


def test_a_rebuilt_older_digest_does_not_move_the_readers_last_showing_back(
    repo: Repository,
) -> None:
    ada = "ada@example.org"
    repo.record_shown(ada, "daily/2026-08-04", [("2608.00001", 25, True)], T0 + DAY)
    repo.record_shown(ada, "daily/2026-08-03", [("2608.00001", 10, True)], T0)
    record = repo.shown(ada, ["2608.00001"], before="daily/2026-08-05")["2608.00001"]
    assert (record.seen_upvotes, record.seen_digest) == (25, "daily/2026-08-04")
