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


def test_compose_serves_the_web_app_beside_the_workers_on_their_database() -> None:
    services = load("docker-compose.yml")["services"]
    assert isinstance(services, dict)
    web, worker = services["web"], services["worker"]
    assert web["command"].startswith("paperpulse web --host 0.0.0.0")
    # One database and one signing secret: what a worker's email signs, the web app checks.
    for name in ("PAPERPULSE_DATABASE_URL", "PAPERPULSE_WEB_SECRET", "PAPERPULSE_CONFIG"):
        assert web["environment"][name] == worker["environment"][name], name
    assert "volumes" not in web or all(v.endswith(":ro") for v in web["volumes"])  # stateless


def test_the_image_copies_the_package_and_the_deployments() -> None:
    """The bootstrap service runs ``deploy/bootstrap.sh`` (``prefect deploy --prefect-file
    deploy/prefect.yaml``) and the deployments' entrypoints are paths inside the package: the
    image needs both folders, and the ignore file beside the Dockerfile must not drop them."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for folder in ("paperpulse", "deploy"):
        assert f"COPY {folder} {folder}" in dockerfile, folder
    kept = [line[1:] for line in dockerignore() if line.startswith("!")]
    for copied in copied_paths(dockerfile):
        assert (ROOT / copied).exists(), copied
        assert copied in kept, f"{copied} is copied but deploy/Dockerfile.dockerignore drops it"


def dockerignore() -> list[str]:
    text = (DEPLOY / "Dockerfile.dockerignore").read_text()
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def copied_paths(dockerfile: str) -> list[str]:
    """The sources of every COPY (the build context is the repository root)."""
    paths: list[str] = []
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            paths += line.split()[1:-1]
    return paths


def test_the_build_context_leaves_out_the_venv_and_data() -> None:
    """The context is the repository root: without the ignore file a local ``.venv`` and
    ``data/`` would be sent to the builder on every build."""
    ignored = dockerignore()
    assert ignored[0] == "*"  # everything not named below is left out
    assert "deploy/config" in ignored  # configs (possibly with addresses) stay out of the image


def test_the_image_installs_an_extra_that_exists() -> None:
    import tomllib

    dockerfile = (DEPLOY / "Dockerfile").read_text()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert "'.[postgres]'" in dockerfile and "postgres" in extras


def test_server_and_workers_run_one_prefect_version() -> None:
    """A worker newer than its server can send fields the server refuses: every Prefect
    process of the compose file runs the image built from deploy/Dockerfile."""
    services = load("docker-compose.yml")["services"]
    assert isinstance(services, dict)
    prefect = {name: s for name, s in services.items() if name != "postgres"}
    assert {"prefect-server", "bootstrap", "worker"} <= set(prefect)
    for name, service in prefect.items():
        # Each names the build too: compose would otherwise try to pull the image.
        assert service.get("image") == "paperpulse:local", name
        assert service.get("build") == {"context": "..", "dockerfile": "deploy/Dockerfile"}, name
    server = services["prefect-server"]
    url = server["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert url.startswith("postgresql+asyncpg://") and url.endswith("/prefect")
    import importlib.util

    assert importlib.util.find_spec("asyncpg"), "the server's PostgreSQL driver comes with prefect"
    init = (DEPLOY / "postgres-init.sql").read_text()
    assert "CREATE DATABASE prefect" in init


def test_bootstrap_runs_the_script_the_scale_out_test_runs() -> None:
    """One source of truth: compose's bootstrap and tests/flows/test_scale_out.py both run
    ``deploy/bootstrap.sh``, which applies each host's shared limit from the config."""
    services = load("docker-compose.yml")["services"]
    assert isinstance(services, dict)
    bootstrap = services["bootstrap"]
    assert bootstrap["command"] == ["sh", "deploy/bootstrap.sh"]
    script = (DEPLOY / "bootstrap.sh").read_text()
    for step in (
        "prefect work-pool create paperpulse --type process --overwrite",
        "python -m paperpulse.flows.shared_pacing",
        "prefect deploy --all --prefect-file deploy/prefect.yaml",
    ):
        assert step in script, step
    assert "set -eu" in script  # a failed step fails the service; workers never start
    # The limits follow the config: the bootstrap reads the same file the workers read.
    config = bootstrap["environment"]["PAPERPULSE_CONFIG"]
    for name in ("bootstrap", "worker"):
        mounts = {m.split(":")[1] for m in services[name]["volumes"]}
        assert str(Path(config).parent) in mounts, name
    assert services["worker"]["environment"] == bootstrap["environment"]


