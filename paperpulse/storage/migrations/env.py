"""Alembic environment: run by :func:`storage.migrate.upgrade`, never by hand.

The caller passes an open connection in ``config.attributes["connection"]`` (one transaction,
so a failed migration leaves nothing half-done). Without one (``alembic`` CLI with a config
naming ``script_location``), the URL comes from ``sqlalchemy.url``, else the default SQLite
file (the environment is read by ``config/settings.py`` only).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from paperpulse.core.database import DEFAULT_DATABASE_URL
from paperpulse.storage.db import create_engine
from paperpulse.storage.schema import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: later migrations rebuild tables in batch mode.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """``alembic upgrade --sql``: print the DDL for a DBA instead of running it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or DEFAULT_DATABASE_URL,
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or DEFAULT_DATABASE_URL)
    try:
        with engine.begin() as connection:
            _configure(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
