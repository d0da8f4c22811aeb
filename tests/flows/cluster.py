"""Real processes for the scale-out test: process groups that always stop, throwaway
PostgreSQL databases, and the few Prefect REST calls the test makes (no Prefect client in
the test process: it would need settings fixed at import)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 20) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


class Processes:
    """Each process in its own group (its children too: a worker's flow runs); ``stop_all``
    ends every group, TERM then KILL, whatever happened before."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[Process] = []

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> Process:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self.started.append(process)
        return process

    def stop_all(self, grace: float = 10.0) -> None:
        for process in reversed(self.started):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in reversed(self.started):
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            # The group may outlive its leader (a flow run's child): kill what is left.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=5)


@contextlib.contextmanager
def throwaway_databases(admin_url: str, *purposes: str) -> Iterator[dict[str, str]]:
    """A fresh PostgreSQL database per purpose (its psycopg URL), dropped on the way out even
    when connections are still open (``WITH (FORCE)``)."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    tag = uuid.uuid4().hex[:8]
    names = {purpose: f"pp_scale_{purpose}_{tag}" for purpose in purposes}
    created: list[str] = []
    try:
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                created.append(name)
        base = make_url(admin_url)
        yield {
            purpose: base.set(database=name).render_as_string(hide_password=False)
            for purpose, name in names.items()
        }
    finally:
        with admin.connect() as conn:
            for name in created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def wait_healthy(api: str, server: Process, timeout: float) -> float | None:
    """Seconds until ``/api/health`` answered, or None if the server died or never did."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if server.popen.poll() is not None:
            return None
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return time.monotonic() - began
        time.sleep(0.25)
    return None


class PrefectApi:
    def __init__(self, api: str) -> None:
        self.http = httpx.Client(base_url=api, timeout=30)

    def run_deployment(self, flow_deployment: str, parameters: dict[str, Any]) -> str:
        """Create a flow run of ``flow/deployment`` (as ``prefect deployment run`` does)."""
        deployment = self.http.get(f"/deployments/name/{flow_deployment}")
        deployment.raise_for_status()
        created = self.http.post(
            f"/deployments/{deployment.json()['id']}/create_flow_run",
            json={"parameters": parameters},
        )
        created.raise_for_status()
        run_id: str = created.json()["id"]
        return run_id

    def wait_workers(self, pool: str, count: int, timeout: float) -> bool:
        """True once ``count`` workers of ``pool`` have sent a heartbeat."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = self.http.post(f"/work_pools/{pool}/workers/filter", json={})
            if answer.status_code == 200:
                online = [w for w in answer.json() if w.get("status") == "ONLINE"]
                if len(online) >= count:
                    return True
            time.sleep(0.5)
        return False

    def flow_run(self, run_id: str) -> dict[str, Any]:
        answer = self.http.get(f"/flow_runs/{run_id}")
        answer.raise_for_status()
        run: dict[str, Any] = answer.json()
        return run

    def wait_final(self, run_ids: Sequence[str], timeout: float) -> dict[str, dict[str, Any]]:
        """Each run as it ended (or as it was when ``timeout`` ran out)."""
        deadline = time.monotonic() + timeout
        while True:
            runs = {run_id: self.flow_run(run_id) for run_id in run_ids}
            if all(r["state"]["type"] in FINAL for r in runs.values()):
                return runs
            if time.monotonic() > deadline:
                return runs
            time.sleep(0.5)

    def close(self) -> None:
        self.http.close()


FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
