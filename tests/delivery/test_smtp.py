"""Send through a real SMTP server (aiosmtpd on 127.0.0.1): plain, STARTTLS, SSL, AUTH, retries."""

from __future__ import annotations

import email
import logging
import socket
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

import pytest

from paperpulse.core.errors import ConfigError, DeliveryError
from paperpulse.delivery.smtp import SmtpSettings, send
from paperpulse.digest.email_message import build_message
from tests.delivery.conftest import (
    SMTP_PASSWORD,
    SMTP_USER,
    RecordingHandler,
    StartServer,
    TlsFiles,
    check_credentials,
    free_port,
)
from tests.digest_builders import render_sample

SENT_AT = datetime(2024, 8, 1, 6, 30, tzinfo=UTC)


def compose(recipient: str = "alice@example.org", papers: int = 4) -> EmailMessage:
    return build_message(
        render_sample(papers, None),
        sender="paperpulse <digest@example.org>",
        recipient=recipient,
        list_id="daily.paperpulse.example.org",
        unsubscribe="https://example.org/unsubscribe?token=abc",
        message_id_domain="example.org",
        date=SENT_AT,
    )


def plain(port: int, **overrides: object) -> SmtpSettings:
    options: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "timeout": 5.0,
        "helo_name": "localhost",
    }
    options.update(overrides)
    return SmtpSettings(**options)  # type: ignore[arg-type]


