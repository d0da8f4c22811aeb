"""``apply_host_limits``: what the bootstrap and every flow run apply to a Prefect server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from prefect.exceptions import ObjectAlreadyExists

from paperpulse.config.file import Config
from paperpulse.config.settings import Settings


class RacingServer:
    """Records upserts; the first one loses a creation race, as Prefect's read-then-create
    upsert does when two flow runs start at once on a fresh server."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []

    def upsert_global_concurrency_limit_by_name(
        self, name: str, limit: int, slot_decay_per_second: float
    ) -> None:
        assert limit == 1
        self.calls.append((name, slot_decay_per_second))
        if len(self.calls) == 1:
            response = httpx.Response(409, request=httpx.Request("POST", "http://prefect/api"))
            raise ObjectAlreadyExists(
                http_exc=httpx.HTTPStatusError("409", request=response.request, response=response)
            )


def test_a_lost_creation_race_is_an_update_not_a_failure() -> None:
    from paperpulse.flows.shared_pacing import apply_host_limits, host_limits

    settings = Settings.from_env({"PAPERPULSE_HF_MIN_INTERVAL": "0.25"})
    server = RacingServer()
    apply_host_limits(cast(Any, server), settings, Config())
    expected = host_limits(settings, Config())
    first = server.calls[0]
    assert server.calls[1] == first  # the lost race, upserted again
    assert dict(server.calls[1:]) == expected
    assert expected["paperpulse-host-huggingface-co"] == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("variable", "value", "code", "says"),
    [
        ("PREFECT_API_URL", "http://127.0.0.1:9/api", 1, "PREFECT_API_URL"),  # nothing listens
        ("PAPERPULSE_HF_MIN_INTERVAL", "soon", 2, "PAPERPULSE_HF_MIN_INTERVAL"),
    ],
)
def test_the_bootstrap_step_fails_in_one_line(
    tmp_path: Path, variable: str, value: str, code: int, says: str
) -> None:
    """``python -m paperpulse.flows.shared_pacing`` (deploy/bootstrap.sh) on a bad setting."""
    (tmp_path / "paperpulse.toml").write_text("", encoding="utf-8")
    env = {
        "PATH": "/usr/bin:/bin",
        "PREFECT_HOME": str(tmp_path),
        "PREFECT_API_URL": "http://127.0.0.1:9/api",
        "PAPERPULSE_CONFIG": str(tmp_path / "paperpulse.toml"),
        variable: value,
    }
    done = subprocess.run(
        [sys.executable, "-m", "paperpulse.flows.shared_pacing"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == code, done.stderr
    assert done.stderr.count("\n") == 1 and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
