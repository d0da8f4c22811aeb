"""The git archive never loses a person's work, keeps its lock inside ``.git``, and a bad
archive path is one line: the real ``paperpulse deliver`` on a real git repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.reliability.record import record
from tests.user_cli import error_line, run_cli

CATEGORY = "Hostile world"
DAY_FILE = "2024/08/2024-08-01.md"


def git(archive: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(archive), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "paperpulse.toml").write_text("", encoding="utf-8")
    return tmp_path


def test_uncommitted_edits_are_never_overwritten_and_the_lock_is_inside_git(
    workspace: Path,
) -> None:
    archive = workspace / "archive"
    first = run_cli(workspace, "deliver", "--date", "2024-08-01")
    assert first.returncode == 0, first.stderr
    assert (archive / ".git" / "paperpulse.lock").is_file()
    assert sorted(p.name for p in workspace.iterdir() if p.name.startswith(".")) == []
    commits = git(archive, "rev-list", "--count", "HEAD")

    edits = {
        "README.md": "# My reading list\n\nNotes I have not committed yet.\n",
        DAY_FILE: "my annotations of this day\n",
        "notes.md": "untracked notes of mine\n",
    }
    for name, text in edits.items():
        (archive / name).write_text(text, encoding="utf-8")
    again = run_cli(workspace, "deliver", "--date", "2024-08-01")
    assert again.returncode == 1
    line = error_line(again)
    assert "uncommitted changes to" in line and "README.md" in line and DAY_FILE in line
    for name, text in edits.items():  # every edit still there, nothing committed over them
        assert (archive / name).read_text(encoding="utf-8") == text
    assert git(archive, "rev-list", "--count", "HEAD") == commits

    git(archive, "checkout", "--", "README.md", DAY_FILE)  # the user discards their edits
    healed = run_cli(workspace, "deliver", "--date", "2024-08-01")
    assert healed.returncode == 0, healed.stderr
    assert (archive / "notes.md").read_text(encoding="utf-8") == edits["notes.md"]
    assert "?? notes.md" in git(archive, "status", "--porcelain")  # theirs: left uncommitted
    record(
        category=CATEGORY,
        case="uncommitted edits to the archive's README and a day file, plus an untracked note",
        where="`paperpulse deliver`, real git repository",
        outcome="refused in one line naming both files, exit 1; every edit intact; the "
        "untracked note is never committed; lock in `.git/paperpulse.lock`",
    )


@pytest.mark.parametrize("kind", ["a file", "under a file", "unwritable parent"])
def test_a_bad_archive_path_is_one_line(workspace: Path, kind: str) -> None:
    blocker = workspace / "blocker"
    blocker.write_text("not a directory", encoding="utf-8")
    if kind == "unwritable parent":
        parent = workspace / "ro"
        parent.mkdir(mode=0o500)
        path = parent / "archive"
    else:
        path = blocker if kind == "a file" else blocker / "archive"
    result = run_cli(workspace, "deliver", "--date", "2024-08-01", PAPERPULSE_ARCHIVE_DIR=str(path))
    if kind == "unwritable parent" and result.returncode == 0:
        pytest.skip("running as a user who can write anywhere (root)")
    assert result.returncode == 1
    line = error_line(result)
    assert str(path) in line and "PAPERPULSE_ARCHIVE_DIR" in line
    record(
        category=CATEGORY,
        case=f"PAPERPULSE_ARCHIVE_DIR is {kind}",
        where="`paperpulse deliver`",
        outcome="one line naming the path and the setting, exit 1 (was a traceback)",
    )
