"""Send one composed message over SMTP, retrying only what may succeed later.

Security modes: ``ssl`` (implicit TLS, port 465), ``starttls`` (port 587, upgrade before AUTH),
``none`` (a local relay on port 25; credentials are refused off loopback). Certificates are
verified by default; ``ca_file`` trusts a self-signed relay's certificate instead of turning
verification off.

Transient: 4xx replies, dropped connections, timeouts, connection errors; retried with
exponential backoff through an injectable ``sleep``. Permanent: 5xx replies, TLS/certificate
failures, a server without STARTTLS or AUTH; raised at once as DeliveryError naming the server,
the recipient and the server's answer. The password never appears in errors or logs: it is
not in ``repr(settings)`` and any server text that echoes it is redacted.

A recipient refused while others were accepted raises DeliveryError after the message went to
the others, naming both, so retrying never sends twice to those who already have it.

The SMTP conversation is driven step by step (MAIL, RCPT per recipient, DATA) rather than
through ``sendmail`` so each recipient's refusal and the server's final answer (often the
queue id) are reported. A retry resends the whole message, which is safe only until the
message's final dot has gone out: a server that then drops the connection (or never answers)
may well have queued it, so ``send`` raises ``UnconfirmedDelivery`` at once and never retries
it (at most once). Resending is the user's explicit decision, with the same Message-ID.

Credentials only travel encrypted: ``none`` with a user is a ConfigError unless the host is
loopback *and* ``allow_plain_auth`` says the user means it (a local relay on 127.0.0.1).
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import logging
import re
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Literal, NoReturn

from paperpulse.core.errors import ConfigError, DeliveryError
from paperpulse.core.redaction import redact

log = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "none"]
DEFAULT_PORTS: dict[str, int] = {"ssl": 465, "starttls": 587, "none": 25}


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpSettings:
    host: str
    port: int | None = None  # None: 465 for ssl, 587 for starttls, 25 for none
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    security: Security = "starttls"
    timeout: float = 30.0  # seconds, per network operation
    max_attempts: int = 4
    ca_file: str | None = None  # PEM file of CAs to trust instead of the system store
    verify_tls: bool = True
    backoff: float = 2.0  # seconds before the second attempt, doubling after each failure
    max_backoff: float = 120.0
    helo_name: str | None = None  # None: the local FQDN, as smtplib does
    allow_plain_auth: bool = False  # security "none" with a login: loopback hosts only

    def __post_init__(self) -> None:
        if self.security not in DEFAULT_PORTS:
            raise ConfigError(f"SMTP security {self.security!r} is not one of ssl, starttls, none")
        if self.max_attempts < 1:
            raise ConfigError(f"SMTP max_attempts must be at least 1, got {self.max_attempts}")
        if (self.user is None) != (self.password is None):
            raise ConfigError("SMTP user and password must be set together (or neither)")
        if self.user is not None and self.security == "none":
            if not _is_loopback(self.host):
                raise ConfigError(
                    f"refusing to send SMTP credentials unencrypted to {self.host}; "
                    "set PAPERPULSE_SMTP_SECURITY to 'starttls' or 'ssl'"
                )
            if not self.allow_plain_auth:
                raise ConfigError(
                    f"refusing to send SMTP credentials unencrypted to {self.host} "
                    "(PAPERPULSE_SMTP_SECURITY=none); use 'starttls' or 'ssl', or for a relay "
                    "on this machine set PAPERPULSE_SMTP_ALLOW_PLAIN_AUTH=1"
                )

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.security]

    @property
    def server(self) -> str:
        return f"{self.host}:{self.effective_port}"


class _TransientError(Exception):
    """One attempt failed in a way worth retrying; the message is already redacted."""


class UnconfirmedDelivery(DeliveryError):
    """The whole message went out but the server never answered: it may have been delivered.

    Never retried automatically; only an explicit resend may send it again.
    """


def send(
    message: EmailMessage,
    settings: SmtpSettings,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Deliver ``message`` to every To/Cc/Bcc address; returns the server's answer to DATA.

    Raises DeliveryError on a permanent failure or once ``max_attempts`` transient ones ran out.
    """
    sender, recipients = _envelope(message)
    payload = _wire_bytes(message)
    failure = ""
    for attempt in range(1, settings.max_attempts + 1):
        try:
            answer = _send_once(settings, sender, recipients, payload)
        except UnconfirmedDelivery as exc:
            log.warning("%s: not retried (at most once)", exc)
            raise
        except _TransientError as exc:
            failure = str(exc)
            if attempt == settings.max_attempts:
                break
            delay = min(settings.backoff * 2 ** (attempt - 1), settings.max_backoff)
            log.warning(
                "SMTP attempt %d/%d via %s failed: %s; retrying in %.1fs",
                attempt,
                settings.max_attempts,
                settings.server,
                failure,
                delay,
            )
            sleep(delay)
        else:
            log.info(
                "sent %s to %s via %s: %s",
                message["Message-ID"],
                ", ".join(recipients),
                settings.server,
                answer,
            )
            return answer
    raise DeliveryError(
        f"SMTP via {settings.server} failed {settings.max_attempts} time(s), last: {failure}; "
        "the server may be down or throttling, try again later"
    )


