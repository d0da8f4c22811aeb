"""Databases for the storage benchmarks: a SQLite file or a PostgreSQL database of our own.

The PostgreSQL server is shared with other test runs, so a benchmark never touches an existing
database: it creates ``paperpulse_bench_<purpose>_<pid>`` beside the one in the URL it is given,
and drops it when done. Resetting between rounds is a TRUNCATE (PostgreSQL) or a copy of a
freshly migrated file (SQLite): each round starts from an empty, migrated database.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bench.harness import BenchmarkError
from paperpulse.storage import create_engine, upgrade
from paperpulse.storage.schema import Base

POSTGRES_ENVS = ("PAPERPULSE_BENCH_POSTGRES_URL", "PAPERPULSE_TEST_POSTGRES_URL")


def postgres_url_from_env() -> str | None:
    """The server to benchmark PostgreSQL on, if one is configured."""
    for name in POSTGRES_ENVS:
        if value := os.environ.get(name, "").strip():
            return value
    return None


@dataclass
class BenchDatabase:
    """One database a benchmark owns: ``engine`` stays valid across ``reset`` calls."""

    label: str  # "SQLite" | "PostgreSQL"
    url: str
    engine: Engine
    _template: Path | None = None  # SQLite: a migrated, empty file to copy from
    _admin: Engine | None = None  # PostgreSQL: a connection to the server, to drop ours
    _name: str | None = None
    _tables: tuple[str, ...] = field(default=())
    _plain: Engine | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def plain_engine(self) -> Engine:
        """For baselines: on PostgreSQL an engine with the driver's defaults (psycopg
        prepares repeated statements, which paperpulse turns off); on SQLite ours, whose
        pragmas (WAL, synchronous=NORMAL) set what a commit costs."""
        if self._admin is None:
            return self.engine
        if self._plain is None:
            self._plain = sa.create_engine(self.url)
        return self._plain

    def reset(self) -> None:
        """Empty every table (and restart ids), keeping the schema."""
        if self._template is not None:
            path = Path(self.engine.url.database or "")
            self.engine.dispose()  # no pooled connection may outlive the file it points to
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self._template, path)
            return
        if self._plain is not None:
            self._plain.dispose()  # its prepared statements belong to the tables' old state
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {', '.join(self._tables)} RESTART IDENTITY CASCADE")

    def analyze(self) -> None:
        """Planner statistics (PostgreSQL), as autovacuum gathers them on a normal server."""
        if self._admin is None:
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")

    def close(self) -> None:
        self.engine.dispose()
        if self._plain is not None:
            self._plain.dispose()
        if self._admin is not None and self._name is not None:
            with self._admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')
            self._admin.dispose()


def sqlite_database(folder: Path, name: str) -> BenchDatabase:
    """A SQLite file in ``folder`` (WAL, as paperpulse configures it), migrated and empty."""
    folder.mkdir(parents=True, exist_ok=True)
    template = folder / f"{name}.template.db"
    template.unlink(missing_ok=True)
    maker = create_engine(f"sqlite:///{template}")
    upgrade(maker)
    with maker.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    maker.dispose()
    url = f"sqlite:///{folder / f'{name}.db'}"
    database = BenchDatabase(label="SQLite", url=url, engine=create_engine(url), _template=template)
    database.reset()
    return database


def postgres_database(server_url: str, purpose: str) -> BenchDatabase:
    """A new database on the server of ``server_url``, migrated; dropped by ``close``."""
    name = f"paperpulse_bench_{purpose}_{os.getpid()}"
    admin = create_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.SQLAlchemyError as exc:
        admin.dispose()
        raise BenchmarkError(f"cannot create a PostgreSQL database at {server_url}: {exc}") from exc
    url = sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    upgrade(engine)
    tables = tuple(table.name for table in Base.metadata.sorted_tables)
    return BenchDatabase(
        label="PostgreSQL", url=url, engine=engine, _admin=admin, _name=name, _tables=tables
    )
