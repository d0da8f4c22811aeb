"""One clock for a whole life of processes: ``PAPERPULSE_NOW`` with ``PAPERPULSE_NOW_SINCE``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from paperpulse.config.settings import Settings
from paperpulse.core.clock import ShiftedClock, life_clock
from paperpulse.core.errors import ConfigError

START = datetime(2024, 8, 2, 6, 0, tzinfo=UTC)
READ_NOW = (
    "import json; from paperpulse.config.settings import Settings; "
    "print(json.dumps(Settings.from_env().clock.now().isoformat()))"
)


def now_in_a_new_process(env: dict[str, str]) -> datetime:
    done = subprocess.run(
        [sys.executable, "-c", READ_NOW],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return datetime.fromisoformat(json.loads(done.stdout))


def test_every_process_of_one_life_reads_one_running_clock() -> None:
    """A later process is later on the product's clock, though each is told the same NOW:
    a ``digest`` run after its ``run`` never sees the day's fetch as still to come."""
    env = life_clock(START)
    first = now_in_a_new_process(env)
    time.sleep(0.05)
    second = now_in_a_new_process(env)
    assert START <= first < second < START + timedelta(minutes=5)


def test_without_an_anchor_each_process_starts_at_now() -> None:
    assert (
        START
        <= now_in_a_new_process({"PAPERPULSE_NOW": START.isoformat()})
        < START + timedelta(minutes=1)
    )


def test_the_clock_never_runs_backwards_from_its_anchor() -> None:
    future_anchor = ShiftedClock(START, since=time.time() + 3600)
    assert future_anchor.now() == START


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PAPERPULSE_NOW_SINCE": "1733540000"}, "PAPERPULSE_NOW_SINCE is set without"),
        (
            {"PAPERPULSE_NOW": START.isoformat(), "PAPERPULSE_NOW_SINCE": "noon"},
            "PAPERPULSE_NOW_SINCE must be Unix seconds",
        ),
        (
            {"PAPERPULSE_NOW": START.isoformat(), "PAPERPULSE_NOW_SINCE": "nan"},
            "PAPERPULSE_NOW_SINCE must be Unix seconds",
        ),
    ],
)
def test_a_bad_anchor_is_one_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)
