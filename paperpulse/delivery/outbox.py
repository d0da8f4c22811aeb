"""With no SMTP server configured, emails land as .eml files any mail client can open.

One file per digest and recipient, ``<outbox>/<key>__<recipient>.eml``; writing the same digest
again replaces the file atomically, so a reader never sees a half-written message.
"""

from __future__ import annotations

import hashlib
import re
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

from paperpulse.core.errors import DeliveryError
from paperpulse.delivery.files import write_atomically

_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]+")
_NAME_LIMIT = 100  # per part: keeps the file name under common 255-byte limits


def outbox_filename(key: str, recipient: str) -> str:
    """``daily/2024-08-01``, ``alice@example.org`` -> ``daily-2024-08-01__alice@example.org.eml``

    One file per recipient: an address the file name cannot hold as it is (``a!b@`` and
    ``a#b@`` both read ``a-b@``) gets a short hash of itself, so two never share a file.
    (Keys are ours, ``edition/period``: only their slash is replaced.)
    """
    name = _safe_part(recipient)
    if name != recipient:
        name += "-" + hashlib.sha256(recipient.encode()).hexdigest()[:8]
    return f"{_safe_part(key)}__{name}.eml"


def write_to_outbox(
    message: EmailMessage, outbox: Path, *, key: str, recipient: str | None = None
) -> Path:
    """Write ``message`` (CRLF, exactly the bytes SMTP would send) and return its path.

    ``recipient`` defaults to the message's single To address.
    """
    if recipient is None:
        addresses = [a for _, a in getaddresses([str(v) for v in message.get_all("To", [])]) if a]
        if len(addresses) != 1:
            raise DeliveryError(
                f"outbox: message for {key!r} has {len(addresses)} To addresses; "
                "pass recipient= to name the file"
            )
        recipient = addresses[0]
    path = outbox / outbox_filename(key, recipient)
    data = message.as_bytes(policy=policy.SMTP)
    try:
        # Private (0600) like a mail spool; durable: the run records it as sent.
        write_atomically(path, data, mode=0o600, durable=True)
    except OSError as exc:
        raise DeliveryError(
            f"outbox: cannot write {path}: {exc.strerror or exc}; make {outbox} writable "
            "or configure another outbox directory"
        ) from exc
    return path


def _safe_part(value: str) -> str:
    safe = _UNSAFE.sub("-", value).strip("-.")[:_NAME_LIMIT]
    return safe or "unnamed"
