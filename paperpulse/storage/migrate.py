"""Bring a database to the current schema; the app calls :func:`upgrade` at start.

Alembic is configured in code (no alembic.ini to find), and every command runs in one
transaction on a connection we own: PostgreSQL and SQLite both have transactional DDL, so a
failed migration leaves the database as it was. Two processes starting at once are serialized
(an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so the second one finds the
schema current and does nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from paperpulse.core.errors import StorageError
from paperpulse.storage.db import create_engine, storage_error, write_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
# Any constant works; it only has to be the same in every paperpulse process.
_PG_MIGRATION_LOCK = 0x70617065  # "pape"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations, optionally bound to ``connection``."""
    from alembic.config import Config  # Alembic is imported only when a migration runs

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration's revision id."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise StorageError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def upgrade(engine_or_url: Engine | str | URL | None = None, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest). Safe to call every start:
    a database already at the newest revision is seen with one query, without Alembic (whose
    import and script loading were a third of a one-off daily run's start-up)."""
    if revision == "head" and _is_current(engine_or_url):
        return
    from alembic import command
    from alembic.util.exc import CommandError

    with _migration_connection(engine_or_url, "upgrading the database schema") as conn:
        try:
            command.upgrade(alembic_config(conn), revision)
        except CommandError as exc:
            if "Can't locate revision" not in str(exc):
                raise StorageError(f"upgrading the database schema failed: {exc}") from None
            raise StorageError(
                f"the database {conn.engine.url.render_as_string(hide_password=True)} is at "
                f"a schema revision this paperpulse does not know ({exc}): a newer paperpulse "
                "wrote it; upgrade paperpulse, or point PAPERPULSE_DATABASE_URL at another "
                "database"
            ) from None


def downgrade(engine_or_url: Engine | str | URL | None, revision: str) -> None:
    """Migrate down to ``revision`` (``"base"`` drops every table). For operators and tests."""
    from alembic import command

    with _migration_connection(engine_or_url, f"downgrading the schema to {revision}") as conn:
        command.downgrade(alembic_config(conn), revision)


def current_revision(engine_or_url: Engine | str | URL | None = None) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    from alembic.runtime.migration import MigrationContext

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


_ASSIGNMENT = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+?)\s*$", re.MULTILINE)


@cache
def scanned_head() -> str | None:
    """The newest revision read from the migration files' text (no Alembic import); None when
    the chain is not a plain line (a merge, an unusual file): then Alembic decides."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        fields = dict(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
        if "revision" not in fields:  # __init__.py, helpers
            continue
        revision, parent = fields["revision"], fields.get("down_revision", "")
        if not re.fullmatch(r'"[\w-]+"', revision) or not re.fullmatch(r'"[\w-]+"|None', parent):
            return None
        revisions.add(revision.strip('"'))
        parents.add(parent.strip('"'))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _is_current(engine_or_url: Engine | str | URL | None) -> bool:
    """Whether the database records exactly the newest revision (any doubt: False)."""
    head = scanned_head()
    if head is None:
        return False
    engine, owned = _engine(engine_or_url)
    try:
        with engine.connect() as conn:
            found = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    except sa.exc.SQLAlchemyError:  # no version table yet, or unreachable: the full path says
        return False
    finally:
        if owned:
            engine.dispose()
    return [row[0] for row in found] == [head]
