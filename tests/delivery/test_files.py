"""The one atomic write: old bytes or new, never a mix, and nothing left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from paperpulse.delivery.files import write_atomically


def test_a_file_is_created_with_its_folders_and_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "2024" / "08" / "day.md"
    write_atomically(path, b"first")
    write_atomically(path, b"second", durable=True)
    assert path.read_bytes() == b"second"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["day.md"]


def test_a_private_file_stays_private(tmp_path: Path) -> None:
    path = tmp_path / "message.eml"
    write_atomically(path, b"x", mode=0o600)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_failed_rename_keeps_the_old_bytes_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "feed.xml"
    write_atomically(path, b"old")

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["feed.xml"]
