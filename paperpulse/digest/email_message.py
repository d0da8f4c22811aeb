"""Compose one digest email: multipart text + inline-styled HTML, list headers, size cap.

Pure: no network, no clock (the caller passes ``date``). Mail clients are the constraint:
Gmail drops ``<style>`` blocks (so CSS is inlined with css-inline) and clips messages over
about 102 KB (so ``email_fit`` picks how much of a digest is cards until the whole MIME
message fits, measured here by ``message_size``).
Bulk senders must offer RFC 8058 one-click unsubscribe, which needs an HTTPS URI in
``List-Unsubscribe`` plus ``List-Unsubscribe-Post``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

import css_inline

from paperpulse.core.errors import DeliveryError
from paperpulse.digest.escaping import header_safe, safe_url
from paperpulse.digest.models import RenderedDigest

ONE_CLICK = "List-Unsubscribe=One-Click"

# No remote stylesheet fetches: composition stays pure and offline. @media rules cannot be
# inlined, so they stay in a <style> block as progressive enhancement for clients that keep it.
_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
_DOT_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
_MAILTO = re.compile(r"^mailto:[^\s<>\"\\]+@[^\s<>\"\\]+$", re.IGNORECASE)


def build_message(
    rendered: RenderedDigest,
    *,
    sender: str,
    recipient: str,
    list_id: str,
    unsubscribe: str | Sequence[str],
    message_id_domain: str,
    date: datetime,
) -> EmailMessage:
    """One multipart/alternative message (text/plain, then inline-styled text/html), UTF-8.

    ``unsubscribe`` is an https URL and/or a ``mailto:`` URI. ``List-Unsubscribe-Post`` is
    only added when an https URL is present: RFC 8058 one-click is defined for HTTPS only.
    Raises DeliveryError on anything that would not make a well-formed header.
    """
    if date.tzinfo is None:
        raise DeliveryError(f"email Date for {rendered.key!r} must be timezone-aware, got {date}")
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = header_safe(rendered.subject) or rendered.key
    message["From"] = _address("sender", sender)
    message["To"] = _address("recipient", recipient)
    message["Date"] = format_datetime(date.astimezone(UTC))
    message["Message-ID"] = message_id(rendered.key, recipient, domain=message_id_domain)
    message["List-Id"] = f"<{_list_id(list_id)}>"
    targets = _unsubscribe_targets(unsubscribe)
    message["List-Unsubscribe"] = ", ".join(f"<{target}>" for target in targets)
    if any(target.startswith("https://") for target in targets):
        message["List-Unsubscribe-Post"] = ONE_CLICK
    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    html = inline_css(rendered.html)
    message.add_alternative(html, subtype="html", charset="utf-8")
    # A boundary derived from the content keeps the bytes reproducible (idempotent outbox files,
    # stable sizes) and cannot occur inside that content, which would have to contain its own hash.
    fingerprint = hashlib.sha256(f"{message['Message-ID']}\0{rendered.text}\0{html}".encode())
    message.set_boundary(f"==paperpulse-{fingerprint.hexdigest()[:32]}==")
    return message


def inline_css(html: str) -> str:
    """Move ``<style>`` rules into ``style=""`` attributes (Gmail strips style blocks)."""
    try:
        return _INLINER.inline(html)
    except ValueError as exc:  # css_inline.InlineError subclasses ValueError
        raise DeliveryError(f"cannot inline the digest's CSS: {exc}; check the template") from exc


def message_id(key: str, recipient: str, *, domain: str) -> str:
    """Deterministic ``<...@domain>`` from digest key and recipient: a re-send is recognisable."""
    if not _HOSTNAME.match(domain):
        raise DeliveryError(f"message_id_domain {domain!r} is not a host name, e.g. example.org")
    readable = re.sub(r"[^A-Za-z0-9.-]+", "-", key).strip("-.") or "digest"
    digest = hashlib.sha256(f"{key}\0{recipient.strip().lower()}".encode()).hexdigest()[:20]
    return f"<paperpulse.{readable}.{digest}@{domain}>"


def message_size(message: EmailMessage) -> int:
    """Bytes on the wire (CRLF line endings, transfer-encoded parts)."""
    return len(message.as_bytes(policy=policy.SMTP))


def _address(role: str, value: str) -> Address:
    """Exactly one address; CR/LF or any control character is refused, never stripped."""
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise DeliveryError(f"{role} address {value!r} contains a line break or control character")
    parsed = getaddresses([value])
    if len(parsed) != 1 or "@" not in parsed[0][1]:
        raise DeliveryError(f"{role} {value!r} must be one address such as alice@example.org")
    name, addr_spec = parsed[0]
    if not addr_spec.isascii():
        # SMTPUTF8 is not negotiated; an IDN domain works in its punycode (xn--) form.
        raise DeliveryError(f"{role} address {addr_spec!r} must be ASCII (punycode for IDN)")
    try:
        return Address(display_name=header_safe(name), addr_spec=addr_spec)
    except (ValueError, IndexError) as exc:
        raise DeliveryError(f"{role} address {value!r} is not valid: {exc}") from exc


def _list_id(value: str) -> str:
    list_id = value.strip().removeprefix("<").removesuffix(">")
    if not _DOT_ATOM.match(list_id) or "." not in list_id:
        raise DeliveryError(
            f"list_id {value!r} must look like daily.paperpulse.example.org (RFC 2919)"
        )
    return list_id


def footer_unsubscribe(unsubscribe: str | Sequence[str]) -> str:
    """The target the footer shows, one of the header's: https (opens in a browser), else mailto."""
    targets = _unsubscribe_targets(unsubscribe)
    return next((t for t in targets if t.startswith("https://")), targets[0])


def _unsubscribe_targets(unsubscribe: str | Sequence[str]) -> list[str]:
    values = [unsubscribe] if isinstance(unsubscribe, str) else list(unsubscribe)
    targets: list[str] = []
    for value in values:
        if value.lower().startswith("mailto:"):
            if not _MAILTO.match(value) or any(ord(char) < 32 for char in value):
                raise DeliveryError(f"unsubscribe address {value!r} is not a valid mailto: URI")
            targets.append(value)
            continue
        url = safe_url(value)
        if url is None or not url.startswith("https://"):
            raise DeliveryError(f"unsubscribe URL {value!r} must be https:// (RFC 8058) or mailto:")
        targets.append(url)
    if not targets:
        raise DeliveryError("an unsubscribe https URL or mailto: URI is required (RFC 8058)")
    return targets
