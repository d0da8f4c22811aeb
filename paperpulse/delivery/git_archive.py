"""Commit the Markdown archive to a git repository with the ``git`` CLI, and push it.

Idempotent: writing identical files makes no commit. Author and committer come from the
environment of each git call, so neither the user's global config nor ``user.*`` is needed (the
repository's own config gets them too, for people committing by hand). A failed push keeps the
commit and is reported in ``CommitResult.push_error``; the next call pushes whatever is
unpushed. Git never prompts: a push that needs credentials fails instead of hanging.

With a remote, what was pushed to it from elsewhere (a reader editing ``feedback.txt`` on the
git host) is pulled first (``pull``): fast-forward, or a merge when both sides moved and it
merges cleanly. A remote that does not merge cleanly is reported in one line; the local
commits stay, unpushed, until a person merges.

A person's uncommitted work is never lost: a file we would overwrite that differs from its
last commit (or an untracked file in our way) stops the write with one line naming it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from paperpulse.core.errors import DeliveryError
from paperpulse.core.redaction import hide_url_credentials
from paperpulse.delivery.files import write_atomically

REMOTE_NAME = "origin"
GIT_TIMEOUT = 120.0  # seconds; a push to an unreachable host must not hang a run forever


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitResult:
    sha: str | None  # HEAD after the call; None while the repository has no commit
    committed: bool  # a new commit was made by this call
    pushed: bool | None  # None: no remote configured; True: the remote has HEAD
    push_error: str | None = None


class ArchiveRepo:
    """A git working tree holding the archive; created on first use."""

    def __init__(
        self,
        path: Path,
        author_name: str,
        author_email: str,
        remote: str | None = None,
        branch: str = "main",
    ) -> None:
        self.path = Path(path)
        self.author_name = author_name
        self.author_email = author_email
        self.remote = remote
        self.branch = branch

    def __repr__(self) -> str:
        remote = hide_url_credentials(self.remote) if self.remote else None
        return f"ArchiveRepo({str(self.path)!r}, branch={self.branch!r}, remote={remote!r})"

    def ensure(self) -> None:
        """Create the directory and repository if missing; check an existing one is usable."""
        if shutil.which("git") is None:
            raise DeliveryError("git archive: the git command was not found; install git")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DeliveryError(
                f"git archive: cannot create {self.path}: {exc.strerror or exc}; "
                "choose a writable archive directory"
            ) from exc
        if not os.access(self.path, os.W_OK | os.X_OK):
            raise DeliveryError(
                f"git archive: {self.path} is not writable; fix its permissions or choose "
                "another archive directory"
            )
        if not self._is_repo_root():
            self._git("init", "--quiet", f"--initial-branch={self.branch}")
            self._git("config", "--local", "user.name", self.author_name)
            self._git("config", "--local", "user.email", self.author_email)
        current = self._git("symbolic-ref", "--quiet", "HEAD", check=False).stdout.strip()
        if current != f"refs/heads/{self.branch}":
            raise DeliveryError(
                f"git archive: {self.path} is on {current or 'a detached HEAD'}, expected "
                f"branch {self.branch!r}; check it out or configure that branch"
            )
        if self.remote is not None:
            self._ensure_remote(self.remote)

    def write_and_commit(self, files: Mapping[str, str], message: str) -> CommitResult:
        """Pull, write ``files`` (relative path -> text), commit them if anything changed, push.

        A pull that fails (an unreachable remote, one that does not merge cleanly) still
        writes and commits locally; the push is skipped, and the pull's one line is the
        ``push_error``. The next call pulls and pushes what is unpushed."""
        if not message.strip():
            raise DeliveryError("git archive: the commit message is empty")
        targets = {self._target(relative): text for relative, text in files.items()}
        self.ensure()
        pull_error = self.pull()
        self._refuse_to_clobber(targets)
        for target, text in targets.items():
            _write_atomically(target, text)
        pathspecs = [str(target.relative_to(self.root)) for target in targets]
        committed = False
        if pathspecs:
            self._git("add", "--", *pathspecs)
            staged = self._git("diff", "--cached", "--quiet", "--", *pathspecs, check=False)
            if staged.returncode not in (0, 1):
                raise DeliveryError(f"git archive: git diff failed: {staged.stderr.strip()}")
            if staged.returncode == 1:
                # Only these paths: anything else a person staged by hand stays staged.
                self._git("commit", "--quiet", "--file=-", "--", *pathspecs, stdin=message)
                committed = True
        sha = self._head()
        if self.remote is None:
            return CommitResult(sha=sha, committed=committed, pushed=None)
        if sha is None:
            return CommitResult(sha=None, committed=False, pushed=True)
        if pull_error is not None:
            # Unreachable: a push would wait for the same host again; diverged: it would be
            # refused. Either way the pull's line says what to do, once.
            return CommitResult(sha=sha, committed=committed, pushed=False, push_error=pull_error)
        push_error = self._push(sha)
        return CommitResult(
            sha=sha, committed=committed, pushed=push_error is None, push_error=push_error
        )

    def pull(self) -> str | None:
        """Bring in the remote branch's new commits; None when done (or nothing to do), else
        one line saying what failed and what to do. Nothing local is ever discarded: a merge
        that conflicts is aborted, and git refuses to overwrite uncommitted changes."""
        if self.remote is None:
            return None
        self.ensure()
        remote = hide_url_credentials(self.remote)
        tracking = f"refs/remotes/{REMOTE_NAME}/{self.branch}"
        try:
            fetched = self._git(
                "fetch",
                "--quiet",
                REMOTE_NAME,
                f"+refs/heads/{self.branch}:{tracking}",
                check=False,
            )
        except DeliveryError as exc:  # a timeout
            return str(exc)
        if fetched.returncode != 0:
            if "couldn't find remote ref" in fetched.stderr:
                return None  # an empty remote: the push creates the branch
            detail = hide_url_credentials(" ".join(fetched.stderr.split())) or "no message"
            return (
                f"fetch from {remote} failed: {detail}; check the remote and its credentials "
                "(feedback given there is read once it is reachable)"
            )
        theirs = self._git("rev-parse", "--verify", "--quiet", tracking).stdout.strip()
        ours = self._head()
        if ours == theirs or (ours and self._is_ancestor(theirs, ours)):
            return None  # nothing new there
        if ours is None or self._is_ancestor(ours, theirs):
            merged = self._git("merge", "--ff-only", "--quiet", tracking, check=False)
        else:
            merged = self._git(
                "merge",
                "--no-edit",
                "--quiet",
                "-m",
                f"Merge {self.branch} from {REMOTE_NAME}",
                tracking,
                check=False,
            )
        if merged.returncode == 0:
            return None
        conflicted = self._git("diff", "--name-only", "--diff-filter=U", check=False).stdout.split()
        if self._git("rev-parse", "--verify", "--quiet", "MERGE_HEAD", check=False).returncode == 0:
            self._git("merge", "--abort", check=False)
        what = (
            f"conflicts in {', '.join(conflicted)}"
            if conflicted
            else " ".join(merged.stderr.split())[:200] or "merge failed"
        )
        return (
            f"{remote} has commits that do not merge into the archive ({what}); the local "
            f"commits are kept, unpushed: merge by hand (git -C {self.path} pull {REMOTE_NAME} "
            f"{self.branch}), then the next run pushes"
        )

    def _is_ancestor(self, older: str, newer: str) -> bool:
        return self._git("merge-base", "--is-ancestor", older, newer, check=False).returncode == 0

    @property
    def root(self) -> Path:
        return self.path.resolve()

    def _target(self, relative: str) -> Path:
        """Refuse any path that would land outside the archive or inside ``.git``."""
        pure = PurePosixPath(relative)
        if (
            not relative
            or not pure.parts  # "." names the archive itself
            or pure.is_absolute()
            or "\\" in relative
            or any(ord(char) < 32 for char in relative)
            or any(part in ("..", "") for part in pure.parts)
            or pure.parts[0].lower() == ".git"
        ):
            raise DeliveryError(f"git archive: refusing to write {relative!r} (outside archive)")
        target = self.root.joinpath(*pure.parts)
        # Symlinks inside the archive could still point outside it.
        resolved = target.resolve()
        if not resolved.is_relative_to(self.root) or resolved.is_relative_to(self.root / ".git"):
            raise DeliveryError(f"git archive: refusing to write {relative!r} (leaves archive)")
        return target

    def _refuse_to_clobber(self, targets: Mapping[Path, str]) -> None:
        """Stop before overwriting changes nobody committed (a person's edits)."""
        pathspecs = [str(target.relative_to(self.root)) for target in targets]
        if not pathspecs:
            return
        born = self._head() is not None  # in a new repository every file is untracked
        status = self._git("status", "--porcelain=v1", "-z", "--", *pathspecs).stdout
        theirs = []
        for entry in filter(None, status.split("\0")):
            code, name = entry[:2], entry[3:]
            if "D" in code or (code == "??" and not born):
                continue  # a deleted file is recreated: nothing of theirs is lost
            target = self.root / name
            if target in targets and not _holds(target, targets[target]):
                theirs.append(name)
        if theirs:
            names = ", ".join(sorted(theirs))
            raise DeliveryError(
                f"git archive: {self.path} has uncommitted changes to {names} that this "
                f"delivery would overwrite; commit them (git -C {self.path} commit) or discard "
                f"them (git -C {self.path} checkout -- FILE), then run `paperpulse deliver`"
            )

    def _is_repo_root(self) -> bool:
        result = self._git("rev-parse", "--show-toplevel", check=False)
        return result.returncode == 0 and Path(result.stdout.strip()).resolve() == self.root

    def _ensure_remote(self, url: str) -> None:
        current = self._git("remote", "get-url", REMOTE_NAME, check=False)
        if current.returncode != 0:
            self._git("remote", "add", REMOTE_NAME, url)
        elif current.stdout.strip() != url:
            self._git("remote", "set-url", REMOTE_NAME, url)

    def _head(self) -> str | None:
        result = self._git("rev-parse", "--verify", "--quiet", "HEAD", check=False)
        if result.returncode != 0:  # an unborn branch: no commit yet
            return None
        return result.stdout.strip() or None

    def _push(self, sha: str) -> str | None:
        """Push unless the remote-tracking branch has ``sha``; None or the failure text."""
        tracking = f"refs/remotes/{REMOTE_NAME}/{self.branch}"
        known = self._git("rev-parse", "--verify", "--quiet", tracking, check=False)
        if known.returncode == 0 and known.stdout.strip() == sha:
            return None
        try:
            result = self._git(
                "push", "--quiet", REMOTE_NAME, f"HEAD:refs/heads/{self.branch}", check=False
            )
        except DeliveryError as exc:  # a timeout: report it like any failed push
            return str(exc)
        if result.returncode == 0:
            # Record what the remote now has, so an unchanged next call skips the push.
            self._git("update-ref", tracking, sha)
            return None
        detail = (
            hide_url_credentials(" ".join(result.stderr.split()))
            or f"exit status {result.returncode}"
        )
        return f"push to {hide_url_credentials(self.remote or '')} failed: {detail}"

    def _git(
        self, *args: str, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": self.author_name,
            "GIT_AUTHOR_EMAIL": self.author_email,
            "GIT_COMMITTER_NAME": self.author_name,
            "GIT_COMMITTER_EMAIL": self.author_email,
            "GIT_TERMINAL_PROMPT": "0",  # fail instead of waiting for a password
            "GIT_LITERAL_PATHSPECS": "1",  # file names are names, never glob patterns
            "LC_ALL": "C",  # English messages, so errors can be recognised
        }
        command = ["git", "-C", str(self.path), *args]
        try:
            result = subprocess.run(
                command,
                input=stdin,
                capture_output=True,
                text=True,
                env=env,
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except FileNotFoundError as exc:
            raise DeliveryError("git archive: the git command was not found; install git") from exc
        except subprocess.TimeoutExpired as exc:
            raise DeliveryError(
                f"git archive: git {args[0]} took longer than {GIT_TIMEOUT:.0f}s in {self.path}"
            ) from exc
        if check and result.returncode != 0:
            raise DeliveryError(_explain(self.path, args, result.stderr))
        return result


def _explain(path: Path, args: Sequence[str], stderr: str) -> str:
    detail = hide_url_credentials(" ".join(stderr.split())) or "no message"
    hint = "check the archive directory"
    if "dubious ownership" in stderr:
        hint = (
            "the directory belongs to another user; if that is expected run "
            f"'git config --global --add safe.directory {path}'"
        )
    elif "Permission denied" in stderr or "Read-only file system" in stderr:
        hint = f"make {path} writable"
    return f"git archive: git {args[0]} failed in {path}: {detail}; {hint}"


def _holds(target: Path, text: str) -> bool:
    try:
        return target.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def _write_atomically(target: Path, text: str) -> None:
    try:
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            return  # untouched files keep their mtime; git would see no change either way
        write_atomically(target, text.encode("utf-8"))  # 0644: the archive is meant to be read
    except (OSError, UnicodeDecodeError) as exc:
        raise DeliveryError(
            f"git archive: cannot write {target}: {exc}; make the archive directory writable"
        ) from exc
