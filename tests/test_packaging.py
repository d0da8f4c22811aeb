"""The wheel a packager builds installs one top-level name, ``paperpulse``, and carries what a
non-editable install needs at run time: templates, migrations, the typing marker. Installed
(not editable) in a fresh venv, it answers ``--help``, runs a day against the replay server
from another directory and writes the digest, and ``pip check`` finds nothing broken."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.replay import ReplayServer

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


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the checkout's files")
    tmp_path = tmp_path_factory.mktemp("wheel")
    source = checkout_copy(tmp_path / "checkout")
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    built = subprocess.run(
        [*pip, "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (found,) = (tmp_path / "dist").glob("paperpulse-*.whl")
    return found


@pytest.mark.slow  # about ten seconds: setuptools builds the whole package
def test_the_wheel_holds_only_paperpulse_with_its_data(wheel: Path) -> None:
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


@pytest.mark.slow  # a minute or two: pip installs every dependency into a fresh venv
def test_a_fresh_install_runs_a_day_from_another_directory(
    wheel: Path, tmp_path: Path, shared_data: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / "bin"
    installed = subprocess.run(
        [bin_dir / "pip", "install", "-q", str(wheel)], capture_output=True, text=True
    )
    if installed.returncode != 0 and "No matching distribution" in installed.stderr:
        pytest.skip("the dependencies cannot be downloaded here (no package index)")
    assert installed.returncode == 0, installed.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERPULSE_", "PYTHON"))}

    def run(*args: str | Path, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in args],
            cwd=elsewhere,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=300,
        )

    helped = run(bin_dir / "paperpulse", "--help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: paperpulse"), helped.stderr
    checked = run(bin_dir / "pip", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    names = run(
        bin_dir / "python",
        "-c",
        "import importlib.metadata as m, paperpulse; "
        "print(m.distribution('paperpulse').read_text('top_level.txt').strip()); "
        "print(paperpulse.__file__)",
    )
    top_level, module = names.stdout.split()
    assert top_level == "paperpulse" and module.startswith(str(venv)), names.stdout
    with ReplayServer(shared_data / "hf_api_daily") as server:
        ran = run(
            bin_dir / "paperpulse",
            "run",
            "--date",
            "2024-08-01",
            PAPERPULSE_HF_URL=server.url,
            PAPERPULSE_HF_MIN_INTERVAL="0",
        )
    assert ran.returncode == 0, ran.stderr
    assert "Traceback" not in ran.stderr
    assert (
        ran.stdout.startswith("2024-08-01: ")
        and "digest: archive/2024/08/2024-08-01.md" in ran.stdout
    )
    digest = (elsewhere / "archive" / "2024" / "08" / "2024-08-01.md").read_text(encoding="utf-8")
    assert "# paperpulse · Daily Papers · Thursday 01 August 2024" in digest
    assert (elsewhere / "data" / "paperpulse.db").is_file()
