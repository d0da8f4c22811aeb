"""Flow tests run Prefect for real, against one shared test server per session.

Only tests that ask for the ``prefect`` fixture pay for the harness (about 5 s once).
"""

from __future__ import annotations

import os

# Prefect reads these once, at import: keep its server quiet and fast (docs: ../shared PREFECT.md).
os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.delivery.conftest import RunningServer


@pytest.fixture(scope="session")
def prefect() -> Iterator[None]:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
        prefect_test_harness(server_startup_timeout=90),
    ):
        yield


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh database, archive and config for one test, wired through the environment."""
    monkeypatch.setenv("PAPERPULSE_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("PAPERPULSE_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("PAPERPULSE_CONFIG", str(tmp_path / "paperpulse.toml"))
    (tmp_path / "paperpulse.toml").write_text("", encoding="utf-8")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return tmp_path


@pytest.fixture
def smtp() -> Iterator[RunningServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 recording what it receives."""
    from aiosmtpd.controller import Controller

    from tests.delivery.conftest import RecordingHandler, free_port

    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield RunningServer(handler=handler, port=port)
    finally:
        controller.stop()
