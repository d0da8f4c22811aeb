"""Delivery end to end: the daily flow emails each reader once through a real SMTP server,
commits the archive to a real git repository once, and retries a failed send next run."""

from __future__ import annotations

import subprocess
from datetime import date
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest

from tests.delivery.conftest import RunningServer
from tests.replay import ReplayServer

DAY = date(2024, 8, 1)
READERS = ("ada@example.org", "alan@example.org")
CONFIG = """
[[topics]]
name = "Language models"
include = ["language model", "LLM"]

[email]
from = "digest@paperpulse.test"
list_id = "daily.paperpulse.test"
unsubscribe = "https://paperpulse.test/unsubscribe?list=daily"

[[email.recipients]]
address = "ada@example.org"

[[email.recipients]]
address = "alan@example.org"

[archive]
author_name = "paperpulse bot"
author_email = "bot@paperpulse.test"
"""


@pytest.fixture
def wired(
    workspace: Path, smtp: RunningServer, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> ReplayServer:
    (workspace / "paperpulse.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("PAPERPULSE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PAPERPULSE_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("PAPERPULSE_SMTP_SECURITY", "none")
    monkeypatch.setenv("PAPERPULSE_HF_MIN_INTERVAL", "0")
    server = ReplayServer(shared_data / "hf_api_daily")
    with server:
        monkeypatch.setenv("PAPERPULSE_HF_URL", server.url)
        yield server


def messages(smtp: RunningServer) -> list[tuple[list[str], Message]]:
    return [
        (list(e.rcpt_tos), message_from_bytes(e.original_content or b""))
        for e in smtp.handler.received
    ]


def git_log(archive: Path) -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(archive), "log", "--format=%an <%ae>|%s"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.splitlines()


def test_each_reader_gets_one_email_and_the_archive_one_commit(
    prefect: None, wired: ReplayServer, workspace: Path, smtp: RunningServer
) -> None:
    from paperpulse.flows.daily import daily

    first = daily(list_date=DAY)
    second = daily(list_date=DAY)  # same observations: nothing to send, nothing to commit

    received = messages(smtp)
    assert sorted(r for rcpts, _ in received for r in rcpts) == sorted(READERS)
    for _, message in received:
        assert message.get_content_type() == "multipart/alternative"
        parts = [p.get_content_type() for p in message.get_payload()]  # type: ignore[union-attr]
        assert parts == ["text/plain", "text/html"]
        assert message["List-Unsubscribe"] == "<https://paperpulse.test/unsubscribe?list=daily>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Id"] and message["Message-ID"] and message["Date"]
        assert "2024-08-01" in message["Subject"]
        assert len(message.as_bytes()) < 100_000
    assert [d.status for d in first.deliveries] == ["sent", "sent", "sent"]
    # The second run finds nothing new to commit and no day a reader has not had.
    assert [d.status for d in second.deliveries] == ["unchanged"]

    archive = workspace / "archive"
    log = git_log(archive)
    assert log == ["paperpulse bot <bot@paperpulse.test>|digest: 2024-08-01 (11 papers, 1 topics)"]
    for name in ("2024/08/2024-08-01.md", "README.md", "feed.xml", "feeds/language-models.xml"):
        assert (archive / name).is_file(), name


def test_a_refused_reader_is_retried_by_the_next_run_and_nobody_gets_two(
    prefect: None, wired: ReplayServer, smtp: RunningServer
) -> None:
    from paperpulse.flows.daily import daily
    from paperpulse.flows.tasks import SourcesFailed

    smtp.handler.refuse["alan@example.org"] = "550 5.1.1 mailbox unavailable"
    with pytest.raises(SourcesFailed, match=r"alan@example\.org failed: .*550"):
        daily(list_date=DAY)
    assert [r for rcpts, _ in messages(smtp) for r in rcpts] == ["ada@example.org"]

    del smtp.handler.refuse["alan@example.org"]
    summary = daily(list_date=DAY)
    assert [r for rcpts, _ in messages(smtp) for r in rcpts] == list(READERS)
    assert [(d.recipient, d.status) for d in summary.deliveries[1:]] == [
        ("alan@example.org", "sent")
    ]


def test_without_smtp_messages_go_to_the_outbox(
    prefect: None, wired: ReplayServer, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperpulse.flows.daily import daily

    monkeypatch.delenv("PAPERPULSE_SMTP_HOST")
    monkeypatch.setenv("PAPERPULSE_OUTBOX_DIR", str(workspace / "outbox"))
    summary = daily(list_date=DAY)
    files = sorted(p.name for p in (workspace / "outbox").iterdir())
    assert len(files) == 2 and all(f.endswith(".eml") for f in files)
    assert {d.channel for d in summary.deliveries[1:]} == {"outbox"}
