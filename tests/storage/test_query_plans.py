"""The queries paperpulse really runs search indexes; none scans a table, so history size does
not matter.

Each test captures every statement sent to the database (a ``before_cursor_execute`` listener)
while paperpulse does real work, then asks SQLite's EXPLAIN QUERY PLAN about each one
(deterministic without ANALYZE statistics). PostgreSQL's planner rightly scans tables this
small, so its plans say nothing here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from paperpulse.app.deliver import deliver
from paperpulse.config.file import (
    AuthorConfig,
    Config,
    EmailConfig,
    RecipientConfig,
    TopicConfig,
)
from paperpulse.config.settings import Settings
from paperpulse.core.kinds import DeliveryStatus
from paperpulse.core.models import Author
from paperpulse.digest.calendar import period_for
from paperpulse.storage import Repository
from tests.contexts import context, repository
from tests.storage.builders import T0, make_listing, make_paper, save, save_a_digest_day

Statement = tuple[str, Any]
DAY = date(2026, 8, 3)  # the builders' list date
H = timedelta(hours=1)


@contextmanager
def captured(engine: Engine) -> Iterator[list[Statement]]:
    """Every SELECT, UPDATE and DELETE sent through ``engine`` while the block runs."""
    seen: list[Statement] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            # executemany passes a list of parameter sets: one is enough for a plan.
            one = params[0] if isinstance(params, list) and params else params
            seen.append((statement, one))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def assert_no_scans(engine: Engine, statements: list[Statement]) -> None:
    raw = engine.raw_connection()
    try:
        for statement, params in statements:
            plan = raw.cursor().execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
            details = [row[3] for row in plan]
            # Walking the ids passed as one JSON parameter (``bulk.among``) is no table scan.
            scans = [d for d in details if d.startswith("SCAN") and "VIRTUAL TABLE" not in d]
            assert not scans, (statement, details)
    finally:
        raw.close()


def test_every_query_of_a_digest_and_its_delivery_uses_an_index(tmp_path: Path) -> None:
    """A daily digest built and delivered (archive commit, feeds, an email to the outbox)."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        archive_dir=tmp_path / "archive",
        outbox_dir=tmp_path / "outbox",
    )
    config = Config(
        topics=(TopicConfig(name="Agents", include=("paper",), hf_queries=("agents",)),),
        authors=(AuthorConfig(name="Ada Lovelace"),),
        email=EmailConfig(recipients=(RecipientConfig(address="reader@example.org"),)),
    )
    repo = repository(settings.database_url)
    papers = save_a_digest_day(repo)
    save(repo, make_listing(papers, upvotes=40), T0 + 6 * H)  # upvotes grew: rising

    with captured(repo.engine) as statements:
        outcomes = deliver(context(settings, config), period_for("daily", DAY))

    assert [(o.channel, o.status) for o in outcomes] == [
        ("archive", DeliveryStatus.SENT),
        ("outbox", DeliveryStatus.SENT),
    ]
    assert "2608.00001" in (tmp_path / "archive" / "2026" / "08" / "2026-08-03.md").read_text()
    tables = " ".join(s for s, _ in statements)
    for table in ("runs", "sightings", "papers", "paper_authors", "deliveries", "shown"):
        assert f"FROM {table}" in tables, table  # the digest's reads were all captured
    assert_no_scans(repo.engine, statements)


def test_every_query_of_saving_runs_and_claiming_deliveries_uses_an_index(
    repo: Repository, engine: Engine, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("query plans are checked on SQLite")
    ids = ["2608.00001", "2608.00002"]
    with captured(engine) as statements:
        save(repo, make_listing([make_paper(i) for i in ids]))
        byline = (Author(name="Grace Hopper"),)
        save(
            repo,
            make_listing([make_paper(ids[0], authors=byline), make_paper(ids[1])]),
            T0 + timedelta(1),
        )
        repo.latest_complete_run("hf-daily", "2026-08-03")
        repo.complete_periods("hf-daily", "2026-08-01", "2026-08-31")
        repo.claim_delivery("daily/2026-08-03", "email", "a@x", claimed_at=T0)
        repo.claim_delivery("daily/2026-08-03", "email", "a@x", claimed_at=T0)
        repo.record_delivery("daily/2026-08-03", "email", "a@x", status=DeliveryStatus.SENT, at=T0)
    assert len(statements) > 10
    assert_no_scans(engine, statements)
