"""``import paperpulse`` offers what a script needs, and loads it only when asked."""

from __future__ import annotations

import subprocess
import sys

import pytest

import paperpulse


@pytest.mark.parametrize("name", paperpulse.__all__)
def test_every_exported_name_resolves(name: str) -> None:
    value = getattr(paperpulse, name)
    assert getattr(value, "__name__", name) == name or name in ("daily", "backfill")


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