def fake_tools(folder: Path, log: Path, failing: str = "") -> dict[str, str]:
    """``prefect`` and ``python`` stand-ins that log their arguments; ``failing`` exits 1."""
    folder.mkdir()
    for tool in ("prefect", "python"):
        status = 1 if tool == failing else 0
        script = folder / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{log}"\nexit {status}\n')
        script.chmod(0o755)
    return {"PATH": f"{folder}:/usr/bin:/bin"}


def test_bootstrap_runs_its_steps_in_order_and_stops_at_the_first_failure(tmp_path: Path) -> None:
    """Limits need the server's API, deployments need the pool: in this order; a failed step
    fails the one-shot service (exit status), so the workers never start half-configured."""
    import subprocess

    log = tmp_path / "ran.log"
    env = fake_tools(tmp_path / "ok", log)
    done = subprocess.run(["sh", "deploy/bootstrap.sh"], cwd=ROOT, env=env, check=False)
    assert done.returncode == 0
    assert log.read_text().splitlines() == [
        "prefect work-pool create paperpulse --type process --overwrite",
        "python -m paperpulse.flows.shared_pacing",
        "prefect deploy --all --prefect-file deploy/prefect.yaml",
    ]

    log.unlink()
    env = fake_tools(tmp_path / "limits-fail", log, failing="python")
    done = subprocess.run(["sh", "deploy/bootstrap.sh"], cwd=ROOT, env=env, check=False)
    assert done.returncode != 0
    assert log.read_text().splitlines()[-1] == "python -m paperpulse.flows.shared_pacing"


def compose_environment(service: str) -> dict[str, str]:
    """A service's environment as compose gives it when no ``${VAR:-default}`` is set."""
    import re

    services = load("docker-compose.yml")["services"]
    assert isinstance(services, dict)
    env = services[service]["environment"]
    return {k: re.sub(r"\$\{[A-Z_0-9]+:-([^}]*)\}", r"\1", str(v)) for k, v in env.items()}


def test_the_workers_environment_and_the_sample_config_give_runnable_settings() -> None:
    """deploy/config/paperpulse.toml is what the compose services read (mounted at /config);
    variables compose leaves empty count as unset, so the config's contact and the outbox
    apply instead of an empty User-Agent contact or an SMTP host ''."""
    from paperpulse.app.context import contact
    from paperpulse.config.file import load_config
    from paperpulse.config.settings import Settings

    env = compose_environment("worker")
    settings = Settings.from_env(env)
    assert settings.database_url == env["PAPERPULSE_DATABASE_URL"]
    mounted = {
        m.split(":")[1]: m.split(":")[0]
        for m in load("docker-compose.yml")["services"]["worker"]["volumes"]
    }
    host_dir = DEPLOY / mounted[str(settings.config_file.parent)]
    config = load_config(host_dir / settings.config_file.name)
    assert config.topics and config.email.recipients  # a sample that follows and delivers
    assert settings.smtp is None and settings.hf_token is None
    assert config.contact and contact(settings, config) == config.contact


def test_host_limits_cover_every_paced_host() -> None:
    """The bootstrap applies the limits the flows take: one per paced host, none free."""
    from paperpulse.config.file import Config
    from paperpulse.config.settings import Settings
    from paperpulse.flows.shared_pacing import host_limits, limit_name

    limits = host_limits(Settings.from_env({}), Config())
    hosts = ("huggingface.co", "arxiv.org", "export.arxiv.org")
    assert {limit_name(h) for h in hosts} <= set(limits)
    assert all(0 < decay <= 10 for decay in limits.values())


def test_bootstrap_waits_for_a_healthy_server() -> None:
    """``prefect work-pool create`` against a server still migrating its database fails."""
    services = load("docker-compose.yml")["services"]
    assert isinstance(services, dict)
    assert "/api/health" in " ".join(services["prefect-server"]["healthcheck"]["test"])
    wait = services["bootstrap"]["depends_on"]["prefect-server"]["condition"]
    assert wait == "service_healthy"
