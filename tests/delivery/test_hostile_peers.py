"""Issue 25: an SMTP server or a chat service that trickles or hangs cannot hold ``deliver``.

Raw servers on 127.0.0.1 (tests/reliability/hostile_servers): an SMTP greeting sent a byte
at a time, a server silent after its greeting, a webhook trickling its reply; the real
``smtp.send`` and ``chat.send_chat`` (Apprise), then the CLI under SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest

from paperpulse.core import deadline
from paperpulse.core.deadline import Stopped
from paperpulse.core.errors import DeliveryError
from paperpulse.delivery.chat import send_chat
from paperpulse.delivery.smtp import SmtpSettings, send
from tests.reliability.hostile_servers import hostile_server, trickle
from tests.reliability.record import record
from tests.user_cli import store_days, workspace_env

CATEGORY = "Issue 25"
GREETING = b"220 smtp.example.org ESMTP ready, " + b"x" * 400 + b"\r\n"


@pytest.fixture(autouse=True)
def no_stop() -> Iterator[None]:
    yield
    deadline.STOP.clear()


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "p@example.org", "r@example.org", "digest"
    mail["Message-ID"] = "<1@example.org>"
    mail.set_content("hello")
    return mail


def smtp_to(port: int, **overrides: object) -> SmtpSettings:
    fields: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "timeout": 30.0,
        "deadline": 1.5,
        "backoff": 0.1,
        **overrides,
    }
    return SmtpSettings(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("how", ["greeting trickled a byte every 0.1 s", "silent after greeting"])
def test_a_trickling_or_silent_smtp_server_ends_at_the_send_deadline(how: str) -> None:
    steps = trickle(GREETING, 0.1) if how.startswith("greeting") else [(b"220 hi\r\n", 0)]
    with hostile_server(steps, reads_request=False, hang=True) as server:
        began = time.monotonic()
        with pytest.raises(DeliveryError) as caught:
            send(message(), smtp_to(server.port))
        took = time.monotonic() - began
    assert "SMTP deadline (1.5 s" in str(caught.value), caught.value
    assert took < 2.5, took  # the per-operation timeout (30 s) never trips
    record(
        category=CATEGORY,
        case=f"SMTP server: {how}",
        where="smtp.send, PAPERPULSE_SMTP_DEADLINE=1.5, timeout 30 s, 4 attempts",
        outcome="DeliveryError naming the deadline, under 2.5 s (was: hung until killed)",
    )


def test_a_stop_ends_an_smtp_greeting_wait_at_once() -> None:
    with hostile_server(trickle(GREETING, 0.2), reads_request=False, hang=True) as server:
        threading.Timer(0.5, deadline.request_stop, args=("SIGTERM",)).start()
        began = time.monotonic()
        with pytest.raises(Stopped):
            send(message(), smtp_to(server.port, deadline=60.0))
    assert time.monotonic() - began < 1.5


def test_a_chat_service_trickling_its_reply_ends_at_the_deadline() -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    with hostile_server(trickle(reply, 0.3), hang=True) as server:
        began = time.monotonic()
        with pytest.raises(DeliveryError) as caught:
            send_chat(
                f"json://127.0.0.1:{server.port}/hook", title="t", body="b", name="team", deadline=1
            )
        took = time.monotonic() - began
    assert "channel team: no answer within 1 s" in str(caught.value)
    assert str(server.port) not in str(caught.value)  # the URL is a secret
    assert took < 2.0, took
    record(
        category=CATEGORY,
        case="chat webhook trickling its reply",
        where="chat channel (Apprise json://), 1 s deadline",
        outcome="DeliveryError naming the channel (never the URL) after the deadline; "
        "the sender is left on a daemon thread, so the process can exit",
    )


def test_sigterm_ends_deliver_stuck_on_an_smtp_greeting(tmp_path: Path) -> None:
    (tmp_path / "paperpulse.toml").write_text(
        '[email]\n[[email.recipients]]\naddress = "r@example.org"\n', encoding="utf-8"
    )
    store_days(tmp_path, date(2024, 8, 1))
    with hostile_server(trickle(GREETING, 0.5), reads_request=False, hang=True) as server:
        env = {
            **os.environ,
            **workspace_env(tmp_path),
            "PAPERPULSE_SMTP_HOST": "127.0.0.1",
            "PAPERPULSE_SMTP_PORT": str(server.port),
            "PAPERPULSE_SMTP_SECURITY": "none",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "paperpulse.cli.main", "deliver", "--date", "2024-08-01"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        until = time.monotonic() + 60
        while server.connections == 0 and time.monotonic() < until:
            time.sleep(0.1)
        assert server.connections, "deliver never reached the SMTP server"
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
        took = time.monotonic() - sent
    assert took < 10 and process.returncode == 128 + signal.SIGTERM, (took, err)
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("paperpulse: ")]
    assert len(lines) == 1 and "stopped by SIGTERM" in lines[0], err
    record(
        category=CATEGORY,
        case="SIGTERM while an SMTP server trickles its greeting",
        where="`paperpulse deliver`, real process",
        outcome="exits within 10 s with 143 and one line; no traceback",
    )
