"""A daily run's queries search indexes; none scans a table, so history size does not matter.

Checked with SQLite's EXPLAIN QUERY PLAN (deterministic without ANALYZE statistics).
PostgreSQL's planner rightly scans tables this small, so its plans say nothing here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from paperpulse.core.kinds import DeliveryStatus
from paperpulse.core.models import Author
from paperpulse.storage import Repository
from tests.storage.builders import T0, make_listing, make_paper, save


@pytest.fixture
def statements(engine: Engine, backend: str) -> Iterator[list[tuple[str, Any]]]:
    if backend != "sqlite":
        pytest.skip("query plans are checked on SQLite")
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    yield seen
    event.remove(engine, "before_cursor_execute", capture)


def test_every_daily_query_uses_an_index(
    repo: Repository, engine: Engine, statements: list[tuple[str, Any]]
) -> None:
    ids = ["2608.00001", "2608.00002"]
    save(repo, make_listing([make_paper(i) for i in ids]))
    byline = (Author(name="Grace Hopper"),)
    run_id, _ = save(
        repo,
        make_listing([make_paper(ids[0], authors=byline), make_paper(ids[1])]),
        T0 + timedelta(1),
    )
    repo.papers(ids)
    repo.sightings(ids, since=T0)
    repo.listing_items(run_id)
    repo.latest_complete_run("hf-daily", "2026-08-03")
    repo.complete_periods("hf-daily", "2026-08-01", "2026-08-31")
    repo.claim_delivery("daily/2026-08-03", "email", "a@x", claimed_at=T0)
    repo.claim_delivery("daily/2026-08-03", "email", "a@x", claimed_at=T0)
    repo.record_delivery("daily/2026-08-03", "email", "a@x", status=DeliveryStatus.SENT, at=T0)
    repo.sent_new("a@x", "daily", T0)

    assert len(statements) > 15
    raw = engine.raw_connection()
    try:
        for statement, params in statements:
            plan = raw.cursor().execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
            details = [row[3] for row in plan]
            assert not [d for d in details if d.startswith("SCAN")], (statement, details)
    finally:
        raw.close()
