"""Orchestration for real: gap healing, a backfill killed with SIGKILL and resumed, a served
deployment triggered to completion, and two simultaneous runs on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.delivery.conftest import RunningServer
from tests.replay import Faults, ReplayServer

ROOT = Path(__file__).resolve().parents[2]


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def content(url: str, *, distinct: bool = False) -> dict[str, list[tuple[object, ...]]]:
    """What a backfill stores, without ids and clock times (which differ between two runs).

    ``distinct``: compare what was observed, not how often (a daily run re-observes recent
    days, so an interrupted one legitimately adds identical sightings).
    """
    select = "SELECT DISTINCT" if distinct else "SELECT"
    return {
        "papers": query(
            url,
            "SELECT arxiv_id, title, abstract, list_date, organization, "
            "github_repo, ai_summary FROM papers ORDER BY arxiv_id",
        ),
        "authors": query(
            url,
            "SELECT pa.arxiv_id, pa.position, COALESCE(pa.name, a.name) FROM paper_authors pa "
            "JOIN authors a ON a.id = pa.author_id ORDER BY 1, 2",
        ),
        "sightings": query(
            url,
            f"{select} s.arxiv_id, s.source, s.period, s.rank, s.upvotes, "
            "s.comments, s.stars FROM sightings s JOIN runs r ON "
            "r.id = s.run_id WHERE r.status = 'complete' ORDER BY 1, 2, 3, 4, 5, 6, 7",
        ),
        "orphans": query(
            url,
            "SELECT count(*) FROM sightings s JOIN runs r ON r.id = s.run_id "
            "WHERE r.status <> 'complete'",
        ),
        "periods": query(
            url,
            "SELECT DISTINCT period, status FROM runs WHERE status IN "
            "('complete', 'empty') ORDER BY 1",
        ),
    }


def api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


def cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """`paperpulse ...` in a child process, against the test session's Prefect server."""
    return subprocess.Popen(
        [sys.executable, "-m", "paperpulse.cli.main", *args],
        cwd=ROOT,
        env={**os.environ, **env, "PREFECT_API_URL": api_url()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_next_daily_run_heals_missed_days(
    prefect: None, workspace: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperpulse.flows.daily import daily

    monkeypatch.setenv("PAPERPULSE_HF_MIN_INTERVAL", "0")
    with ReplayServer(shared_data / "hf_api_daily") as server:
        monkeypatch.setenv("PAPERPULSE_HF_URL", server.url)
        daily(list_date=date(2024, 8, 5))
        summary = daily(list_date=date(2024, 8, 9))  # the runs of the 6th to 8th were missed
    healed = sorted(o.period for o in summary.outcomes if o.status == "complete")
    assert healed == ["2024-08-05", "2024-08-06", "2024-08-07", "2024-08-08", "2024-08-09"]
    for day in ("06", "07", "08", "09"):
        assert (workspace / "archive" / "2024" / "08" / f"2024-08-{day}.md").is_file()


def test_a_killed_backfill_resumes_to_exactly_the_clean_result(
    prefect: None, tmp_path: Path, shared_data: Path
) -> None:
    start, end = date(2024, 7, 13), date(2024, 8, 1)  # 20 days
    assert (end - start).days + 1 == 20
    args = ["backfill", "--start", start.isoformat(), "--end", end.isoformat()]
    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    killed_url = f"sqlite:///{tmp_path / 'killed.db'}"
    base = {
        "PAPERPULSE_HF_MIN_INTERVAL": "0",
        "PAPERPULSE_CONFIG": str(tmp_path / "none.toml"),
        "PAPERPULSE_ARCHIVE_DIR": str(tmp_path / "archive"),
    }
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    with (
        ReplayServer(shared_data / "hf_api_daily") as fast,
        ReplayServer(shared_data / "hf_api_daily", faults=Faults(latency=0.4)) as slow,
    ):
        clean = cli(
            args, {**base, "PAPERPULSE_HF_URL": fast.url, "PAPERPULSE_DATABASE_URL": clean_url}
        )
        victim = cli(
            args, {**base, "PAPERPULSE_HF_URL": slow.url, "PAPERPULSE_DATABASE_URL": killed_url}
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                done = query(killed_url, "SELECT count(*) FROM runs WHERE status <> 'running'")
            except sa.exc.OperationalError:
                done = [(0,)]
            if int(done[0][0]) >= 5:  # type: ignore[call-overload]
                break
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        partial = query(
            killed_url, "SELECT count(*) FROM runs WHERE status IN ('complete', 'empty')"
        )
        resumed = cli(
            args, {**base, "PAPERPULSE_HF_URL": fast.url, "PAPERPULSE_DATABASE_URL": killed_url}
        )
        _, err = resumed.communicate(timeout=300)
        assert resumed.returncode == 0, err
        _, clean_err = clean.communicate(timeout=300)
        assert clean.returncode == 0, clean_err
    assert 5 <= int(partial[0][0]) < 20  # type: ignore[call-overload]
    assert content(killed_url) == content(clean_url)
    assert content(clean_url)["orphans"] == [(0,)]
    assert len(content(clean_url)["periods"]) == 20


def test_paperpulse_serve_runs_a_triggered_deployment_to_completion(
    prefect: None, workspace: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.deployments import run_deployment
    from prefect.states import StateType

    from paperpulse.flows.serve import deployments

    daily_dep, _ = deployments("0 6 * * *", "Europe/Berlin")
    schedule = daily_dep.schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == ("0 6 * * *", "Europe/Berlin")
    with ReplayServer(shared_data / "hf_api_daily") as server:
        serve = cli(
            ["serve"],
            {
                "PAPERPULSE_HF_URL": server.url,
                "PAPERPULSE_HF_MIN_INTERVAL": "0",
                "PREFECT_RUNNER_POLL_FREQUENCY": "1",
            },
        )
        try:
            flow_run = None
            deadline = time.monotonic() + 90
            while flow_run is None and time.monotonic() < deadline:
                try:  # the deployment exists once `serve` has registered it
                    flow_run = run_deployment(
                        name="backfill/backfill",
                        timeout=120,
                        parameters={"start": "2024-08-01", "end": "2024-08-02"},
                    )
                except Exception:
                    time.sleep(0.5)
        finally:
            serve.send_signal(signal.SIGTERM)
            _, err = serve.communicate(timeout=60)
    assert flow_run is not None and flow_run.state is not None, err
    assert flow_run.state.type == StateType.COMPLETED, err
    db = os.environ["PAPERPULSE_DATABASE_URL"]
    assert query(db, "SELECT period, status FROM runs ORDER BY period") == [
        ("2024-08-01", "complete"),
        ("2024-08-02", "complete"),
    ]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the test PostgreSQL server, dropped afterwards."""
    url = os.environ.get("PAPERPULSE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("set PAPERPULSE_TEST_POSTGRES_URL to run the PostgreSQL concurrency test")
    schema = f"pp_conc_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_two_simultaneous_runs_on_postgres_store_once_and_mail_once(
    prefect: None, tmp_path: Path, shared_data: Path, smtp: RunningServer, postgres_url: str
) -> None:
    config = tmp_path / "paperpulse.toml"
    config.write_text('[[email.recipients]]\naddress = "ada@example.org"\n', encoding="utf-8")
    env = {
        "PAPERPULSE_DATABASE_URL": postgres_url,
        "PAPERPULSE_CONFIG": str(config),
        "PAPERPULSE_ARCHIVE_DIR": str(tmp_path / "archive"),
        "PAPERPULSE_HF_MIN_INTERVAL": "0",
        "PAPERPULSE_SMTP_HOST": "127.0.0.1",
        "PAPERPULSE_SMTP_PORT": str(smtp.port),
        "PAPERPULSE_SMTP_SECURITY": "none",
    }
    with ReplayServer(shared_data / "hf_api_daily", faults=Faults(latency=0.3)) as server:
        env["PAPERPULSE_HF_URL"] = server.url
        runs = [cli(["run", "--date", "2024-08-01"], env) for _ in range(2)]
        results = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    papers = query(postgres_url, "SELECT count(*), count(DISTINCT arxiv_id) FROM papers")
    assert papers == [(11, 11)]
    per_run = query(postgres_url, "SELECT run_id, count(*) FROM sightings GROUP BY run_id")
    assert all(count == 11 for _, count in per_run)
    emails = [r for e in smtp.handler.received for r in e.rcpt_tos]
    assert emails == ["ada@example.org"]
    assert query(postgres_url, "SELECT count(*) FROM deliveries WHERE channel = 'email'") == [(1,)]
    log = subprocess.run(
        ["git", "-C", str(tmp_path / "archive"), "log", "--oneline"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert len(log) == 1
