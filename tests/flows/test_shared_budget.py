"""Two processes running backfill flows on one Prefect server share one host's budget.

Each process alone would pace HF at ``PAPERPULSE_HF_MIN_INTERVAL``; together, without a shared
limit, they would send twice that rate. The replay server enforces the single-process rate
strictly (a sliding window, bare 429s, no hints): any excess is refused and counted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.replay import Faults, ReplayServer, busiest_window

ROOT = Path(__file__).resolve().parents[2]
INTERVAL = 0.25  # seconds between HF requests, per process and for both together
RANGES = [("2024-07-01", "2024-07-05"), ("2024-07-06", "2024-07-10")]


def test_two_workers_keep_one_hosts_rate(prefect: None, workspace: Path, shared_data: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    # One window of 1 s may hold 1 / INTERVAL requests, plus one for arrival jitter.
    allowed = round(1 / INTERVAL) + 1
    faults = Faults(rate_limit=allowed, window=1.0, sliding=True, ratelimit_headers=False)
    with ReplayServer(shared_data / "hf_api_daily", faults=faults) as server:
        env = {
            **os.environ,
            "PAPERPULSE_HF_URL": server.url,
            "PAPERPULSE_HF_MIN_INTERVAL": str(INTERVAL),
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        }
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "paperpulse.cli.main",
                    "backfill",
                    "--start",
                    start,
                    "--end",
                    end,
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for start, end in RANGES
        ]
        results = [(w.wait(timeout=600), *w.communicate()) for w in workers]
    for code, out, err in results:
        assert code == 0 and "Traceback" not in err, err
        assert out.strip().splitlines()[-1].startswith("backfill: ")
    assert len(server.arrivals) >= 10
    assert server.served.get("429", 0) == 0 and not server.injected
    assert busiest_window(server.arrivals, 1.0) <= allowed
    # The two ran side by side, yet the host saw one process's pace.
    span = server.arrivals[-1] - server.arrivals[0]
    assert span >= (len(server.arrivals) - 1) * INTERVAL * 0.8


@pytest.mark.parametrize("host", ["huggingface.co", "127.0.0.1:8765", "export.arxiv.org"])
def test_limit_names_are_one_per_host_and_safe(host: str) -> None:
    from paperpulse.flows.shared_pacing import limit_name

    name = limit_name(host)
    assert name.startswith("paperpulse-host-") and all(c.isalnum() or c == "-" for c in name)
