"""The wheel a packager builds installs one top-level name, ``paperpulse``, and carries what a
non-editable install needs at run time: templates, migrations, the typing marker."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def checkout_copy(into: Path) -> Path:
    """The files of a fresh clone (tracked, or new and not ignored), so the build neither
    sees local leftovers nor leaves ``build/`` in the checkout."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


@pytest.mark.slow  # about ten seconds: setuptools builds the whole package
def test_the_wheel_holds_only_paperpulse_with_its_data(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the checkout's files")
    source = checkout_copy(tmp_path / "checkout")
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    built = subprocess.run(
        [*pip, "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("paperpulse-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (info,) = {n.split("/")[0] for n in names if ".dist-info/" in n}
        top_level = archive.read(f"{info}/top_level.txt").decode().split()

    assert top_level == ["paperpulse"]
    assert {n.split("/")[0] for n in names} == {"paperpulse", info}
    package = ROOT / "paperpulse"
    shipped = {
        p.relative_to(ROOT).as_posix()
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped <= names, sorted(shipped - names)  # every module, template and migration
    assert {
        "paperpulse/py.typed",
        "paperpulse/templates/digest.md.j2",
        "paperpulse/storage/migrations/script.py.mako",
        "paperpulse/storage/migrations/versions/0001_initial.py",
    } <= names
