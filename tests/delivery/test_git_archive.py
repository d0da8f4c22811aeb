"""The git archive against real repositories in tmp_path (and a local bare repo as remote)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from paperpulse.core.errors import DeliveryError
from paperpulse.delivery.git_archive import ArchiveRepo, CommitResult

AUTHOR = ("paperpulse bot", "bot@paperpulse.example.org")
FILES = {"archive/2024/08/2024-08-01.md": "# Daily\n\n- paper\n", "archive/README.md": "# idx\n"}


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user or system git config: proves the archive needs none and never writes one."""
    global_config = tmp_path / "global.gitconfig"
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for variable in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_DIR", "GIT_WORK_TREE"):
        monkeypatch.delenv(variable, raising=False)
    return global_config


def git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(path), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def repo(path: Path, remote: str | None = None) -> ArchiveRepo:
    return ArchiveRepo(path, *AUTHOR, remote=remote)


def bare_remote(tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(remote)], check=True)
    return remote


def test_first_write_creates_the_repo_and_commits_as_the_configured_author(
    tmp_path: Path, isolated_git: Path
) -> None:
    archive = repo(tmp_path / "archive-repo")

    result = archive.write_and_commit(FILES, "Daily digest 2024-08-01\n\n12 papers")

    assert result.committed and result.sha and result.pushed is None
    assert result.sha == git(archive.path, "rev-parse", "HEAD")
    log = git(archive.path, "log", "-1", "--format=%an|%ae|%cn|%ce|%s|%b")
    author = "paperpulse bot|bot@paperpulse.example.org"
    assert log == f"{author}|{author}|Daily digest 2024-08-01|12 papers"
    assert git(archive.path, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert git(archive.path, "ls-files").splitlines() == sorted(FILES)
    for relative, text in FILES.items():
        assert (archive.path / relative).read_text(encoding="utf-8") == text
    assert git(archive.path, "config", "--local", "user.name") == "paperpulse bot"
    assert not isolated_git.exists()  # the global config was never written


def test_an_identical_write_makes_no_commit(tmp_path: Path) -> None:
    archive = repo(tmp_path / "a")
    first = archive.write_and_commit(FILES, "first")

    second = archive.write_and_commit(FILES, "second")

    assert second == CommitResult(sha=first.sha, committed=False, pushed=None)
    assert git(archive.path, "rev-list", "--count", "HEAD") == "1"


def test_only_the_given_files_are_committed(tmp_path: Path) -> None:
    archive = repo(tmp_path / "a")
    archive.write_and_commit(FILES, "first")
    (archive.path / "notes.txt").write_text("staged by a person\n")
    git(archive.path, "add", "notes.txt")

    result = archive.write_and_commit({"archive/README.md": "# idx v2\n"}, "index")

    assert result.committed
    assert git(archive.path, "show", "--name-only", "--format=", "HEAD") == "archive/README.md"
    assert git(archive.path, "diff", "--cached", "--name-only") == "notes.txt"


@pytest.mark.parametrize(
    "relative",
    [
        "../outside.md",
        "/etc/passwd",
        ".git/config",
        ".GIT/hooks/x",
        "a/../../x.md",
        "",
        ".",
        "a\\b",
    ],
)
def test_paths_outside_the_archive_are_refused_before_anything_is_written(
    tmp_path: Path, relative: str
) -> None:
    archive = repo(tmp_path / "a")

    with pytest.raises(DeliveryError, match="refusing to write"):
        archive.write_and_commit({"archive/ok.md": "ok\n", relative: "x"}, "bad")

    assert not (tmp_path / "a" / "archive" / "ok.md").exists()
    assert not (tmp_path / "outside.md").exists()


def test_a_symlink_out_of_the_archive_is_refused(tmp_path: Path) -> None:
    archive = repo(tmp_path / "a")
    archive.ensure()
    (tmp_path / "elsewhere").mkdir()
    (archive.path / "link").symlink_to(tmp_path / "elsewhere")

    with pytest.raises(DeliveryError, match="leaves archive"):
        archive.write_and_commit({"link/x.md": "x"}, "bad")
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_a_failed_push_keeps_the_commit_and_the_next_call_pushes_it(tmp_path: Path) -> None:
    remote = bare_remote(tmp_path)
    archive = repo(tmp_path / "a", remote=str(remote))
    first = archive.write_and_commit(FILES, "first")
    assert first.pushed is True and first.push_error is None
    assert git(remote, "rev-parse", "main") == first.sha

    hidden = remote.rename(tmp_path / "remote-away.git")  # the remote becomes unreachable
    changed = {**FILES, "archive/README.md": "# idx v2\n"}
    failed = archive.write_and_commit(changed, "second")

    assert failed.committed and failed.pushed is False
    # The pull before the write found the host gone: no second wait for a push to it.
    assert failed.push_error and "fetch from" in failed.push_error
    assert failed.sha == git(archive.path, "rev-parse", "HEAD") != first.sha

    hidden.rename(remote)  # reachable again
    recovered = archive.write_and_commit(changed, "second again")

    assert recovered == CommitResult(sha=failed.sha, committed=False, pushed=True)
    assert git(remote, "rev-parse", "main") == failed.sha
    assert git(archive.path, "rev-list", "--count", "HEAD") == "2"


def test_push_errors_and_repr_never_show_credentials(tmp_path: Path) -> None:
    remote = "https://bot:tok3n-s3cret@127.0.0.1:9/archive.git"  # port 9: refused at once
    archive = repo(tmp_path / "a", remote=remote)

    result = archive.write_and_commit(FILES, "first")

    assert result.committed and result.pushed is False and result.push_error
    assert "tok3n-s3cret" not in result.push_error
    assert "tok3n-s3cret" not in repr(archive)


def test_the_archive_may_live_inside_another_repository(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "--quiet", str(tmp_path / "project")], check=True)
    archive = repo(tmp_path / "project" / "site-archive")

    archive.write_and_commit(FILES, "first")

    assert git(archive.path, "rev-parse", "--show-toplevel") == str(archive.path.resolve())
    assert git(tmp_path / "project", "rev-list", "--all") == ""  # the outer repo is untouched


