"""Engines for SQLite (embedded default) and PostgreSQL, and errors a user can act on.

SQLite connections get WAL (readers never block the writer), ``foreign_keys=ON`` (off by
default in SQLite!), a ``busy_timeout`` (wait for a concurrent writer instead of failing), and
transactions that SQLAlchemy begins itself so a writer can ask for ``BEGIN IMMEDIATE``: taking
the write lock up front means a read-then-write transaction never dies with "database is
locked" halfway because another process wrote in between.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from paperpulse.core.database import DATABASE_URL_ENV, DEFAULT_DATABASE_URL
from paperpulse.core.errors import StorageError
from paperpulse.core.redaction import hide_url_credentials

URL_EXAMPLES = "sqlite:///./data/paperpulse.db or postgresql+psycopg://user:password@host/dbname"
INSTALL_PSYCOPG = "install psycopg: pip install 'paperpulse[postgres]'"

# Execution option read by the ``begin`` hook: "IMMEDIATE" for transactions that will write.
_SQLITE_BEGIN = "paperpulse_sqlite_begin"


def create_engine(
    url: str | URL | None = None,
    *,
    echo: bool = False,
    busy_timeout_ms: int = 30_000,
    connect_timeout_s: int = 10,
) -> Engine:
    """An engine for ``url``: the caller's settings say which (``Settings.database_url``);
    None is the default SQLite file.

    ``postgres://`` and ``postgresql://`` mean psycopg 3, the driver paperpulse ships with.
    Raises :class:`StorageError` for a malformed or unsupported URL, a missing driver, or a
    SQLite directory that cannot be created. Connecting is lazy: see :func:`check_connection`.
    """
    parsed = parse_database_url(DEFAULT_DATABASE_URL if url is None else url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, echo=echo, busy_timeout_ms=busy_timeout_ms)
        engine = sa.create_engine(
            parsed,
            echo=echo,
            pool_pre_ping=True,
            connect_args={
                "connect_timeout": connect_timeout_s,
                "application_name": "paperpulse",
                # No server-side prepared statements: after five runs of a statement psycopg
                # prepares it, and PostgreSQL may then keep one generic plan for all later
                # calls. Measured: saving 10,000 new papers took 11x as long that way
                # (docs/benchmarks.md, upsert). Planning each of our few bulk statements
                # afresh costs far less.
                "prepare_threshold": None,
            },
        )
        event.listen(engine, "connect", _binary_arrays)
        return engine
    except NoSuchModuleError as exc:
        raise StorageError(
            f"unsupported database driver {parsed.drivername!r} in {_shown(parsed)}; "
            f"use {URL_EXAMPLES}"
        ) from exc
    except ImportError as exc:
        hint = INSTALL_PSYCOPG if "psycopg" in str(exc) else f"install the driver ({exc})"
        raise StorageError(
            f"the database driver for {_shown(parsed)} is not installed: {hint}"
        ) from exc


def _binary_arrays(dbapi_connection: Any, _: ConnectionPoolEntry) -> None:
    """Send Python lists as binary arrays: psycopg quotes each element of a text array in
    Python (a regular expression per string), 4x the time of the binary form for the arrays
    a bulk save binds (``storage.bulk``: tens of thousands of names per listing)."""
    from psycopg.types.array import ListBinaryDumper

    dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)


def parse_database_url(url: str | URL) -> URL:
    """Parse and check a database URL; normalizes PostgreSQL URLs to psycopg 3."""
    try:
        parsed = sa.make_url(url) if isinstance(url, str) else url
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise StorageError(
            f"malformed database URL {_redact(str(url))!r}: expected something like {URL_EXAMPLES}"
        ) from exc
    backend = parsed.get_backend_name()
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend not in ("sqlite", "postgresql"):
        raise StorageError(
            f"unsupported database {backend!r} in {_shown(parsed)}: "
            f"paperpulse stores to SQLite or PostgreSQL, e.g. {URL_EXAMPLES}"
        )
    return parsed


def check_connection(engine: Engine) -> None:
    """Connect once, so an unreachable server or unopenable file fails early and clearly."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as exc:
        raise storage_error(exc, action="connecting", url=engine.url) from exc