def _send_once(settings: SmtpSettings, sender: str, recipients: list[str], payload: bytes) -> str:
    smtp: smtplib.SMTP | None = None
    try:
        smtp = _connect(settings)
        if settings.security == "starttls":
            smtp.ehlo()
            smtp.starttls(context=_tls_context(settings))
            smtp.ehlo()  # capabilities (AUTH) change once the channel is encrypted
        smtp.ehlo_or_helo_if_needed()
        if settings.user is not None and settings.password is not None:
            _login(smtp, settings)
        code, reply = smtp.mail(sender)
        if code != 250:
            _fail(settings, code, reply, f"refused sender {sender}")
        refused: dict[str, tuple[int, bytes]] = {}
        for recipient in recipients:
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, reply)
        if len(refused) == len(recipients):
            _refuse_recipients(settings, refused, delivered_to=[])
        code, reply = _data(smtp, settings, payload, message_id(payload))
        if code != 250:
            _fail(settings, code, reply, "refused the message data")
        if refused:
            accepted = [r for r in recipients if r not in refused]
            _refuse_recipients(settings, refused, delivered_to=accepted)
        return f"{code} {_redact(_text(reply), settings)}"
    except smtplib.SMTPResponseException as exc:
        _fail(settings, exc.smtp_code, exc.smtp_error, _stage(exc))
    except smtplib.SMTPServerDisconnected as exc:
        raise _TransientError(f"{settings.server} closed the connection ({exc})") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(
            f"{settings.server}: {exc}; check the security mode ({settings.security}) and port "
            "(AUTH is usually offered only after STARTTLS)"
        ) from None
    except smtplib.SMTPException as exc:  # e.g. no common AUTH mechanism
        raise DeliveryError(f"SMTP via {settings.server}: {_redact(str(exc), settings)}") from None
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryError(
            f"TLS certificate of {settings.server} not trusted ({exc.verify_message}); for a "
            "self-signed relay set ca_file to its certificate"
        ) from None
    except ssl.SSLError as exc:
        raise DeliveryError(
            f"TLS with {settings.server} failed ({exc.reason}); port {settings.effective_port} "
            f"may expect another security mode than {settings.security!r} (465: ssl, 587: starttls)"
        ) from None
    except (TimeoutError, OSError) as exc:  # refused, reset, unreachable, DNS
        raise _TransientError(f"cannot talk to {settings.server}: {exc}") from None
    finally:
        if smtp is not None:
            _close(smtp)


def _data(
    smtp: smtplib.SMTP, settings: SmtpSettings, payload: bytes, ident: str
) -> tuple[int, bytes]:
    """DATA by hand (``smtp.data`` would hide *when* the connection dropped).

    Until the final dot is sent nothing can have been queued, so failures are transient;
    after it, a missing reply means "maybe delivered": ``UnconfirmedDelivery``.
    """
    code, reply = smtp.docmd("data")
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    body = re.sub(rb"(?m)^\.", b"..", payload)  # dot-stuffing (RFC 5321 4.5.2)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    smtp.send(body + b".\r\n")
    try:
        return smtp.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise UnconfirmedDelivery(
            f"{settings.server} took message {ident} but gave no answer ({exc or 'no reply'}); "
            "it may have been delivered, so it is not resent automatically"
        ) from None


