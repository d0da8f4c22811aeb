"""What every part of the ``Repository`` shares: the engines, one transaction per public
method, and errors a user can act on.

Each domain (``runs``, ``papers``, ``ledger``, ``foryou_store``) is a mixin on this base;
``repository.Repository`` joins them into the one door callers use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from paperpulse.core.errors import StorageError
from paperpulse.storage.db import storage_error, write_engine


class RepositoryBase:
    """One SQLAlchemy engine (and its writing twin); reads and writes each in a transaction."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise StorageError(
                f"unsupported database {engine.dialect.name!r}: use SQLite or PostgreSQL"
            )
        self._engine = engine
        self._writer = write_engine(engine)

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        """Close the engine's pooled connections (the repository is done with)."""
        self._engine.dispose()

    @contextmanager
    def _failing_as(self, action: str) -> Iterator[None]:
        """Database errors inside become one ``StorageError`` naming ``action``."""
        try:
            yield
        except SQLAlchemyError as exc:
            raise storage_error(exc, action=action, url=self._engine.url) from exc

    @contextmanager
    def _write(self, action: str) -> Iterator[Connection]:
        with self._failing_as(action), self._writer.begin() as conn:
            yield conn

    @contextmanager
    def _connect(self, action: str) -> Iterator[Connection]:
        """A plain connection (Core reads)."""
        with self._failing_as(action), self._engine.connect() as conn:
            yield conn

    @contextmanager
    def _read(self, action: str) -> Iterator[Session]:
        with self._failing_as(action), Session(self._engine) as session:
            yield session


def aware(value: datetime, name: str) -> datetime:
    """``value`` if it carries a UTC offset; the database stores instants, never local times."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value
