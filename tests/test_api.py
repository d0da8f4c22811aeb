"""``import paperpulse`` offers what a script needs, and loads it only when asked."""

from __future__ import annotations

import subprocess
import sys

import pytest

import paperpulse


@pytest.mark.parametrize("name", paperpulse.__all__)
def test_every_exported_name_is_the_object_its_module_defines_under_that_name(name: str) -> None:
    value = getattr(paperpulse, name)
    # A class, function or flow (never a module, constant or alias under another name), and
    # the very object its defining module holds, so ``isinstance``/``except`` checks agree.
    assert value.__name__ == name
    assert getattr(sys.modules[value.__module__], name) is value
    assert name in dir(paperpulse)


def test_the_flows_are_prefect_flows_a_script_can_run() -> None:
    from prefect import Flow

    for flow in (paperpulse.daily, paperpulse.backfill):
        assert isinstance(flow, Flow)
        assert flow.name == flow.__name__


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        paperpulse.nope  # noqa: B018


def test_importing_the_core_loads_no_framework() -> None:
    probe = (
        "import sys, paperpulse, paperpulse.core.models, paperpulse.core.kinds; "
        "print(sorted(m for m in ('prefect', 'sqlalchemy', 'httpx') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"
