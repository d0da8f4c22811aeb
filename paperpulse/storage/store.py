"""What every table module's store shares: one engine, a write transaction and a read
connection per call, SQLAlchemy errors turned into one-line ``StorageError``s."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from paperpulse.storage.db import storage_error, write_engine


class Store:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = write_engine(engine)  # SQLite: the write lock taken at BEGIN

    @contextmanager
    def _write(self, action: str) -> Iterator[Connection]:
        try:
            with self._writer.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise storage_error(exc, action=action, url=self._engine.url) from exc

    @contextmanager
    def _connect(self, action: str) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise storage_error(exc, action=action, url=self._engine.url) from exc