def message_id(payload: bytes) -> str:
    found = re.search(rb"(?im)^message-id:[ \t]*(<[^>\r\n]*>)", payload)
    return found.group(1).decode("ascii", "replace") if found else "(no Message-ID)"


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(
            settings.host,
            settings.effective_port,
            local_hostname=settings.helo_name,
            timeout=settings.timeout,
            context=_tls_context(settings),
        )
    return smtplib.SMTP(
        settings.host,
        settings.effective_port,
        local_hostname=settings.helo_name,
        timeout=settings.timeout,
    )


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    if not settings.verify_tls:
        log.warning("TLS certificate verification is off for %s", settings.server)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=settings.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(
            f"cannot load SMTP ca_file {settings.ca_file!r}: {exc}; give a readable PEM file"
        ) from None


def _login(smtp: smtplib.SMTP, settings: SmtpSettings) -> None:
    assert settings.user is not None and settings.password is not None
    try:
        smtp.login(settings.user, settings.password)
    except smtplib.SMTPAuthenticationError as exc:
        answer = _redact(_text(exc.smtp_error), settings)
        if 400 <= exc.smtp_code < 500:
            raise _TransientError(
                f"{settings.server} deferred AUTH: {exc.smtp_code} {answer}"
            ) from None
        raise DeliveryError(
            f"{settings.server} rejected the login of {settings.user!r}: {exc.smtp_code} "
            f"{answer}; check the SMTP user and password"
        ) from None


def _fail(settings: SmtpSettings, code: int, reply: bytes | str, what: str) -> NoReturn:
    answer = f"{code} {_redact(_text(reply), settings)}"
    if 400 <= code < 500:
        raise _TransientError(f"{settings.server} {what}: {answer}")
    raise DeliveryError(f"{settings.server} {what}: {answer}") from None


def _refuse_recipients(
    settings: SmtpSettings, refused: dict[str, tuple[int, bytes]], *, delivered_to: list[str]
) -> NoReturn:
    answers = "; ".join(
        f"{recipient}: {code} {_redact(_text(reply), settings)}"
        for recipient, (code, reply) in refused.items()
    )
    if not delivered_to and all(400 <= code < 500 for code, _ in refused.values()):
        raise _TransientError(f"{settings.server} deferred every recipient ({answers})")
    sent = f"; delivered to {', '.join(delivered_to)}" if delivered_to else ""
    raise DeliveryError(
        f"{settings.server} refused recipient(s) {answers}{sent}; check the address(es)"
    )


def _envelope(message: EmailMessage) -> tuple[str, list[str]]:
    senders = [addr for _, addr in getaddresses([str(v) for v in message.get_all("From", [])])]
    recipients = [
        addr
        for header in ("To", "Cc", "Bcc")
        for _, addr in getaddresses([str(v) for v in message.get_all(header, [])])
        if addr
    ]
    if len(senders) != 1 or not senders[0]:
        raise DeliveryError(f"message {message['Message-ID']} needs exactly one From address")
    if not recipients:
        raise DeliveryError(f"message {message['Message-ID']} has no To/Cc/Bcc recipient")
    if not all(address.isascii() for address in [*senders, *recipients]):
        raise DeliveryError(
            f"message {message['Message-ID']}: non-ASCII addresses need SMTPUTF8, which is not "
            "supported; use the punycode (xn--) form of the domain"
        )
    return senders[0], list(dict.fromkeys(recipients))


def _wire_bytes(message: EmailMessage) -> bytes:
    wire = copy.copy(message)
    del wire["Bcc"]  # Bcc recipients get the message, never the header
    return wire.as_bytes(policy=policy.SMTP)


def _close(smtp: smtplib.SMTP) -> None:
    # QUIT after the server accepted DATA must never turn a delivery into a failure (and a
    # duplicate on retry), so every error here is swallowed.
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _stage(exc: smtplib.SMTPResponseException) -> str:
    if isinstance(exc, smtplib.SMTPConnectError):
        return "refused the connection"
    if isinstance(exc, smtplib.SMTPHeloError):
        return "refused HELO/EHLO"
    if isinstance(exc, smtplib.SMTPDataError):
        return "refused the message data"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"refused sender {_text(exc.sender)}"
    return "answered"


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())


def _redact(text: str, settings: SmtpSettings) -> str:
    """Remove the password, and the AUTH PLAIN/LOGIN encodings of it, from server text."""
    if not settings.password:
        return text
    user = settings.user or ""
    return redact(
        text,
        [
            settings.password,
            base64.b64encode(settings.password.encode()).decode(),
            base64.b64encode(f"\0{user}\0{settings.password}".encode()).decode(),
        ],
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