class Sleeps(list[float]):
    """An injected sleep that records the delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def received_message(server_handler: RecordingHandler, index: int = 0) -> EmailMessage:
    envelope = server_handler.received[index]
    assert envelope.original_content is not None
    parsed = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_plain_relay_receives_a_complete_multipart_digest(smtp_server: StartServer) -> None:
    server = smtp_server()
    sleeps = Sleeps()
    rendered = render_sample(60, 10)  # 50 papers per section behind "more" links
    message = build_message(
        rendered,
        sender="paperpulse <digest@example.org>",
        recipient="alice@example.org",
        list_id="daily.paperpulse.example.org",
        unsubscribe=["https://example.org/u?t=abc", "mailto:unsubscribe@example.org"],
        message_id_domain="example.org",
        date=SENT_AT,
    )

    answer = send(message, plain(server.port), sleep=sleeps)

    assert answer.startswith("250") and "PP42" in answer
    assert sleeps == []
    [envelope] = server.handler.received
    assert envelope.mail_from == "digest@example.org"
    assert envelope.rcpt_tos == ["alice@example.org"]
    assert envelope.original_content is not None
    assert len(envelope.original_content) < 100_000

    got = received_message(server.handler)
    assert got.get_content_type() == "multipart/alternative"
    text_part, html_part = got.iter_parts()
    assert text_part.get_content_type() == "text/plain"
    assert html_part.get_content_type() == "text/html"
    assert text_part.get_content_charset() == "utf-8"
    assert got["Subject"] == "paperpulse daily — 2024-08-01"
    assert got["Message-ID"] == message["Message-ID"]
    assert got["Date"] == "Thu, 01 Aug 2024 06:30:00 +0000"
    assert got["List-Id"] == "<daily.paperpulse.example.org>"
    assert got["List-Unsubscribe"].strip() == (  # folded: the value starts on a new line
        "<https://example.org/u?t=abc>, <mailto:unsubscribe@example.org>"
    )
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = text_part.get_content()
    assert text.replace("\r\n", "\n").rstrip("\n") == rendered.text.rstrip("\n")
    assert "50 more in the archive" in text
    html = html_part.get_content()
    assert 'class="title"' in html and 'style="color: #1a0dab' in html
    assert "<style" not in html  # every rule was inlined, nothing for Gmail to strip


def test_a_451_is_retried_with_backoff_and_the_message_delivered_once(
    smtp_server: StartServer,
) -> None:
    server = smtp_server(RecordingHandler(defer_data=1))
    sleeps = Sleeps()

    answer = send(compose(), plain(server.port, backoff=3.0), sleep=sleeps)

    assert answer.startswith("250")
    assert server.handler.data_commands == 2
    assert len(server.handler.received) == 1
    assert sleeps == [3.0]


def test_a_greylisted_recipient_is_retried(smtp_server: StartServer) -> None:
    server = smtp_server(RecordingHandler(defer_rcpt=2))
    sleeps = Sleeps()

    send(compose(), plain(server.port), sleep=sleeps)

    assert sleeps == [2.0, 4.0]  # exponential
    assert [e.rcpt_tos for e in server.handler.received] == [["alice@example.org"]]


def test_a_refused_recipient_is_a_permanent_error_naming_it(smtp_server: StartServer) -> None:
    answer = "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown"
    server = smtp_server(RecordingHandler(refuse={"nobody@example.org": answer}))
    sleeps = Sleeps()

    with pytest.raises(DeliveryError) as caught:
        send(compose("nobody@example.org"), plain(server.port), sleep=sleeps)

    assert "nobody@example.org: 550 5.1.1" in str(caught.value)
    assert "User unknown" in str(caught.value)
    assert sleeps == []  # permanent: not retried
    assert server.handler.received == []


def test_one_refused_recipient_among_several_is_reported_after_the_others_got_it(
    smtp_server: StartServer,
) -> None:
    server = smtp_server(RecordingHandler(refuse={"bob@example.org": "550 5.1.1 no such user"}))
    message = compose()
    message["Cc"] = "bob@example.org"

    with pytest.raises(DeliveryError) as caught:
        send(message, plain(server.port), sleep=Sleeps())

    assert "bob@example.org: 550 5.1.1 no such user" in str(caught.value)
    assert "delivered to alice@example.org" in str(caught.value)
    assert [e.rcpt_tos for e in server.handler.received] == [["alice@example.org"]]


def test_an_unreachable_server_is_retried_then_reported() -> None:
    sleeps = Sleeps()
    settings = plain(free_port(), max_attempts=4, backoff=1.0, max_backoff=3.0)

    with pytest.raises(DeliveryError) as caught:
        send(compose(), settings, sleep=sleeps)

    assert sleeps == [1.0, 2.0, 3.0]  # doubling, capped at max_backoff
    assert "failed 4 time(s)" in str(caught.value)
    assert f"127.0.0.1:{settings.port}" in str(caught.value)


def test_a_server_that_never_answers_times_out_and_is_retried() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = plain(silent.getsockname()[1], timeout=0.05, max_attempts=2)
        sleeps = Sleeps()
        with pytest.raises(DeliveryError, match="failed 2 time"):
            send(compose(), settings, sleep=sleeps)
    assert sleeps == [2.0]


def test_starttls_with_auth_trusts_a_self_signed_relay_through_ca_file(
    smtp_server: StartServer,
    tls_files: TlsFiles,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    server = smtp_server(
        tls_context=tls_files.server_context(),
        require_starttls=True,
        authenticator=check_credentials,
        auth_required=True,
        auth_require_tls=True,
    )
    settings = SmtpSettings(
        host="localhost",
        port=server.port,
        security="starttls",
        user=SMTP_USER,
        password=SMTP_PASSWORD,
        ca_file=str(tls_files.ca_file),
        timeout=5.0,
        helo_name="localhost",
    )

    answer = send(compose(), settings, sleep=Sleeps())

    assert answer.startswith("250")
    assert len(server.handler.received) == 1
    assert SMTP_PASSWORD not in caplog.text
    out, err = capfd.readouterr()
    assert SMTP_PASSWORD not in out + err


def test_starttls_refuses_an_untrusted_certificate_without_retrying(
    smtp_server: StartServer, tls_files: TlsFiles
) -> None:
    server = smtp_server(tls_context=tls_files.server_context(), require_starttls=True)
    sleeps = Sleeps()
    settings = SmtpSettings(
        host="localhost", port=server.port, security="starttls", timeout=5.0, helo_name="x"
    )

    with pytest.raises(DeliveryError, match=r"not trusted.*set ca_file"):
        send(compose(), settings, sleep=sleeps)

    assert sleeps == []
    assert server.handler.received == []


def test_implicit_ssl_delivers(smtp_server: StartServer, tls_files: TlsFiles) -> None:
    server = smtp_server(ssl_context=tls_files.server_context())
    settings = SmtpSettings(
        host="localhost",
        port=server.port,
        security="ssl",
        ca_file=str(tls_files.ca_file),
        timeout=5.0,
        helo_name="localhost",
    )

    assert send(compose(), settings, sleep=Sleeps()).startswith("250")
    assert len(server.handler.received) == 1


def test_ssl_against_a_plain_port_says_which_mode_to_use(smtp_server: StartServer) -> None:
    server = smtp_server()
    settings = SmtpSettings(
        host="127.0.0.1", port=server.port, security="ssl", timeout=5.0, helo_name="x"
    )

    with pytest.raises(DeliveryError, match="another security mode"):
        send(compose(), settings, sleep=Sleeps())


def test_a_wrong_password_is_a_permanent_error_that_never_shows_it(
    smtp_server: StartServer, tls_files: TlsFiles, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-Pa55word-0451"
    server = smtp_server(
        tls_context=tls_files.server_context(),
        require_starttls=True,
        authenticator=check_credentials,
        auth_required=True,
    )
    settings = SmtpSettings(
        host="localhost",
        port=server.port,
        security="starttls",
        user=SMTP_USER,
        password=wrong,
        ca_file=str(tls_files.ca_file),
        timeout=5.0,
        helo_name="localhost",
    )
    sleeps = Sleeps()

    with pytest.raises(DeliveryError) as caught:
        send(compose(), settings, sleep=sleeps)

    assert "535" in str(caught.value) and SMTP_USER in str(caught.value)
    assert "check the SMTP user and password" in str(caught.value)
    assert sleeps == []
    for text in (str(caught.value), repr(caught.value), caplog.text, repr(settings)):
        assert wrong not in text


def test_server_text_echoing_the_password_is_redacted(
    smtp_server: StartServer, tls_files: TlsFiles
) -> None:
    echo = f"550 5.7.1 policy rejects {SMTP_PASSWORD} here"
    server = smtp_server(
        RecordingHandler(refuse={"alice@example.org": echo}),
        tls_context=tls_files.server_context(),
        require_starttls=True,
        authenticator=check_credentials,
        auth_required=True,
    )
    settings = SmtpSettings(
        host="localhost",
        port=server.port,
        user=SMTP_USER,
        password=SMTP_PASSWORD,
        ca_file=str(tls_files.ca_file),
        timeout=5.0,
        helo_name="localhost",
    )

    with pytest.raises(DeliveryError) as caught:
        send(compose(), settings, sleep=Sleeps())

    assert SMTP_PASSWORD not in str(caught.value)
    assert "alice@example.org: 550 5.7.1 policy rejects *** here" in str(caught.value)


def test_settings_repr_hides_the_password_and_validates() -> None:
    settings = SmtpSettings(
        host="smtp.example.org", security="ssl", user="u", password=SMTP_PASSWORD
    )
    assert SMTP_PASSWORD not in repr(settings) and SMTP_PASSWORD not in str(settings)
    assert settings.effective_port == 465
    assert SmtpSettings(host="smtp.example.org").effective_port == 587
    with pytest.raises(ConfigError, match="unencrypted"):
        SmtpSettings(host="smtp.example.org", security="none", user="u", password="p")
    with pytest.raises(ConfigError, match="together"):
        SmtpSettings(host="smtp.example.org", user="u")
    with pytest.raises(ConfigError, match="security"):
        SmtpSettings(host="smtp.example.org", security="tls")  # type: ignore[arg-type]


def test_a_message_without_a_usable_envelope_is_refused_before_connecting() -> None:
    message = compose()
    message.replace_header("To", "jörg@example.org")
    with pytest.raises(DeliveryError, match="SMTPUTF8"):
        send(message, plain(free_port()), sleep=Sleeps())
    del message["To"]
    with pytest.raises(DeliveryError, match="no To/Cc/Bcc"):
        send(message, plain(free_port()), sleep=Sleeps())


def test_bcc_recipients_get_the_message_but_not_the_header(smtp_server: StartServer) -> None:
    server = smtp_server()
    message = compose()
    message["Bcc"] = "carol@example.org"

    send(message, plain(server.port), sleep=Sleeps())

    [envelope] = server.handler.received
    assert envelope.rcpt_tos == ["alice@example.org", "carol@example.org"]
    assert "Bcc" not in received_message(server.handler)
    assert message["Bcc"] == "carol@example.org"  # the caller's message is left as it was
