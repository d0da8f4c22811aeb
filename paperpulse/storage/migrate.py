"""Bring a database to the current schema; the app calls :func:`upgrade` at start.

Alembic is configured in code (no alembic.ini to find), and every command runs in one
transaction on a connection we own: PostgreSQL and SQLite both have transactional DDL, so a
failed migration leaves the database as it was. Two processes starting at once are serialized
(an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so the second one finds the
schema current and does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection, Engine

from paperpulse.core.errors import StorageError
from paperpulse.storage.db import create_engine, storage_error, write_engine

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
# Any constant works; it only has to be the same in every paperpulse process.
_PG_MIGRATION_LOCK = 0x70617065  # "pape"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations, optionally bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration's revision id."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise StorageError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def upgrade(engine_or_url: Engine | str | URL | None = None, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest). Safe to call every start."""
    with _migration_connection(engine_or_url, "upgrading the database schema") as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine_or_url: Engine | str | URL | None, revision: str) -> None:
    """Migrate down to ``revision`` (``"base"`` drops every table). For operators and tests."""
    with _migration_connection(engine_or_url, f"downgrading the schema to {revision}") as conn:
        command.downgrade(alembic_config(conn), revision)


def current_revision(engine_or_url: Engine | str | URL | None = None) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    engine, owned = _engine(engine_or_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except sa.exc.SQLAlchemyError as exc:
        raise storage_error(exc, action="reading the schema revision", url=engine.url) from exc
    finally:
        if owned:
            engine.dispose()


@contextmanager
def _migration_connection(
    engine_or_url: Engine | str | URL | None, action: str
) -> Iterator[Connection]:
    engine, owned = _engine(engine_or_url)
    try:
        with write_engine(engine).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            yield conn
    except sa.exc.SQLAlchemyError as exc:
        raise storage_error(exc, action=action, url=engine.url) from exc
    finally:
        if owned:
            engine.dispose()


def _engine(engine_or_url: Engine | str | URL | None) -> tuple[Engine, bool]:
    if isinstance(engine_or_url, Engine):
        return engine_or_url, False
    return create_engine(engine_or_url), True
