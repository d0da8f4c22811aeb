"""Storage tests run twice: on a SQLite file and on a real PostgreSQL.

PostgreSQL comes from ``$PAPERPULSE_TEST_POSTGRES_URL`` (its variant skips when unset). Each
test session works in its own schema (so parallel sessions and xdist workers never meet):
migrated once, then emptied with one TRUNCATE before every test. Tests that need a database
never migrated get a fresh schema of their own (``blank_url``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from paperpulse.storage import Repository, create_engine, upgrade
from tests.storage.builders import TABLES

POSTGRES_ENV = "PAPERPULSE_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        pytest.skip(f"set {POSTGRES_ENV} to run the PostgreSQL variant")
    return url


def _in_schema(url: str, schema: str) -> URL:
    return sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    engine = create_engine(_postgres_url())
    yield engine
    engine.dispose()


def _new_schema(admin: Engine) -> str:
    schema = f"pp_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    return schema


def _drop_schema(admin: Engine, schema: str) -> None:
    with admin.begin() as conn:
        # A test that failed with a connection still open must not hang the teardown.
        conn.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def pg_engine(pg_admin: Engine) -> Iterator[Engine]:
    """One migrated schema for the whole session."""
    schema = _new_schema(pg_admin)
    engine = create_engine(_in_schema(_postgres_url(), schema))
    upgrade(engine)
    yield engine
    engine.dispose()
    _drop_schema(pg_admin, schema)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def engine(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated, empty database."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "paperpulse.db"
        sqlite_engine = create_engine(f"sqlite:///{path}")
        upgrade(sqlite_engine)
        yield sqlite_engine
        sqlite_engine.dispose()
        return
    pg: Engine = request.getfixturevalue("pg_engine")
    with pg.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    yield pg


@pytest.fixture
def blank_url(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URL of a database never migrated."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('blank') / 'paperpulse.db'}"
        return
    admin: Engine = request.getfixturevalue("pg_admin")
    schema = _new_schema(admin)
    yield _in_schema(_postgres_url(), schema).render_as_string(hide_password=False)
    _drop_schema(admin, schema)


@pytest.fixture
def repo(engine: Engine) -> Repository:
    return Repository(engine)