def write_engine(engine: Engine) -> Engine:
    """The same engine (shared pool) whose transactions take SQLite's write lock at BEGIN."""
    return engine.execution_options(**{_SQLITE_BEGIN: "IMMEDIATE"})


def sqlite_path(url: URL) -> Path | None:
    """The file a SQLite URL points at; None for in-memory databases."""
    database = url.database or ""
    if database in ("", ":memory:"):
        return None
    if url.query.get("uri") in ("true", "1") and database.startswith("file:"):
        if url.query.get("mode") == "memory":
            return None
        database = database.removeprefix("file:").split("?", 1)[0]
    return Path(database)


def require_existing(database_url: str) -> None:
    """For commands that only read: a SQLite file that is not there is an error, not a new
    empty database (and a new directory) that would make every digest say "nothing"."""
    url = parse_database_url(database_url)
    path = sqlite_path(url) if url.get_backend_name() == "sqlite" else None
    if path is not None and not path.is_file():
        raise StorageError(
            f"no database at {path} (PAPERPULSE_DATABASE_URL); run `paperpulse run` or "
            "`paperpulse backfill` first, or point PAPERPULSE_DATABASE_URL at your database"
        )


def storage_error(exc: BaseException, *, action: str, url: URL | str) -> StorageError:
    """Translate a driver error into a :class:`StorageError` that says what to do."""
    where = _shown(url)
    text = str(getattr(exc, "orig", None) or exc)
    lower = text.lower()
    if "readonly database" in lower or "read-only" in lower:
        advice = (
            "the database is read-only: make the file and its directory writable "
            "(SQLite also writes -wal and -shm files beside it)"
        )
    elif "disk is full" in lower or "no space left" in lower or "disk full" in lower:
        advice = "the disk is full: free some space, then run again"
    elif "unable to open database file" in lower:
        advice = "cannot open the SQLite file: check that its directory exists and is writable"
    elif "database is locked" in lower:
        advice = (
            "another process held the SQLite write lock too long: "
            "let it finish, or move to PostgreSQL for concurrent runs"
        )
    elif "password authentication failed" in lower:
        advice = "PostgreSQL refused the credentials: check the user and password in the URL"
    elif "no such table" in lower or ("relation" in lower and "does not exist" in lower):
        advice = "the paperpulse tables are missing: migrate first (storage.upgrade)"
    elif "does not exist" in lower and "database" in lower:
        advice = "the PostgreSQL database does not exist: create it (createdb) or fix the URL"
    elif any(
        s in lower
        for s in (
            "connection refused",
            "could not connect",
            "timeout expired",
            "connection failed",
            "could not translate host name",
        )
    ):
        advice = "cannot reach the PostgreSQL server: is it running, and are host and port right?"
    else:
        advice = "database error"
    return StorageError(f"{action} ({where}): {advice} [{text.strip().splitlines()[0]}]")


def _sqlite_engine(url: URL, *, echo: bool, busy_timeout_ms: int) -> Engine:
    path = sqlite_path(url)
    writable = url.query.get("mode") not in ("ro",)
    if path is not None and writable:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create the directory {str(path.parent)!r} for the SQLite database "
                f"{_shown(url)}: {exc.strerror or exc}; create it or choose another path "
                f"with {DATABASE_URL_ENV}"
            ) from exc
    kwargs: dict[str, Any] = {"echo": echo}
    if path is None:  # every connection to :memory: is a new database: share one
        kwargs |= {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    engine = sa.create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: sqlite3.Connection, _: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy emit BEGIN (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if path is not None:
                # A read-only file can still be read; writes then report it clearly.
                with suppress(sqlite3.OperationalError):
                    cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough with WAL
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_SQLITE_BEGIN, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _shown(url: URL | str) -> str:
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    return _redact(url)


def _redact(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # too broken to parse: still never echo a password
        return hide_url_credentials(url)
