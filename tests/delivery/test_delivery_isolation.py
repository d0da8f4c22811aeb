"""Issue 25: one channel's or one reader's failure stops only that delivery.

The real ``paperpulse deliver`` on a real git archive whose remote (a local bare repository)
rejects every push through a hook, or whose ``.git/index.lock`` was left by a killed git; the
outbox stands in for SMTP (the same per-reader path)."""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import date
from pathlib import Path

import pytest

from paperpulse.core.kinds import DeliveryStatus
from tests.contexts import context
from tests.reliability.record import record
from tests.user_cli import error_line, run_cli, store_days

CATEGORY = "Issue 25"
READERS = ("ada@example.org", "alan@example.org", "grace@example.org")


def git(where: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(where), *args], capture_output=True, text=True, check=True
    ).stdout


def config(workspace: Path, remote: Path | None = None) -> None:
    lines = ["[archive]"]
    if remote is not None:
        lines.append(f'remote = "{remote}"')
    lines.append("[email]")
    lines += [f'[[email.recipients]]\naddress = "{a}"' for a in READERS]
    (workspace / "paperpulse.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    store_days(workspace, date(2024, 8, 1), date(2024, 8, 2))


def outbox(workspace: Path) -> list[Path]:
    return sorted((workspace / "outbox").rglob("*.eml")) if (workspace / "outbox").exists() else []


def test_a_rejected_push_fails_the_run_and_every_reader_still_gets_mail(tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'push refused by policy' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    config(tmp_path, remote=bare)
    result = run_cli(tmp_path, "deliver", "--date", "2024-08-01")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "archive push: failed" in result.stdout and "not pushed" in result.stdout
    assert "push refused by policy" in result.stdout or "rejected" in result.stdout
    assert "1 delivery(ies) failed" in error_line(result)
    assert len(outbox(tmp_path)) == len(READERS)
    assert git(tmp_path / "archive", "rev-list", "--count", "HEAD").strip() != "0"
    record(
        category=CATEGORY,
        case="the archive's remote rejects the push (pre-receive hook)",
        where="`paperpulse deliver`, real git with a local bare remote, 3 readers",
        outcome="committed here; `archive push: failed` with git's answer; exit 1; all 3 emails",
    )


def test_a_stale_index_lock_fails_the_archive_only(tmp_path: Path) -> None:
    config(tmp_path)
    assert run_cli(tmp_path, "deliver", "--date", "2024-08-01").returncode == 0
    (tmp_path / "archive" / ".git" / "index.lock").write_text("", encoding="utf-8")
    result = run_cli(tmp_path, "deliver", "--date", "2024-08-02")
    assert result.returncode == 1, result.stdout + result.stderr
    archive_line = next(line for line in result.stdout.splitlines() if " archive " in line)
    assert "failed" in archive_line and "index.lock" in archive_line, archive_line
    assert "remove" in archive_line
    error_line(result)
    assert len(outbox(tmp_path)) == 2 * len(READERS)  # both days' emails, to every reader
    record(
        category=CATEGORY,
        case="a stale `.git/index.lock` in the archive",
        where="`paperpulse deliver`, real git, 3 readers",
        outcome="archive `failed` naming the lock and what to do; every reader's email sent; "
        "exit 1",
    )


def test_one_readers_unexpected_failure_stops_only_their_email(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperpulse.app import deliver as delivery
    from paperpulse.config.settings import from_environment
    from paperpulse.digest.calendar import period_for
    from tests.user_cli import workspace_env

    config(tmp_path)
    for name, value in workspace_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    real = delivery.build_for

    def build_for(*args: object, reader: str = "", **kwargs: object) -> object:
        if reader == READERS[0]:
            "Llama \ud83d herd".encode()  # what a lone surrogate did to the first reader
        return real(*args, reader=reader, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(delivery, "build_for", build_for)
    settings, cfg = from_environment()
    period = period_for("daily", delivery_day())  # type: ignore[arg-type]
    outcomes = delivery.deliver(context(settings, cfg), period, catch_up=False)
    by_reader = {o.recipient: o for o in outcomes if o.channel == "outbox"}
    assert by_reader[READERS[0]].status == DeliveryStatus.FAILED
    assert "UnicodeEncodeError" in by_reader[READERS[0]].detail
    assert [by_reader[r].status for r in READERS[1:]] == [DeliveryStatus.SENT] * 2
    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        rows = db.execute("SELECT status FROM deliveries WHERE recipient = ?", (READERS[0],))
        assert [status for (status,) in rows] == ["failed"]  # never left "sending"
    record(
        category=CATEGORY,
        case="the first reader's email raises UnicodeEncodeError (a lone surrogate)",
        where="deliver, 3 readers, real SQLite and outbox",
        outcome="that email `failed` (never left `sending`); the 2 later readers get theirs",
    )


def delivery_day() -> object:
    from datetime import date

    return date(2024, 8, 1)
