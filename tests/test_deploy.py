"""deploy/: the Prefect deployments load, their entrypoints import, crons and zones are valid."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from cronsim import CronSim

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def load(name: str) -> dict[str, object]:
    data = yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_deployments_name_importable_flows(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.flows import load_flow_from_entrypoint

    monkeypatch.chdir(ROOT)
    deployments = load("prefect.yaml")["deployments"]
    assert isinstance(deployments, list)
    assert {d["name"] for d in deployments} == {"daily", "backfill"}
    for deployment in deployments:
        flow = load_flow_from_entrypoint(deployment["entrypoint"])
        assert flow.name == deployment["name"]
        for key in deployment.get("parameters", {}):
            assert key in flow.parameters.properties, (deployment["name"], key)


def test_schedules_parse_and_zones_are_iana() -> None:
    from datetime import datetime

    (daily,) = [d for d in load("prefect.yaml")["deployments"] if d["name"] == "daily"]
    for schedule in daily["schedules"]:
        zone = ZoneInfo(schedule["timezone"])
        start = datetime(2026, 11, 22, tzinfo=zone)
        assert next(CronSim(schedule["cron"], start)) > start
    assert daily["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}


def test_compose_wires_server_database_and_worker() -> None:
    services = load("docker-compose.yml")["services"]
    assert isinstance(services, dict)
    assert {"postgres", "prefect-server", "bootstrap", "worker"} <= set(services)
    worker_env = services["worker"]["environment"]
    assert worker_env["PAPERPULSE_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert worker_env["PREFECT_API_URL"].endswith("/api")


def test_the_image_copies_the_package_and_the_deployments() -> None:
    """The bootstrap service runs ``prefect deploy --prefect-file deploy/prefect.yaml`` and the
    deployments' entrypoints are paths inside the package: the image needs both folders."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for folder in ("paperpulse", "deploy"):
        assert f"COPY {folder} {folder}" in dockerfile, folder


def test_bootstrap_waits_for_a_healthy_server() -> None:
    """``prefect work-pool create`` against a server still migrating its database fails."""
    services = load("docker-compose.yml")["services"]
    assert isinstance(services, dict)
    assert "/api/health" in " ".join(services["prefect-server"]["healthcheck"]["test"])
    wait = services["bootstrap"]["depends_on"]["prefect-server"]["condition"]
    assert wait == "service_healthy"
