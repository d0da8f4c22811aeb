"""Scale-out for real: a Prefect server on PostgreSQL, a process work pool, the deployments of
``deploy/prefect.yaml`` set up by ``deploy/bootstrap.sh``, and two workers.

A backfill split in four runs over both workers while a daily runs. Then: every flow run
Completed; no row twice; one email per reader (a real SMTP server); the replay server, which
enforces one process's HF rate with bare 429s, never saw that rate exceeded (the budget is
shared, not doubled); and the database holds what a plain single-process run of the same
dates stores. 1–1.5 minutes on a busy 2-core machine (docs/benchmarks.md, "Scale-out").

Needs ``PAPERPULSE_TEST_POSTGRES_URL`` (its server also hosts Prefect's database) and the
captures in ../shared/data; skips cleanly without either, or when Prefect's server cannot start.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.delivery.conftest import RunningServer, free_port
from tests.flows.cluster import PrefectApi, Processes, throwaway_databases, wait_healthy
from tests.replay import Faults, ReplayServer, busiest_window

pytestmark = [pytest.mark.scale_out, pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # this venv: prefect, python (bootstrap.sh calls both)
INTERVAL = 0.25  # seconds between HF requests: one process's pace, and the cluster's
QUARTERS = [("2024-07-01", "2024-07-04"), ("2024-07-05", "2024-07-08")]
QUARTERS += [("2024-07-09", "2024-07-12"), ("2024-07-13", "2024-07-16")]
DAILY = "2024-08-01"  # beyond heal_days of the backfill: the daily fetches its own date only
NOW = "2024-08-02T07:00:00+00:00"
READERS = ("ada@example.org", "bob@example.org")
RECIPIENTS = "".join(f'[[email.recipients]]\naddress = "{reader}"\n' for reader in READERS)
CONFIG = f"""contact = "mailto:ops@example.org"
[email]
from = "paperpulse@example.org"
{RECIPIENTS}"""


@pytest.fixture
def postgres_admin() -> str:
    url = os.environ.get("PAPERPULSE_TEST_POSTGRES_URL", "").strip()
    if not url:
        pytest.skip("set PAPERPULSE_TEST_POSTGRES_URL to run the scale-out test")
    return url


@pytest.fixture
def databases(postgres_admin: str) -> Iterator[dict[str, str]]:
    with throwaway_databases(postgres_admin, "prefect", "cluster", "plain") as urls:
        yield urls


def test_two_workers_backfill_beside_a_daily(
    shared_data: Path, databases: dict[str, str], smtp: RunningServer, tmp_path: Path
) -> None:
    began = time.monotonic()
    (tmp_path / "paperpulse.toml").write_text(CONFIG, encoding="utf-8")
    allowed = round(1 / INTERVAL) + 1  # per sliding second, plus one for arrival jitter
    strict = Faults(rate_limit=allowed, window=1.0, sliding=True, ratelimit_headers=False)
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    prefect_db = databases["prefect"].replace("+psycopg", "+asyncpg")
    # No PREFECT_* from this session (the flow tests' quiet-server switches, a harness's URL):
    # the server and workers run as deployed, configured only here.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    base = {
        **inherited,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    processes = Processes(tmp_path)
    prefect = PrefectApi(api)
    try:
        # arXiv on its own (idle) server: a limit is per host, and one host for both would
        # take arXiv's 15 s listing pace for HF too.
        with (
            ReplayServer(shared_data / "hf_api_daily", faults=strict) as hf,
            ReplayServer(shared_data / "hf_api_daily") as arxiv,
        ):
            server = processes.start(
                "server",
                [
                    str(BIN / "prefect"),
                    "server",
                    "start",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                {
                    **base,
                    "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db,
                    "PREFECT_UI_ENABLED": "false",
                },
                ROOT,
            )
            healthy = wait_healthy(api, server, timeout=120)
            if healthy is None:
                pytest.skip(f"Prefect's server did not start:\n{server.tail()}")
            env = {
                **base,
                "PREFECT_API_URL": api,
                "PREFECT_WORKER_QUERY_SECONDS": "1",  # pick runs up at once (default 10 s)
                "PAPERPULSE_HOME": str(ROOT),  # prefect.yaml's pull step: the checkout
                "PAPERPULSE_DATABASE_URL": databases["cluster"],
                "PAPERPULSE_ARCHIVE_DIR": str(tmp_path / "archive"),
                "PAPERPULSE_CONFIG": str(tmp_path / "paperpulse.toml"),
                "PAPERPULSE_HF_URL": hf.url,
                "PAPERPULSE_ARXIV_URL": arxiv.url,
                "PAPERPULSE_ARXIV_API_URL": arxiv.url,
                "PAPERPULSE_HF_MIN_INTERVAL": str(INTERVAL),
                "PAPERPULSE_NOW": NOW,
                "PAPERPULSE_SMTP_HOST": "127.0.0.1",
                "PAPERPULSE_SMTP_PORT": str(smtp.port),
                "PAPERPULSE_SMTP_SECURITY": "none",
            }
            for name in ("HF_TOKEN", "PAPERPULSE_MAIL_TO", "PAPERPULSE_SMTP_USER"):
                env.pop(name, None)
            bootstrap = processes.start("bootstrap", ["sh", "deploy/bootstrap.sh"], env, ROOT)
            assert bootstrap.popen.wait(timeout=180) == 0, bootstrap.tail()
            bootstrapped = time.monotonic() - began
            workers = [
                processes.start(
                    f"worker-{n}",
                    [
                        "prefect",
                        "worker",
                        "start",
                        "--pool",
                        "paperpulse",
                        "--type",
                        "process",
                        "--name",
                        f"worker-{n}",
                        "--limit",
                        "2",
                    ],
                    env,
                    ROOT,
                )
                for n in (1, 2)
            ]
            # Both online first: a worker starting late would leave all the runs to the other.
            assert prefect.wait_workers("paperpulse", 2, timeout=180), workers[0].tail()
            # Five runs, two slots per worker: each worker takes two, at most one the daily.
            runs_began = time.monotonic()
            online = runs_began - began
            daily = prefect.run_deployment("daily/daily", {"list_date": DAILY})
            backfills = [
                prefect.run_deployment("backfill/backfill", {"start": s, "end": e})
                for s, e in QUARTERS
            ]
            runs = prefect.wait_final([daily, *backfills], timeout=600)
            ran = time.monotonic() - runs_began
            arrivals, served, injected = list(hf.arrivals), dict(hf.served), dict(hf.injected)
            assert not arxiv.requests, arxiv.requests  # arXiv is not in this config
        logs = {w.name: w.log.read_text(encoding="utf-8", errors="replace") for w in workers}
    finally:
        prefect.close()
        processes.stop_all()
    total = time.monotonic() - began
    print(
        f"\nscale-out: server healthy {healthy:.1f} s, bootstrapped {bootstrapped:.1f} s, "
        f"workers online {online:.1f} s, "
        f"5 flow runs {ran:.1f} s, total {total:.1f} s, {len(arrivals)} HF requests"
    )

    # Every flow run completed.
    states = {run_id: run["state"]["type"] for run_id, run in runs.items()}
    assert set(states.values()) == {"COMPLETED"}, (states, {k: v[-3000:] for k, v in logs.items()})
    # The backfill was split over both workers, and the daily ran beside it.
    took = {name: {r for r in runs if r in log} for name, log in logs.items()}
    assert all(took[w] & set(backfills) for w in took), took
    assert overlaps(runs[daily], [runs[b] for b in backfills])

    # The host's rate was never exceeded: the budget was shared, not doubled.
    assert served.get("429", 0) == 0 and not injected, (served, injected)
    assert busiest_window(arrivals, 1.0) <= allowed
    assert arrivals[-1] - arrivals[0] >= (len(arrivals) - 1) * INTERVAL * 0.8
    assert len(arrivals) == len(QUARTERS) * 4 + 1  # every date fetched once, nothing twice

    # One email per reader, and one ledger row per (digest, channel, recipient).
    assert sorted(r for m in smtp.handler.received for r in m.rcpt_tos) == sorted(READERS)
    cluster = stored(databases["cluster"])
    assert not cluster.pop("duplicates"), "a row was stored twice"
    mailed = cluster.pop("emails")
    assert mailed == [(f"daily/{DAILY}", r, "sent") for r in sorted(READERS)], mailed

    # The same dates, fetched by one plain process, store the same data.
    plain_began = time.monotonic()
    plain_run(databases["plain"], tmp_path, shared_data)
    print(f"scale-out: the same dates in one plain process {time.monotonic() - plain_began:.1f} s")
    plain = stored(databases["plain"])
    plain.pop("duplicates"), plain.pop("emails")
    assert cluster == plain


def overlaps(one: dict[str, Any], others: list[dict[str, Any]]) -> bool:
    def span(run: dict[str, Any]) -> tuple[datetime, datetime]:
        return datetime.fromisoformat(run["start_time"]), datetime.fromisoformat(run["end_time"])

    start, end = span(one)
    return any(s < end and start < e for s, e in map(span, others))


def plain_run(database_url: str, tmp_path: Path, shared_data: Path) -> None:
    """The reference: the same dates through the plain pipeline, one process, no Prefect."""
    from paperpulse.app.pipeline import backfill_run, daily_run
    from paperpulse.config.settings import from_environment
    from tests.contexts import context

    with ReplayServer(shared_data / "hf_api_daily") as hf:
        environ = {
            "PAPERPULSE_DATABASE_URL": database_url,
            "PAPERPULSE_ARCHIVE_DIR": str(tmp_path / "plain-archive"),
            "PAPERPULSE_CONFIG": str(tmp_path / "paperpulse.toml"),
            "PAPERPULSE_HF_URL": hf.url,
            "PAPERPULSE_HF_MIN_INTERVAL": "0.05",
            "PAPERPULSE_NOW": NOW,
        }
        settings, config = from_environment(environ)
        start, end = date.fromisoformat(QUARTERS[0][0]), date.fromisoformat(QUARTERS[-1][1])
        backfill_run(context(settings, config), start, end).raise_for_failures()
        daily_run(
            context(settings, config), date.fromisoformat(DAILY), email=False
        ).raise_for_failures()


def stored(database_url: str) -> dict[str, Any]:
    """What a run leaves, without what differs by design between two runs (ids, clocks,
    URLs with a port, first/updated counts that depend on which run came first)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:

            def rows(sql: str) -> list[tuple[Any, ...]]:
                return [tuple(r) for r in conn.execute(sa.text(sql))]

            return {
                "papers": rows(
                    "SELECT arxiv_id, title, abstract, published_at, list_date, version,"
                    " primary_category, categories, organization, github_repo, project_page,"
                    " ai_summary, ai_keywords, comment, journal_ref, doi, families"
                    " FROM papers ORDER BY arxiv_id"
                ),
                "authors": rows(
                    "SELECT pa.arxiv_id, pa.position, a.key, a.name, pa.affiliation, pa.name"
                    " FROM paper_authors pa JOIN authors a ON a.id = pa.author_id"
                    " ORDER BY pa.arxiv_id, pa.position"
                ),
                "runs": rows(
                    "SELECT source, period, status, fetched, declared FROM runs"
                    " ORDER BY source, period"
                ),
                "sightings": rows(
                    "SELECT s.source, s.period, s.arxiv_id, s.rank, s.upvotes, s.comments,"
                    " s.stars, s.section FROM sightings s ORDER BY s.source, s.period, s.arxiv_id"
                ),
                "duplicates": rows(
                    "SELECT 'run', source || ' ' || period FROM runs"
                    " GROUP BY source, period HAVING count(*) > 1"
                    " UNION ALL SELECT 'sighting', period || ' ' || arxiv_id FROM sightings"
                    " GROUP BY source, period, arxiv_id HAVING count(*) > 1"
                    " UNION ALL SELECT 'author', key FROM authors GROUP BY key HAVING count(*) > 1"
                ),
                "emails": rows(
                    "SELECT digest_key, recipient, status FROM deliveries"
                    " WHERE channel = 'email' ORDER BY recipient"
                ),
            }
    finally:
        engine.dispose()
