"""Engines: where the database is, how SQLite is set up, and errors a user can act on."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from paperpulse.core.errors import StorageError
from paperpulse.storage import (
    DEFAULT_DATABASE_URL,
    Repository,
    check_connection,
    create_engine,
    upgrade,
)
from paperpulse.storage.db import storage_error
from tests.storage.builders import T0, make_listing, make_paper, save, start_run

running_as_root = pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions"
)


def test_url_comes_from_the_settings_or_defaults_to_sqlite() -> None:
    from paperpulse.config.settings import DEFAULT_DATABASE_URL as SETTINGS_DEFAULT
    from paperpulse.config.settings import Settings

    assert SETTINGS_DEFAULT == DEFAULT_DATABASE_URL == "sqlite:///./data/paperpulse.db"
    assert Settings.from_env({}).database_url == DEFAULT_DATABASE_URL
    assert Settings.from_env({"PAPERPULSE_DATABASE_URL": "  "}).database_url == DEFAULT_DATABASE_URL
    url = "postgresql+psycopg://u@db/pp"
    assert Settings.from_env({"PAPERPULSE_DATABASE_URL": url}).database_url == url


def test_create_engine_ignores_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Only config/settings.py reads the environment: storage takes the URL it is given."""
    monkeypatch.setenv("PAPERPULSE_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.chdir(tmp_path)
    engine = create_engine()
    assert engine.url.database == "./data/paperpulse.db"
    engine.dispose()


def test_sqlite_file_gets_its_directory_and_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "paperpulse.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar_one()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }
    engine.dispose()
    assert path.parent.is_dir()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30_000}


def test_in_memory_sqlite_works_across_connections() -> None:
    engine = create_engine("sqlite://")
    upgrade(engine)
    repo = Repository(engine)
    run_id = start_run(repo, "hf-daily", "2026-08-03", None, T0)
    repo.save_listing(run_id, make_listing([make_paper("2608.00001")]), T0)
    assert list(repo.papers(["2608.00001"])) == ["2608.00001"]


def test_postgres_urls_mean_psycopg_3() -> None:
    for scheme in ("postgres", "postgresql"):
        engine = create_engine(f"{scheme}://u:secret@localhost/pp")
        assert engine.url.drivername == "postgresql+psycopg"


def test_postgres_never_prepares_statements(engine: sa.Engine, backend: str) -> None:
    """psycopg prepares a statement on its fifth run, and PostgreSQL may then reuse one generic
    plan: saving new papers took 11x as long that way (docs/benchmarks.md, upsert). So
    paperpulse's engines prepare nothing."""
    if backend != "postgres":
        pytest.skip("prepared statements are a PostgreSQL matter")
    repo = Repository(engine)
    ids = [f"2608.{n:05d}" for n in range(1, 21)]
    save(repo, make_listing([make_paper(i) for i in ids]))
    with engine.connect() as conn:
        for _ in range(8):
            conn.execute(sa.text("SELECT arxiv_id FROM papers WHERE arxiv_id = :i"), {"i": ids[0]})
        prepared = conn.execute(sa.text("SELECT count(*) FROM pg_prepared_statements")).scalar()
    assert prepared == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "malformed database URL 'not a url'"),
        ("mysql://u@h/db", "unsupported database 'mysql'"),
        ("postgresql+nosuchdriver://u@h/db", "unsupported database driver"),
    ],
)
def test_bad_urls_are_explained(url: str, message: str) -> None:
    with pytest.raises(StorageError, match=message) as caught:
        create_engine(url)
    assert "sqlite:///./data/paperpulse.db" in str(caught.value)  # shows what would work


def test_passwords_never_appear_in_errors() -> None:
    with pytest.raises(StorageError) as caught:
        create_engine("mysql://user:hunter2@h/db")
    assert "hunter2" not in str(caught.value)
    with pytest.raises(StorageError) as caught:
        create_engine("postgresql://user:hunter2@host:notaport/db")
    assert "hunter2" not in str(caught.value)


def test_missing_psycopg_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg -> ImportError
    with pytest.raises(StorageError, match=r"pip install 'paperpulse\[postgres\]'"):
        create_engine("postgresql+psycopg://u@localhost/pp")


def test_unreachable_server_is_explained() -> None:
    engine = create_engine("postgresql+psycopg://u:pw@127.0.0.1:9/pp", connect_timeout_s=2)
    with pytest.raises(StorageError, match="cannot reach the PostgreSQL server") as caught:
        check_connection(engine)
    assert "pw@" not in str(caught.value)
    with pytest.raises(StorageError, match="upgrading the database schema"):
        upgrade(engine)


def test_sqlite_directory_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError, match="cannot create the directory") as caught:
        create_engine(f"sqlite:///{blocker}/sub/paperpulse.db")
    assert "PAPERPULSE_DATABASE_URL" in str(caught.value)


@running_as_root
def test_sqlite_directory_without_permission(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(StorageError, match="cannot create the directory"):
        create_engine(f"sqlite:///{locked}/sub/paperpulse.db")


def _migrated_file(tmp_path: Path) -> Path:
    path = tmp_path / "paperpulse.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def test_read_only_sqlite_reads_but_refuses_writes_clearly(tmp_path: Path) -> None:
    path = _migrated_file(tmp_path)
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    repo = Repository(engine)
    assert repo.runs() == []
    with pytest.raises(StorageError, match="read-only") as caught:
        start_run(repo, "hf-daily", "2026-08-03", None, T0)
    assert "starting a hf-daily run for 2026-08-03" in str(caught.value)
    engine.dispose()


@running_as_root
def test_read_only_sqlite_file_permissions(tmp_path: Path) -> None:
    path = _migrated_file(tmp_path)
    path.chmod(0o444)
    repo = Repository(create_engine(f"sqlite:///{path}"))
    with pytest.raises(StorageError, match="read-only"):
        start_run(repo, "hf-daily", "2026-08-03", None, T0)


def test_full_disk_is_explained(tmp_path: Path) -> None:
    path = _migrated_file(tmp_path)
    engine = create_engine(f"sqlite:///{path}")

    @sa.event.listens_for(engine, "connect")
    def cap_size(dbapi_connection: object, _: object) -> None:
        # The database may not grow past its current size: SQLite reports SQLITE_FULL.
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    repo = Repository(engine)
    papers = [make_paper(f"2608.{i:05d}", abstract="x" * 2_000) for i in range(1, 200)]
    run_id = start_run(repo, "hf-daily", "2026-08-03", None, T0)
    with pytest.raises(StorageError, match="the disk is full"):
        repo.save_listing(run_id, make_listing(papers), T0)
    engine.dispose()


def test_unknown_errors_keep_the_driver_message() -> None:
    error = storage_error(RuntimeError("weird\nsecond line"), action="doing X", url="sqlite://")
    assert str(error) == "doing X (sqlite://): database error [weird]"
