"""Secrets never leave: the HF token, the Semantic Scholar key and the SMTP password.

Each is a unique canary. The HTTP client is driven through 401, 429, 500, a timeout and a server
that echoes every request header back (in its body and its response headers, on errors and on
200s); SMTP through a wrong password (535), a server echoing the password in a refusal, and a
dropped connection. Then everything a run leaves behind is grepped for the canaries (and their
base64 forms): logs at DEBUG (httpx and httpcore included), stdout/stderr, exception strings,
reprs and chains, the values returned, settings reprs, the digest rendered from those failures,
the git archive it is committed to (files and ``git log -p``) and the outbox .eml file.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import subprocess
import threading
import traceback
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from paperpulse.config.settings import Settings
from paperpulse.core.errors import DeliveryError, PaperpulseError, SourceError
from paperpulse.core.models import Listing, Sighting
from paperpulse.delivery.git_archive import ArchiveRepo
from paperpulse.delivery.outbox import write_to_outbox
from paperpulse.delivery.smtp import SmtpSettings, send
from paperpulse.digest.archive_paths import daily_path
from paperpulse.digest.email_message import build_message
from paperpulse.digest.models import RenderedDigest, SourceHealth
from paperpulse.digest.render import render_all
from paperpulse.scrapers import hf_daily
from paperpulse.scrapers.http import HttpClient, default_settings
from tests.clocks import FakeClock
from tests.delivery.conftest import RecordingHandler, free_port
from tests.digest_builders import build_daily
from tests.reliability.record import record

HF_TOKEN = "hf_CANARYtoken7f3a9c1e5b"
S2_KEY = "s2-CANARYkey4d8e2a6f0c"
SMTP_PASSWORD = "CANARYpassw0rd-9b1d7e3f"
SMTP_USER = "digest-bot"
SECRETS = (HF_TOKEN, S2_KEY, SMTP_PASSWORD)
NOW = datetime(2024, 8, 1, 6, 0, tzinfo=UTC)
DAY = date(2024, 8, 1)
CATEGORY = "Secrets"


def forms(secret: str) -> list[str]:
    """The secret and the encodings it travels in (HTTP Basic, SMTP AUTH PLAIN/LOGIN)."""
    return [
        secret,
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(f"\0{SMTP_USER}\0{secret}".encode()).decode(),
    ]


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        for form in forms(secret):
            assert form not in text, f"{where} holds a secret: {form[:12]}..."


def exception_texts(error: BaseException) -> str:
    """str, repr and the formatted traceback of an error and of every error in its chain."""
    texts = ["".join(traceback.format_exception(error))]
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), repr(current.args)]
        if isinstance(current, SourceError):
            texts.append(current.url)
        current = current.__cause__ or current.__context__
    return "\n".join(texts)


# --- an HTTP server that echoes every request header --------------------------------------


class EchoServer:
    """``/status/N`` answers N, ``/hold`` never answers, ``/api/daily_papers`` answers 200 with
    a paper whose title and abstract are the request headers; every answer also echoes the
    headers in its body and in ``X-Echo-*`` response headers."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.echoed: list[str] = []  # what each request carried, credentials first
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                # Credentials first, so a message cut short still holds them.
                ordered = sorted(
                    self.headers.items(),
                    key=lambda kv: kv[0].lower() not in ("authorization", "x-api-key"),
                )
                echoed = "; ".join(f"{k}: {v}" for k, v in ordered)
                server.echoed.append(echoed)
                if parts.path == "/hold":
                    server.stop.wait(5)
                    self.close_connection = True
                    return
                if parts.path.startswith("/status/"):
                    status = int(parts.path.rsplit("/", 1)[1])
                    body = json.dumps({"error": f"refused: {echoed}"}).encode()
                elif parse_qs(parts.query).get("date") == ["error"]:
                    status, body = 200, json.dumps({"error": f"bad credentials {echoed}"}).encode()
                else:
                    status, body = 200, json.dumps(echo_papers(echoed)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name in ("Authorization", "x-api-key"):
                    if value := self.headers.get(name):
                        self.send_header(f"X-Echo-{name}", value)
                if status in (429, 503):
                    self.send_header("Retry-After", "1")
                if status == 401:
                    self.send_header("WWW-Authenticate", f'Bearer error="{echoed}"')
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> EchoServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def echo_papers(echoed: str) -> list[dict[str, Any]]:
    return [
        {
            "paper": {
                "id": "2408.00001",
                "title": f"Echo {echoed}",
                "summary": f"Headers were {echoed}.",
                "authors": [{"name": echoed[:200]}],
                "upvotes": 3,
            },
            "organization": {"fullname": echoed[:100]},
        }
    ]


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    with EchoServer() as server:
        yield server


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "scrapers", "delivery", "digest"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def client_for(server: EchoServer) -> HttpClient:
    settings = dataclasses.replace(
        default_settings(
            hf_url=server.url, semantic_scholar_url=server.url, hf_token=HF_TOKEN, s2_api_key=S2_KEY
        ),
        read_timeout=0.2,
        max_retries=1,
    )
    return HttpClient(settings, clock=FakeClock(), rng=lambda: 0.5)


def test_http_failures_and_echoing_servers_never_reveal_the_token_or_key(
    echo: EchoServer,
    captured: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    errors: dict[str, PaperpulseError] = {}
    with client_for(echo) as client:
        for status in (401, 403, 429, 500, 503):
            with pytest.raises(SourceError) as caught:
                client.get(f"{echo.url}/status/{status}", source="hf-daily")
            errors[f"HTTP {status}"] = caught.value
        with pytest.raises(SourceError) as caught:
            client.get(f"{echo.url}/hold", source="hf-daily")
        errors["timeout"] = caught.value
        # 200s whose paper fields and headers are the request's headers.
        fetched = client.get(f"{echo.url}/api/daily_papers?date=x", source="hf-daily")
        listing = hf_daily.fetch_daily(client, base_url=echo.url, list_date=DAY, now=NOW)
        with pytest.raises(SourceError) as caught:
            hf_daily.parse_api(
                client.get(f"{echo.url}/api/daily_papers?date=error", source="hf-daily").content,
                url=f"{echo.url}/api/daily_papers?date=error",
                requested_date=DAY,
                fetched_at=NOW,
            )
        errors["200 with an echoing error body"] = caught.value
        stats = repr(client.stats)
        client_repr = repr(client) + repr(client.settings)

    # The server did receive and echo the secrets (the test would prove nothing otherwise).
    assert all(HF_TOKEN in seen and S2_KEY in seen for seen in echo.echoed)

    for name, error in errors.items():
        assert_no_secret(exception_texts(error), f"error after {name}")
    assert_no_secret(repr(fetched) + repr(dict(fetched.headers)), "a returned response")
    assert_no_secret(repr(listing), "a parsed listing")
    assert_no_secret(stats + client_repr, "client and settings reprs")
    assert_no_secret(captured.text, "logs (DEBUG, httpx and httpcore included)")
    out, err = capfd.readouterr()
    assert_no_secret(out + err, "stdout/stderr")

    # What a run leaves behind: a digest that reports these failures, archived and mailed.
    files = leave_behind(listing, errors, tmp_path)
    for path, text in files.items():
        assert_no_secret(text, path)
    record(
        category=CATEGORY,
        case="HF token + S2 key; HTTP 401/403/429/500/503, timeout, headers echoed (body, "
        "headers, 200 error body, 200 paper fields)",
        where="logs (DEBUG), stdout/stderr, exceptions (str/repr/chain), responses, listings, "
        "reprs, rendered digest, git archive + git log -p, outbox .eml",
        outcome="no canary anywhere",
        trials=len(errors) + 2,
    )


def leave_behind(
    listing: Listing, errors: dict[str, PaperpulseError], tmp_path: Path
) -> dict[str, str]:
    """Render a digest of ``listing`` with every error as a failed source; archive and mail it."""
    items = [
        (
            item.paper,
            Sighting(
                arxiv_id=item.paper.arxiv_id,
                source="hf-daily",
                period=DAY.isoformat(),
                run_id=1,
                observed_at=NOW,
                rank=item.rank,
                upvotes=item.upvotes,
            ),
        )
        for item in listing.items
    ]
    health = [
        SourceHealth(source=name, status="failed", error=str(e)) for name, e in errors.items()
    ]
    digest = build_daily(
        list_date=DAY,
        items=items,
        previous={},
        new_ids=set(),
        updated=0,
        health=health,
        generated_at=NOW,
    )
    rendered = render_all(digest)
    repo = ArchiveRepo(tmp_path / "archive", "paperpulse", "bot@example.org")
    repo.write_and_commit({daily_path(DAY): rendered.markdown}, f"digest {rendered.subject}")
    message = _message(rendered)
    eml = write_to_outbox(message, tmp_path / "outbox", key=rendered.key)
    git_log = subprocess.run(
        ["git", "-C", str(tmp_path / "archive"), "log", "-p", "--all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Echo" in git_log and "HTTP 401" in git_log  # the digest and its failures are there
    files = {
        str(path.relative_to(tmp_path)): path.read_text("utf-8", errors="replace")
        for path in tmp_path.rglob("*")
        if path.is_file() and ".git/objects" not in str(path)
    }
    files["git log -p"] = git_log
    files["rendered digest (Markdown, HTML, text)"] = (
        rendered.markdown + rendered.html + rendered.text
    )
    files["outbox"] = eml.read_text("utf-8", errors="replace")
    return files


# --- SMTP ------------------------------------------------------------------------------------


@dataclasses.dataclass
class DroppingHandler(RecordingHandler):
    """Drops the connection at RCPT: the client sees a disconnect after a good AUTH."""

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, _: Any
    ) -> str:
        assert server.transport is not None
        server.transport.close()
        return "250 OK"


def authenticator(expected: str) -> Any:
    def check(
        server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == expected.encode()
        return AuthResult(success=ok, handled=False)

    return check


def start_smtp(handler: RecordingHandler, expected_password: str) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator(expected_password),
        auth_required=True,
        auth_require_tls=False,  # loopback only: paperpulse allows plain AUTH there
    )
    controller.start()
    return controller, port


SMTP_CASES = {
    "wrong password (535)": (RecordingHandler(), "the-real-password"),
    "refusal echoing the password (550)": (
        RecordingHandler(refuse={"reader@example.org": f"550 5.7.1 policy: {SMTP_PASSWORD}"}),
        SMTP_PASSWORD,
    ),
    "deferral echoing the password (450)": (
        RecordingHandler(refuse={"reader@example.org": f"450 4.7.1 later {SMTP_PASSWORD}"}),
        SMTP_PASSWORD,
    ),
    "connection dropped after AUTH": (DroppingHandler(), SMTP_PASSWORD),
}


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("case", list(SMTP_CASES))
def test_smtp_failures_never_reveal_the_password(
    case: str, captured: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    handler, expected = SMTP_CASES[case]
    controller, port = start_smtp(handler, expected)
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        security="none",
        allow_plain_auth=True,  # loopback only, explicitly
        user=SMTP_USER,
        password=SMTP_PASSWORD,
        timeout=5.0,
        max_attempts=2,
        helo_name="localhost",
    )
    rendered = render_all(
        build_daily(
            list_date=DAY,
            items=[],
            previous={},
            new_ids=set(),
            updated=0,
            health=[],
            generated_at=NOW,
        )
    )
    message = _message(rendered)
    try:
        with pytest.raises(DeliveryError) as caught:
            send(message, settings, sleep=lambda seconds: None)
    finally:
        controller.stop()

    assert SMTP_USER in str(caught.value) or settings.server in str(caught.value)
    assert_no_secret(exception_texts(caught.value), f"error after {case}")
    assert_no_secret(repr(settings) + str(settings), "SmtpSettings repr")
    ours = "\n".join(
        r.getMessage() for r in captured.records if not r.name.startswith("mail.log")
    )  # aiosmtpd's own log is the test server's, not paperpulse's
    assert_no_secret(ours, "logs (DEBUG)")
    out, err = capfd.readouterr()
    assert_no_secret(out + err, "stdout/stderr")
    record(
        category=CATEGORY,
        case=f"SMTP password; {case}",
        where="DeliveryError (str/repr/chain/traceback), logs (DEBUG), stdout/stderr, repr",
        outcome="DeliveryError names server and user; no canary anywhere",
    )


def test_settings_reprs_never_show_secrets() -> None:
    settings = Settings.from_env({"HF_TOKEN": HF_TOKEN})
    http = default_settings(hf_token=HF_TOKEN, s2_api_key=S2_KEY)
    smtp = SmtpSettings(host="smtp.example.org", user=SMTP_USER, password=SMTP_PASSWORD)
    assert settings.hf_token == HF_TOKEN  # the secret is there, just never shown
    for value in (settings, http, smtp):
        assert_no_secret(repr(value) + str(value) + f"{value}", type(value).__name__)
    record(
        category=CATEGORY,
        case="HF token, S2 key, SMTP password in settings",
        where="repr/str of Settings, HttpSettings, SmtpSettings",
        outcome="not shown",
        trials=3,
    )


def _message(rendered: RenderedDigest) -> EmailMessage:
    """The digest email as a reader gets it, with fixed addresses and date."""
    return build_message(
        rendered,
        sender="digest@example.org",
        recipient="reader@example.org",
        list_id="daily.paperpulse.example.org",
        unsubscribe="https://example.org/unsubscribe",
        message_id_domain="example.org",
        date=NOW,
    )
