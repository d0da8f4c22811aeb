"""Fixtures shared by every test package."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Real third-party captures live beside the repository and are never copied into it.
# PAPERPULSE_TEST_SHARED_DATA points elsewhere, e.g. at a missing folder to try a bare clone.
SHARED_DATA = Path(os.environ.get("PAPERPULSE_TEST_SHARED_DATA") or ROOT.parent / "shared" / "data")


# The one switch for ``slow`` tests (fresh-venv installs, SIGKILL trials 3-10, the scale-out
# cluster): deselected by default, so a newcomer's ``pytest`` stays short; CI sets it.
SLOW_ENV = "PAPERPULSE_SLOW"


def slow_included() -> bool:
    return os.environ.get(SLOW_ENV) == "1"


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """With ``-p no:xdist`` (a debugger, one process), pyproject's ``-n``/``--dist`` still parse:
    they are accepted here and do nothing."""
    if pluginmanager.has_plugin("xdist"):
        return
    group = parser.getgroup("xdist", "parallel runs (pytest-xdist disabled: ignored)")
    group._addoption("-n", "--numprocesses", dest="numprocesses", default=None)
    group.addoption("--dist", dest="dist", default="no")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Said at the end, where a reader looks (xdist's workers deselect; the count is theirs).
    if not slow_included():
        terminalreporter.write_line(f"slow tests deselected: {SLOW_ENV}=1 runs them (CI does)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if slow_included():
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real captures in ../shared/data; tests that need them skip cleanly when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real captures not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def frozen_heap() -> Iterator[None]:
    """For code that calls gc.collect() (bench.harness, before each timed batch): in a worker
    that has run hundreds of tests each call took ~1 s. Frozen, the objects already alive are
    not scanned again."""
    gc.freeze()
    yield
    gc.unfreeze()
