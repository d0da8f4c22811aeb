"""At most once: a message whose DATA got no answer is unconfirmed, never resent by itself.

A real aiosmtpd server on 127.0.0.1 takes the message and hangs up before answering; the
real ``paperpulse deliver`` command is run as a user would.
"""

from __future__ import annotations

import email
from datetime import date
from email import policy
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from paperpulse.core.errors import ConfigError
from paperpulse.delivery.smtp import SmtpSettings, UnconfirmedDelivery, send
from tests.delivery.conftest import RecordingHandler, StartServer
from tests.delivery.test_smtp import Sleeps, compose, plain
from tests.reliability.record import record
from tests.user_cli import error_line, run_cli, store_days

CATEGORY = "Hostile world"


def test_a_drop_after_data_is_unconfirmed_and_not_retried(smtp_server: StartServer) -> None:
    handler = RecordingHandler(drop_after_data=1)
    server = smtp_server(handler)
    sleeps = Sleeps()
    with pytest.raises(UnconfirmedDelivery, match="may have been delivered") as caught:
        send(compose(), plain(server.port, max_attempts=4), sleep=sleeps)
    assert "<" in str(caught.value) and "@example.org>" in str(caught.value)  # the Message-ID
    assert handler.data_commands == 1 and len(handler.received) == 1 and sleeps == []


def test_a_drop_before_data_is_still_retried(smtp_server: StartServer) -> None:
    handler = RecordingHandler(defer_data=1)
    server = smtp_server(handler)
    send(compose(), plain(server.port), sleep=Sleeps())
    assert handler.data_commands == 2 and len(handler.received) == 1


def test_credentials_over_plain_smtp_need_loopback_and_an_explicit_opt_in() -> None:
    with pytest.raises(ConfigError, match="PAPERPULSE_SMTP_ALLOW_PLAIN_AUTH=1"):
        SmtpSettings(host="127.0.0.1", security="none", user="u", password="p")
    with pytest.raises(ConfigError, match=r"unencrypted to smtp\.example\.org"):
        SmtpSettings(
            host="smtp.example.org", security="none", user="u", password="p", allow_plain_auth=True
        )
    SmtpSettings(host="127.0.0.1", security="none", user="u", password="p", allow_plain_auth=True)


def deliver(workspace: Path, port: int, *extra: str, **env: str) -> CompletedProcess[str]:
    smtp = {
        "PAPERPULSE_SMTP_HOST": "127.0.0.1",
        "PAPERPULSE_SMTP_PORT": str(port),
        "PAPERPULSE_SMTP_SECURITY": "none",
        "PAPERPULSE_MAIL_TO": "reader@example.org",
    }
    return run_cli(workspace, "deliver", "--date", "2024-08-01", *extra, **{**smtp, **env})


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace whose database holds 1 Aug 2024's listing (a date never fetched is not
    mailed: nothing of it would reach the reader)."""
    (tmp_path / "paperpulse.toml").write_text("", encoding="utf-8")
    store_days(tmp_path, date(2024, 8, 1))
    return tmp_path


def test_deliver_twice_after_a_drop_sends_one_copy_and_resends_only_on_request(
    smtp_server: StartServer, workspace: Path
) -> None:
    handler = RecordingHandler(drop_after_data=1)
    server = smtp_server(handler)

    first = deliver(workspace, server.port)
    assert first.returncode == 1
    assert "unconfirmed" in error_line(first) and "--resend-unconfirmed" in first.stdout
    again = deliver(workspace, server.port)  # listed, not resent, not an error twice
    assert again.returncode == 0 and "skipped — unconfirmed earlier" in again.stdout
    assert len(handler.received) == 1  # 8 copies over two delivers before the fix

    resent = deliver(workspace, server.port, "--resend-unconfirmed")
    assert resent.returncode == 0, resent.stderr
    assert len(handler.received) == 2
    ids = {
        email.message_from_bytes(e.original_content or b"", policy=policy.default)["Message-ID"]
        for e in handler.received
    }
    assert len(ids) == 1  # the same Message-ID: a receiver can tell it is one message
    done = deliver(workspace, server.port, "--resend-unconfirmed")
    assert done.returncode == 0 and len(handler.received) == 2  # confirmed now: never again
    record(
        category=CATEGORY,
        case="SMTP server takes the message, then drops the connection before answering DATA",
        where="`paperpulse deliver` ×2, real aiosmtpd",
        outcome="1 copy (was 8); the first deliver says `unconfirmed` in one line, exit 1; "
        "the second lists it (exit 0); resent once only with --resend-unconfirmed, same "
        "Message-ID",
        trials=4,
    )


def test_a_password_over_plain_smtp_is_a_one_line_config_error(
    smtp_server: StartServer, workspace: Path
) -> None:
    handler = RecordingHandler()
    server = smtp_server(handler)
    result = deliver(
        workspace, server.port, PAPERPULSE_SMTP_USER="u", PAPERPULSE_SMTP_PASSWORD="hunter2-pw"
    )
    assert result.returncode == 2 and handler.data_commands == 0  # a config error
    line = error_line(result)
    assert "unencrypted" in line and "hunter2-pw" not in result.stderr + result.stdout
    record(
        category=CATEGORY,
        case="PAPERPULSE_SMTP_SECURITY=none with a user and password (loopback relay)",
        where="`paperpulse deliver`, real aiosmtpd",
        outcome="config error in one line, nothing sent; allowed only with "
        "PAPERPULSE_SMTP_ALLOW_PLAIN_AUTH=1 on loopback",
    )
