"""Which sources count as failing run after run: grouping ledger rows into runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from paperpulse.core.models import RunRecord
from paperpulse.digest.dead_sources import failing_sources

T0 = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)


def row(
    n: int,
    day: int,
    status: str,
    *,
    source: str = "arxiv-listing",
    owner: str = "h:1",
    minute: int = 0,
) -> RunRecord:
    at = T0 + timedelta(days=day, minutes=minute)
    return RunRecord(
        id=n,
        source=source,
        period=f"p{n}",
        status=status,
        started_at=at,
        finished_at=at,
        owner=owner,
        error=f"HTTP 503 #{n}" if status == "failed" else None,
    )


def test_several_dates_fetched_by_one_run_count_once() -> None:
    rows = [
        row(i * 3 + k, i, "failed", owner=f"h:{i}", minute=k) for i in range(2) for k in range(3)
    ]
    assert failing_sources(rows, 3) == ()
    assert failing_sources(rows, 2)[0].runs == 2


def test_a_run_where_one_date_answered_breaks_the_streak() -> None:
    rows = [
        row(1, 0, "failed"),
        row(2, 1, "failed"),
        row(3, 2, "failed", owner="h:3"),
        row(4, 2, "complete", owner="h:3", minute=1),
        row(5, 3, "failed"),
        row(6, 4, "failed"),
    ]
    assert failing_sources(rows, 3) == ()


def test_a_dead_source_is_named_with_its_streak_last_answer_and_error() -> None:
    rows = [row(1, 0, "complete", source="hf-daily"), row(2, 0, "complete", minute=5)]
    rows += [row(n, n, "failed") for n in range(3, 8)]  # one process a day apart (serve)
    rows.append(row(8, 9, "running"))  # in flight: no outcome yet
    (dead,) = failing_sources(rows, 3)
    assert (dead.source, dead.runs, dead.since) == ("arxiv-listing", 5, T0 + timedelta(days=3))
    assert dead.last_success == T0 + timedelta(minutes=5) and dead.error == "HTTP 503 #7"
    notice = dead.notice()
    assert notice.startswith("arxiv-listing has failed 5 runs in a row (since 2026-01-04 06:00")
    assert "last answer 2026-01-01" in notice and notice.endswith("last error: HTTP 503 #7")


def test_a_source_that_recovered_is_not_called_out() -> None:
    rows = [row(n, n, "failed") for n in range(1, 6)] + [row(6, 6, "empty")]
    assert failing_sources(rows, 3) == ()
