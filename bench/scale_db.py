"""Build a paperpulse database with years of history, fast, for the scale benchmark.

Going through ``save_listing`` would take hours for 10M sightings, so the old history is
generated in SQL (recursive CTEs on SQLite, ``generate_series`` on PostgreSQL), the way years of
daily runs would have left it:

- ``weekdays`` list dates (counted back from ``history_end``), each with ``per_day`` papers
  observed by ``observations`` runs (the day itself, then its refreshes, one day apart): the
  ``runs``, ``papers``, ``sightings`` (papers x observations), bylines of ``AUTHORS_PER_PAPER``
  people from a pool of a quarter of the papers, the sent ledger ("announced as new" once per
  paper), one archive delivery per day, and a title revision for 1 paper in 100;
- weekend dates between them, with one "empty" run each (HF lists nothing on weekends);
- then, through paperpulse itself (``collect`` against the replay server), the ``recent_days``
  real list dates before the benchmarked day, each observed ``recent_observations`` times with
  upvotes growing: the papers a daily run refreshes and diffs against have a real history.

Secondary indexes are dropped during the bulk load and created again after it (what a restore
does). Ids are stable: day ``w`` (0 = most recent) holds papers ``w * per_day ..``, so a small
history is exactly the most recent part of a big one.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.pipeline import replay_context, write_workspace
from paperpulse.app.collect import collect
from paperpulse.app.jobs import Job
from paperpulse.config.settings import from_environment
from paperpulse.core.kinds import Source
from paperpulse.storage import create_engine, upgrade
from tests.contexts import close_all
from tests.replay import ReplayServer

AUTHORS_PER_PAPER = 5
RECENT_DAYS = 14
RECENT_OBSERVATIONS = 3
# ~1 kB of abstract per paper, like the real ones; sliced at a per-paper offset.
_ABSTRACT = (
    "We study how large language models reason over long contexts and propose a simple method "
    "that retrieves, compresses and re-ranks evidence before answering. Experiments on eight "
    "benchmarks, covering mathematical reasoning, code generation, multi-hop question answering "
    "and tool use, show consistent gains over strong baselines, with lower latency and memory. "
    "We analyse failure modes, release code and data, and discuss the limits of automatic "
    "evaluation for agents that plan over many steps. Ablations isolate the contribution of "
    "each component; scaling the retriever helps more than scaling the reader. "
) * 3


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    weekdays: int
    per_day: int = 500
    observations: int = 10
    history_end: date  # the most recent synthetic list date
    recent_days: int = RECENT_DAYS  # real list dates after it, saved through paperpulse
    recent_observations: int = RECENT_OBSERVATIONS

    @property
    def papers(self) -> int:
        return self.weekdays * self.per_day

    @property
    def sightings(self) -> int:
        return self.papers * self.observations

    def days(self) -> tuple[list[str], list[str]]:
        """(weekdays, weekend days) from ``history_end`` back, most recent first."""
        weekdays: list[str] = []
        weekends: list[str] = []
        day = self.history_end
        while len(weekdays) < self.weekdays:
            (weekdays if day.weekday() < 5 else weekends).append(day.isoformat())
            day -= timedelta(days=1)
        return weekdays, weekends


@dataclass(frozen=True, slots=True, kw_only=True)
class Built:
    where: str  # the SQLite file, or the PostgreSQL database's URL
    seconds: float
    steps: tuple[tuple[str, float], ...]
    size_bytes: int


def build_sqlite(path: Path, history: History, *, captures: Path, day: date) -> Built:
    """Write the database to ``path`` (replacing it); the real recent days end before ``day``."""
    began = time.perf_counter()
    steps: list[tuple[str, float]] = []
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in (
            "journal_mode = OFF",
            "synchronous = OFF",
            "cache_size = -1000000",
            "temp_store = MEMORY",
        ):
            conn.execute(f"PRAGMA {pragma}")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        weekdays, weekends = history.days()
        conn.execute("CREATE TEMP TABLE bench_days (w INTEGER PRIMARY KEY, day TEXT NOT NULL)")
        conn.executemany("INSERT INTO bench_days VALUES (?, ?)", list(enumerate(weekdays)))
        conn.execute("CREATE TEMP TABLE bench_weekends (k INTEGER PRIMARY KEY, day TEXT NOT NULL)")
        conn.executemany("INSERT INTO bench_weekends VALUES (?, ?)", list(enumerate(weekends)))
        conn.execute("BEGIN")
        for label, sql in _sqlite_statements(history):
            started = time.perf_counter()
            conn.execute(sql)
            steps.append((label, time.perf_counter() - started))
        conn.execute("COMMIT")
        started = time.perf_counter()
        for _, sql in indexes:
            conn.execute(sql)
        steps.append(("indexes", time.perf_counter() - started))
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pp-bench-recent-") as workspace:
        _recent_days(f"sqlite:///{path}", captures, day, Path(workspace), history)
    steps.append(("recent real days (collect)", time.perf_counter() - started))
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn2:
        conn2.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return Built(
        where=str(path),
        seconds=time.perf_counter() - began,
        steps=tuple(steps),
        size_bytes=path.stat().st_size,
    )


def build_postgres(
    url: str, history: History, *, captures: Path, day: date, analyze: bool = True
) -> Built:
    """The same history in the (new, empty) PostgreSQL database of ``url``, then (unless not
    ``analyze``) VACUUM ANALYZE: the statistics autovacuum would have gathered by the time a
    history is this long."""
    began = time.perf_counter()
    steps: list[tuple[str, float]] = []
    engine = create_engine(url)
    upgrade(engine)
    weekdays, weekends = history.days()
    with engine.connect() as conn:
        conn.exec_driver_sql("SET session_replication_role = replica")  # no FK checks on load
        indexes = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = current_schema() "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ).all()
        for name, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        conn.exec_driver_sql("CREATE TEMP TABLE bench_days (w integer PRIMARY KEY, day date)")
        conn.exec_driver_sql("CREATE TEMP TABLE bench_weekends (k integer PRIMARY KEY, day date)")
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.executemany("INSERT INTO bench_days VALUES (%s, %s)", list(enumerate(weekdays)))
        cursor.executemany("INSERT INTO bench_weekends VALUES (%s, %s)", list(enumerate(weekends)))
        for label, sql in _postgres_statements(history):
            started = time.perf_counter()
            cursor.execute(sql)  # the driver's own: no placeholders to parse in '%'
            steps.append((label, time.perf_counter() - started))
        conn.commit()
        started = time.perf_counter()
        for _, sql in indexes:
            conn.exec_driver_sql(sql)
        for table in ("runs", "authors", "sightings", "paper_revisions", "deliveries"):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        conn.commit()
        steps.append(("indexes", time.perf_counter() - started))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pp-bench-recent-") as workspace:
        _recent_days(url, captures, day, Path(workspace), history)
    steps.append(("recent real days (collect)", time.perf_counter() - started))
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if analyze:
            conn.exec_driver_sql("VACUUM ANALYZE")
        size = int(conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one())
    if analyze:
        steps.append(("vacuum analyze", time.perf_counter() - started))
    engine.dispose()
    return Built(
        where=url, seconds=time.perf_counter() - began, steps=tuple(steps), size_bytes=size
    )


def _sqlite_statements(h: History) -> list[tuple[str, str]]:
    k, o, n = h.per_day, h.observations, h.papers
    pool = max(n // 4, 100)
    arxiv_id = "printf('%04d.%05d', 9000 + {i} / 100000, {i} % 100000)"
    at = "datetime(d.day, '+' || ({obs} + 1) || ' days', '+6 hours') || '.000000'"
    first_seen = at.format(obs="0")
    return [
        (
            "runs",
            f"""
            INSERT INTO runs (id, source, period, status, url, started_at, finished_at,
                              fetched, new, updated)
            WITH RECURSIVE obs(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM obs WHERE x < {o - 1})
            SELECT d.w * {o} + obs.x + 1, 'hf-daily', d.day, 'complete',
                   'https://huggingface.co/api/daily_papers?date=' || d.day,
                   {at.format(obs="obs.x")},
                   datetime(d.day, '+' || (obs.x + 1) || ' days', '+6 hours', '+2 seconds')
                       || '.000000',
                   {k}, CASE WHEN obs.x = 0 THEN {k} ELSE 0 END, 0
            FROM bench_days d, obs ORDER BY 1
            """,
        ),
        (
            "empty runs (weekends)",
            f"""
            INSERT INTO runs (id, source, period, status, url, started_at, finished_at,
                              fetched, new, updated)
            SELECT {h.weekdays * o} + d.k + 1, 'hf-daily', d.day, 'empty',
                   'https://huggingface.co/api/daily_papers?date=' || d.day,
                   {first_seen}, {first_seen}, 0, 0, 0
            FROM bench_weekends d ORDER BY 1
            """,
        ),
        (
            "papers",
            f"""
            INSERT INTO papers (arxiv_id, title, abstract, published_at, list_date, version,
                                primary_category, categories, organization, github_repo,
                                ai_summary, ai_keywords, first_seen_at, updated_at, families)
            WITH RECURSIVE p(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM p WHERE i < {n - 1})
            SELECT {arxiv_id.format(i="p.i")},
                   'Synthetic paper ' || p.i || ' on long-context reasoning and retrieval',
                   substr('{_ABSTRACT}', 1 + p.i % 200, 1000),
                   datetime(d.day, '-7 hours') || '.000000', d.day, 1 + p.i % 3, 'cs.CL',
                   '["cs.CL", "cs.LG"]', 'Example Lab',
                   CASE WHEN p.i % 3 = 0 THEN 'https://github.com/example/r' || p.i END,
                   'A short summary of synthetic paper ' || p.i || '.',
                   '["reasoning", "retrieval", "agents"]',
                   {first_seen},
                   CASE WHEN p.i % 100 = 0 THEN {at.format(obs="3")} END,
                   'hf'
            FROM p JOIN bench_days d ON d.w = p.i / {k}
            """,
        ),
        (
            "authors",
            f"""
            INSERT INTO authors (id, key, name)
            WITH RECURSIVE a(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM a WHERE i < {pool})
            SELECT i, 'synthetic author ' || i, 'Synthetic Author ' || i FROM a
            """,
        ),
        (
            "bylines",
            f"""
            INSERT INTO paper_authors (arxiv_id, position, author_id)
            WITH RECURSIVE b(i) AS (
                SELECT 0 UNION ALL SELECT i + 1 FROM b WHERE i < {n * AUTHORS_PER_PAPER - 1})
            SELECT {arxiv_id.format(i=f"(b.i / {AUTHORS_PER_PAPER})")}, b.i % {AUTHORS_PER_PAPER},
                   1 + ((b.i / {AUTHORS_PER_PAPER}) * 7 + (b.i % {AUTHORS_PER_PAPER}) * 104729)
                       % {pool}
            FROM b
            """,
        ),
        (
            "sightings",
            f"""
            INSERT INTO sightings (run_id, arxiv_id, source, period, observed_at, rank, upvotes,
                                   comments)
            WITH RECURSIVE s(i) AS (
                SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {h.sightings - 1})
            SELECT (s.i / {k * o}) * {o} + (s.i / {k}) % {o} + 1,
                   {arxiv_id.format(i=f"((s.i / {k * o}) * {k} + s.i % {k})")},
                   'hf-daily', d.day,
                   {at.format(obs=f"((s.i / {k}) % {o})")},
                   s.i % {k} + 1,
                   (s.i % 97) + ((s.i / {k}) % {o}) * (s.i % 13),
                   s.i % 5
            FROM s JOIN bench_days d ON d.w = s.i / {k * o}
            """,
        ),
        *_derived_statements(first_seen),
    ]


def _derived_statements(first_seen: str) -> list[tuple[str, str]]:
    """Rows derived from the papers and days already built: the same SQL on both backends."""
    return [
        (
            "revisions",
            """
            INSERT INTO paper_revisions (arxiv_id, changed_at, title, abstract, version)
            SELECT p.arxiv_id, p.updated_at, 'An earlier title', p.abstract, 1
            FROM papers p WHERE p.updated_at IS NOT NULL
            """,
        ),
        (
            "reader's ledger",
            """
            INSERT INTO shown (recipient, arxiv_id, new_at, new_digest, seen_at, seen_digest)
            SELECT 'archive', arxiv_id, first_seen_at, 'daily/' || list_date, first_seen_at,
                   'daily/' || list_date
            FROM papers
            """,
        ),
        (
            "deliveries",
            f"""
            INSERT INTO deliveries (digest_key, channel, recipient, status, attempts,
                                    claimed_at, sent_at)
            SELECT 'daily/' || d.day, 'archive', 'archive', 'sent', 1, {first_seen}, {first_seen}
            FROM bench_days d
            """,
        ),
    ]


def _recent_days(
    database_url: str, captures: Path, day: date, folder: Path, history: History
) -> None:
    """The real list dates before ``day``, saved by paperpulse itself, upvotes growing."""
    with (
        ReplayServer(captures, upvote_growth=lambda arxiv_id, generation: 7 * generation) as server,
        environment(write_workspace(folder, database_url, server.url)),
    ):
        settings, config = from_environment()
        ctx = replay_context(settings, config, floor=False)
        try:
            for observation in range(history.recent_observations):
                server.generation = observation
                for back in range(history.recent_days, 0, -1):
                    listed = day - timedelta(days=back)
                    moment = datetime.combine(listed, datetime.min.time(), UTC) + timedelta(
                        days=1 + observation, hours=6
                    )
                    collect(ctx, Job(source=Source.HF_DAILY, period=listed), now=moment)
        finally:
            ctx.close()
            close_all()


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` set, restored afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _postgres_statements(h: History) -> list[tuple[str, str]]:
    k, o, n = h.per_day, h.observations, h.papers
    pool = max(n // 4, 100)
    arxiv_id = "format('%s.%s', 9000 + {i} / 100000, lpad(({i} % 100000)::text, 5, '0'))"
    at = "((d.day + make_interval(days => ({obs}) + 1, hours => 6))::timestamp AT TIME ZONE 'UTC')"
    first_seen = at.format(obs="0")
    return [
        (
            "runs",
            f"""
            INSERT INTO runs (id, source, period, status, url, started_at, finished_at,
                              fetched, new, updated)
            SELECT d.w * {o} + x + 1, 'hf-daily', d.day::text, 'complete',
                   'https://huggingface.co/api/daily_papers?date=' || d.day,
                   {at.format(obs="x")}, {at.format(obs="x")} + interval '2 seconds',
                   {k}, CASE WHEN x = 0 THEN {k} ELSE 0 END, 0
            FROM bench_days d, generate_series(0, {o - 1}) x ORDER BY 1
            """,
        ),
        (
            "empty runs (weekends)",
            f"""
            INSERT INTO runs (id, source, period, status, url, started_at, finished_at,
                              fetched, new, updated)
            SELECT {h.weekdays * o} + d.k + 1, 'hf-daily', d.day::text, 'empty',
                   'https://huggingface.co/api/daily_papers?date=' || d.day,
                   {first_seen}, {first_seen}, 0, 0, 0
            FROM bench_weekends d ORDER BY 1
            """,
        ),
        (
            "papers",
            f"""
            INSERT INTO papers (arxiv_id, title, abstract, published_at, list_date, version,
                                primary_category, categories, organization, github_repo,
                                ai_summary, ai_keywords, first_seen_at, updated_at, families)
            SELECT {arxiv_id.format(i="i")},
                   'Synthetic paper ' || i || ' on long-context reasoning and retrieval',
                   substr('{_ABSTRACT}', 1 + i % 200, 1000),
                   (d.day - interval '7 hours')::timestamp AT TIME ZONE 'UTC', d.day, 1 + i % 3,
                   'cs.CL', '["cs.CL", "cs.LG"]'::jsonb, 'Example Lab',
                   CASE WHEN i % 3 = 0 THEN 'https://github.com/example/r' || i END,
                   'A short summary of synthetic paper ' || i || '.',
                   '["reasoning", "retrieval", "agents"]'::jsonb,
                   {first_seen},
                   CASE WHEN i % 100 = 0 THEN {at.format(obs="3")} END,
                   'hf'
            FROM generate_series(0, {n - 1}) i JOIN bench_days d ON d.w = i / {k}
            """,
        ),
        (
            "authors",
            f"""
            INSERT INTO authors (id, key, name)
            SELECT i, 'synthetic author ' || i, 'Synthetic Author ' || i
            FROM generate_series(1, {pool}) i
            """,
        ),
        (
            "bylines",
            f"""
            INSERT INTO paper_authors (arxiv_id, position, author_id)
            SELECT {arxiv_id.format(i=f"(b / {AUTHORS_PER_PAPER})")}, b % {AUTHORS_PER_PAPER},
                   1 + ((b / {AUTHORS_PER_PAPER})::bigint * 7
                        + (b % {AUTHORS_PER_PAPER}) * 104729) % {pool}
            FROM generate_series(0, {n * AUTHORS_PER_PAPER - 1}) b
            """,
        ),
        (
            "sightings",
            f"""
            INSERT INTO sightings (run_id, arxiv_id, source, period, observed_at, rank, upvotes,
                                   comments)
            SELECT (s / {k * o}) * {o} + (s / {k}) % {o} + 1,
                   {arxiv_id.format(i=f"((s / {k * o}) * {k} + s % {k})")},
                   'hf-daily', d.day::text,
                   {at.format(obs=f"(s / {k}) % {o}")},
                   s % {k} + 1,
                   (s % 97) + ((s / {k}) % {o}) * (s % 13),
                   s % 5
            FROM generate_series(0, {h.sightings - 1}) s JOIN bench_days d ON d.w = s / {k * o}
            """,
        ),
        *_derived_statements(first_seen),
    ]
