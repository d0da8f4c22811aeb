"""The schema comes from migrations, and the migrations agree with the models."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from paperpulse.storage import create_engine, current_revision, downgrade, head_revision, upgrade
from paperpulse.storage.schema import Base
from paperpulse.storage.search import is_search_object
from tests.storage.builders import TABLES


def _tables(engine: Engine) -> set[str]:
    """The modelled tables (SQLite's full-text index and its shadow tables left out)."""
    return {t for t in sa.inspect(engine).get_table_names() if not is_search_object(t, "table")}


def test_upgrade_creates_every_table_at_head(blank_url: str) -> None:
    engine = create_engine(blank_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert _tables(engine) == {*TABLES, "alembic_version"}
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op(blank_url: str) -> None:
    upgrade(blank_url)
    upgrade(blank_url)  # the app calls it at every start
    assert current_revision(blank_url) == head_revision()


def test_downgrade_to_base_and_back(blank_url: str) -> None:
    engine = create_engine(blank_url)
    try:
        upgrade(engine)
        downgrade(engine, "base")
        assert _tables(engine) == {"alembic_version"}
        assert current_revision(engine) is None
        upgrade(engine)
        assert _tables(engine) == {*TABLES, "alembic_version"}
    finally:
        engine.dispose()


def test_models_match_migrations(engine: Engine) -> None:
    """A model change without a migration (or the reverse) fails here."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _: not is_search_object(name, kind),
            },
        )
        assert compare_metadata(context, Base.metadata) == []


def test_indexes_for_the_daily_queries_exist(engine: Engine) -> None:
    inspector = sa.inspect(engine)

    def indexed(table: str) -> set[tuple[str, ...]]:
        keys = {tuple(ix["column_names"]) for ix in inspector.get_indexes(table)}
        keys |= {tuple(uq["column_names"]) for uq in inspector.get_unique_constraints(table)}
        return keys  # type: ignore[return-value]

    assert ("source", "period", "status") in indexed("runs")
    assert {("run_id", "arxiv_id"), ("arxiv_id", "observed_at"), ("source", "period")} <= indexed(
        "sightings"
    )
    assert ("digest_key", "channel", "recipient") in indexed("deliveries")
    assert sa.inspect(engine).get_pk_constraint("shown")["constrained_columns"] == [
        "recipient",
        "arxiv_id",
    ]


def test_processes_starting_at_once_migrate_once(blank_url: str) -> None:
    """Every app start calls upgrade(); simultaneous starts must not trip over each other."""
    starters = 3
    barrier = threading.Barrier(starters)
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait(timeout=10)
            upgrade(blank_url)  # each with its own engine, as separate processes would
        except BaseException as exc:  # re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    assert current_revision(blank_url) == head_revision()


def test_0003_merges_author_spellings_and_keeps_each_bylines_name(blank_url: str) -> None:
    """Before 0003, "Dong, Hanze" and "Hanze Dong" were two authors; after it, one, and each
    paper still shows the spelling it printed."""
    engine = create_engine(blank_url)
    try:
        upgrade(engine, "0002")
        with engine.begin() as conn:
            for arxiv_id in ("2401.00001", "2401.00002"):
                conn.execute(
                    sa.text(
                        "INSERT INTO papers (arxiv_id, title, first_seen_at) VALUES (:id, 't', :t)"
                    ),
                    {"id": arxiv_id, "t": datetime(2024, 1, 1, tzinfo=UTC)},
                )
            conn.execute(
                sa.text(
                    "INSERT INTO authors (id, key, name) VALUES "
                    "(1, 'hanze dong', 'Hanze Dong'), (2, 'dong, hanze', 'Dong, Hanze')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO paper_authors (arxiv_id, position, author_id) VALUES "
                    "('2401.00001', 0, 1), ('2401.00002', 0, 2)"
                )
            )
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id, key FROM authors")).all() == [(1, "hanze dong")]
            bylines = conn.execute(
                sa.text(
                    "SELECT pa.arxiv_id, pa.author_id, COALESCE(pa.name, a.name) "
                    "FROM paper_authors pa JOIN authors a ON a.id = pa.author_id ORDER BY 1"
                )
            ).all()
        assert bylines == [("2401.00001", 1, "Hanze Dong"), ("2401.00002", 1, "Dong, Hanze")]
    finally:
        engine.dispose()


def test_the_head_read_from_the_files_is_alembics() -> None:
    from paperpulse.storage.migrate import scanned_head

    assert scanned_head() == head_revision()


def test_a_current_database_is_checked_without_alembic(blank_url: str) -> None:
    """A daily run's start-up: one query, no Alembic import (a third of a one-off run)."""
    import subprocess
    import sys

    upgrade(blank_url)
    code = (
        "import sys\n"
        "from paperpulse.storage import upgrade\n"
        f"upgrade({blank_url!r})\n"
        "print('alembic' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "False"


def test_an_older_database_is_still_migrated(blank_url: str) -> None:
    upgrade(blank_url, "0002")
    upgrade(blank_url)
    assert current_revision(blank_url) == head_revision()