def test_a_repository_on_another_branch_is_refused(tmp_path: Path) -> None:
    archive = repo(tmp_path / "a")
    archive.write_and_commit(FILES, "first")
    git(archive.path, "checkout", "--quiet", "-b", "drafts")

    with pytest.raises(DeliveryError, match="expected branch 'main'"):
        archive.write_and_commit(FILES, "again")


def test_missing_git_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))

    with pytest.raises(DeliveryError, match="install git"):
        repo(tmp_path / "a").ensure()


def test_an_unusable_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")

    with pytest.raises(DeliveryError, match="choose a writable archive directory"):
        repo(blocker / "archive").write_and_commit(FILES, "first")


def test_an_empty_commit_message_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeliveryError, match="commit message is empty"):
        repo(tmp_path / "a").write_and_commit(FILES, "  \n")


def _seed_remote(tmp_path: Path, remote: Path, files: dict[str, str]) -> None:
    """Commit ``files`` to ``remote``'s main from a clone, as someone on the git host would."""
    clone = tmp_path / "elsewhere-clone"
    subprocess.run(["git", "clone", "--quiet", str(remote), str(clone)], check=True)
    # The bare repository's HEAD may name another branch: work on main, as the archive does.
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", "-B", "main", "origin/main"])
    for name, text in files.items():
        (clone / name).write_text(text, encoding="utf-8")
    ident = ["-c", "user.name=Ada", "-c", "user.email=ada@example.org"]
    git(clone, "add", "--all")
    git(clone, *ident, "commit", "--quiet", "-m", "from the host")
    git(clone, "push", "--quiet", "origin", "HEAD:main")


def test_a_remote_with_history_is_pulled_into_a_new_archive(tmp_path: Path) -> None:
    remote = bare_remote(tmp_path)
    _seed_remote(tmp_path, remote, {"README.md": "# my papers\n", "feedback.txt": "like 2408.1\n"})
    archive = repo(tmp_path / "a", remote=str(remote))

    result = archive.write_and_commit(FILES, "first")

    # The host's commit is the archive's first, ours on top of it: the push is a fast-forward.
    assert result.committed and result.pushed is True and result.push_error is None
    assert git(archive.path, "log", "--format=%s").splitlines() == ["first", "from the host"]
    assert (archive.path / "feedback.txt").read_text(encoding="utf-8") == "like 2408.1\n"
    assert git(remote, "rev-parse", "main") == result.sha


def test_a_pull_never_overwrites_uncommitted_changes(tmp_path: Path) -> None:
    remote = bare_remote(tmp_path)
    archive = repo(tmp_path / "a", remote=str(remote))
    archive.write_and_commit(FILES, "first")
    _seed_remote(tmp_path, remote, {"feedback.txt": "hide 2408.2\n"})
    (archive.path / "feedback.txt").write_text("like 2408.3\n", encoding="utf-8")  # not committed

    problem = archive.pull()

    assert problem is not None and "\n" not in problem and "feedback.txt" in problem
    assert (archive.path / "feedback.txt").read_text(encoding="utf-8") == "like 2408.3\n"
    assert git(archive.path, "rev-list", "--count", "HEAD") == "1"
