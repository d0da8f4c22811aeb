"""Feedback given where the archive is read: feedback.txt edited on the git host (a real bare
repository, cloned and pushed to by a "reader") is pulled before the next run reads it."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from paperpulse.cli.main import main
from paperpulse.config.settings import Settings
from tests.contexts import repository
from tests.digest.foryou_pool import pool
from tests.storage.builders import make_listing, save

DAY = date(2026, 8, 3)
LIBRARY = Path(__file__).resolve().parents[1] / "fixtures" / "library" / "library.bib"
DIGEST = Path("2026") / "08" / "2026-08-03.md"


def git(where: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.org",
        "HOME": str(where),
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    done = subprocess.run(
        ["git", "-C", str(where), *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def host(workspace: Path) -> Path:
    """A bare repository as the git host, the archive configured to push there, and the day's
    papers stored."""
    bare = workspace / "host.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(bare)], check=True)
    (workspace / "paperpulse.toml").write_text(
        f'[archive]\nlibrary = "{LIBRARY}"\nremote = "{bare}"\n', encoding="utf-8"
    )
    repo = repository(Settings.from_env().database_url)
    save(repo, make_listing([replace(p, list_date=DAY) for p in pool()], period=DAY.isoformat()))
    return bare


def deliver(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["deliver", "--date", DAY.isoformat()])
    out = capsys.readouterr()
    return code, out.out + out.err


def for_you(archive: Path) -> list[str]:
    text = (archive / DIGEST).read_text(encoding="utf-8")
    section = text[text.index("## For you") :]
    section = section[: section.find("\n## ", 1) if "\n## " in section[1:] else None]
    return re.findall(r"huggingface\.co/papers/(2408\.\d+)", section)


def reader_pushes(workspace: Path, bare: Path, line: str) -> Path:
    clone = workspace / "reader"
    if not clone.exists():
        subprocess.run(["git", "clone", "--quiet", str(bare), str(clone)], check=True)
    git(clone, "pull", "--quiet", "--ff-only")
    feedback = clone / "feedback.txt"
    old = feedback.read_text(encoding="utf-8") if feedback.exists() else ""
    feedback.write_text(old + line + "\n", encoding="utf-8")
    git(clone, "add", "feedback.txt")
    git(clone, "commit", "--quiet", "-m", f"feedback: {line}")
    git(clone, "push", "--quiet", "origin", "HEAD:main")
    return clone


def test_a_hide_pushed_to_the_host_changes_the_next_ranking(
    workspace: Path, host: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = workspace / "archive"
    code, out = deliver(capsys)
    assert code == 0, out
    before = for_you(archive)
    assert before, "the library should find its KV cache papers"
    assert git(host, "rev-parse", "main") == git(archive, "rev-parse", "HEAD")

    reader_pushes(workspace, host, f"hide {before[0]}")
    code, out = deliver(capsys)
    assert code == 0, out
    after = for_you(archive)
    assert before[0] not in after and after  # hidden, and the section goes on
    assert repository(Settings.from_env().database_url).feedback("archive") == {before[0]: "hide"}
    # The reader's commit came in by fast-forward, the new digest went out on top of it.
    log = git(archive, "log", "--format=%s", "main").splitlines()
    assert log[1] == f"feedback: hide {before[0]}" and log[0].startswith("digest:")
    assert len(log) == 3 and not any(s.startswith("Merge") for s in log)
    assert git(host, "rev-parse", "main") == git(archive, "rev-parse", "HEAD")

    # Run again: nothing new anywhere, no commit, nothing pushed.
    code, out = deliver(capsys)
    assert code == 0, out
    assert git(archive, "rev-list", "--count", "HEAD") == "3"
    assert git(host, "rev-parse", "main") == git(archive, "rev-parse", "HEAD")


def test_both_sides_moving_merge_cleanly(
    workspace: Path, host: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = workspace / "archive"
    assert deliver(capsys)[0] == 0
    top = for_you(archive)[0]
    # Someone commits in the archive itself (not pushed), a reader pushes feedback meanwhile.
    (archive / "NOTES.md").write_text("kept by hand\n", encoding="utf-8")
    git(archive, "add", "NOTES.md")
    git(archive, "commit", "--quiet", "-m", "notes")
    reader_pushes(workspace, host, f"hide {top}")

    code, out = deliver(capsys)
    assert code == 0, out
    assert top not in for_you(archive)
    assert (archive / "NOTES.md").exists() and (archive / "feedback.txt").exists()
    assert git(archive, "log", "-1", "--format=%s", "HEAD~1").startswith("Merge main")
    assert git(host, "rev-parse", "main") == git(archive, "rev-parse", "HEAD")


def test_a_remote_that_conflicts_is_one_line_and_loses_nothing(
    workspace: Path, host: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = workspace / "archive"
    assert deliver(capsys)[0] == 0
    top = for_you(archive)[0]
    # The archive's own feedback.txt says one thing (committed, not pushed); the host another.
    (archive / "feedback.txt").write_text(f"like {top}\n", encoding="utf-8")
    git(archive, "add", "feedback.txt")
    git(archive, "commit", "--quiet", "-m", "local feedback")
    local = git(archive, "rev-parse", "HEAD")
    reader_pushes(workspace, host, f"hide {top}")
    remote_before = git(host, "rev-parse", "main")

    code = main(["deliver", "--date", DAY.isoformat()])
    printed = capsys.readouterr()
    out = printed.out + printed.err
    assert code == 1  # a push that failed fails the command (issue 25)
    # Said once where outcomes are listed, and once in the closing error line.
    problem = [line for line in printed.out.splitlines() if "do not merge" in line]
    assert len(problem) == 1 and "Traceback" not in out
    assert sum("do not merge" in line for line in printed.err.splitlines()) == 1
    assert "conflicts in feedback.txt" in problem[-1]
    assert f"git -C {archive} pull origin main" in problem[-1]
    # Nothing lost: the local commit is still there, the host untouched, no merge half-done.
    assert git(archive, "merge-base", "--is-ancestor", local, "HEAD") == ""
    assert (archive / "feedback.txt").read_text(encoding="utf-8") == f"like {top}\n"
    assert not (archive / ".git" / "MERGE_HEAD").exists()
    assert git(host, "rev-parse", "main") == remote_before
    assert git(archive, "status", "--porcelain") == ""


def test_recommend_reads_feedback_pushed_to_the_host(
    workspace: Path, host: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deliver(capsys)[0] == 0
    top = for_you(workspace / "archive")[0]
    reader_pushes(workspace, host, f"hide {top}")
    argv = ["recommend", "--library", str(LIBRARY), "--end", DAY.isoformat(), "--json"]
    assert main(argv) == 0
    ranked = [p["arxiv_id"] for p in json.loads(capsys.readouterr().out)]
    assert ranked and top not in ranked
