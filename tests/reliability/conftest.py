"""Reliability suites: hypothesis profiles, and the data the replay server serves.

Fuzzing profiles (``tests/reliability/test_fuzz_parsers.py`` applies them per test, so other
suites keep hypothesis' defaults):

    ci    (default)  75 examples per parser, derandomized: fast and reproducible
    deep             10,000 examples per parser: ``PAPERPULSE_FUZZ_PROFILE=deep pytest
                     tests/reliability/test_fuzz_parsers.py`` (on demand; not the slow switch)
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.conftest import FIXTURES, SHARED_DATA

FUZZ_PROFILE_ENV = "PAPERPULSE_FUZZ_PROFILE"
_FUZZ_BASE = settings(
    deadline=None,  # a 200 kB page takes a while; time is not what is being tested
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("ci", _FUZZ_BASE, max_examples=75, derandomize=True)
settings.register_profile("deep", _FUZZ_BASE, max_examples=10_000)


def fuzz_profile() -> str:
    name = os.environ.get(FUZZ_PROFILE_ENV, "ci")
    if name not in ("ci", "deep"):
        raise pytest.UsageError(f"{FUZZ_PROFILE_ENV} must be 'ci' or 'deep', not {name!r}")
    return name


# Days the HTTP fault suite fetches: the lean 2024 schema (11 papers) and the 2025 schema with
# organisations and AI summaries (50 papers, the largest captured day).
REPLAY_DAYS = ("2024-08-01", "2025-09-30")
_FALLBACK = {"2024-08-01": "daily_2024.json", "2025-09-30": "daily_2026.json"}


@pytest.fixture(scope="session")
def replay_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real captures when ../shared/data is present; else our small fixtures under the
    same dates, so the fault suite still runs (on fewer papers) on a bare clone."""
    real = SHARED_DATA / "hf_api_daily"
    if all((real / f"{day}.json").is_file() for day in REPLAY_DAYS):
        return real
    folder = tmp_path_factory.mktemp("replay")
    for day, name in _FALLBACK.items():
        shutil.copyfile(FIXTURES / "hf" / name, folder / f"{day}.json")
    return folder
