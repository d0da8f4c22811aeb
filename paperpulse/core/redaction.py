"""One way to keep secrets out of errors and logs, for every layer: each secret becomes
``MASK``, longest first, so a secret that contains another is hidden whole.

Callers know their secrets (a token, a password and its AUTH encodings, a channel URL) and
hand them here; ``SecretFilter`` applies the same rule to log records of libraries we do not
control (httpcore echoes headers at DEBUG, Apprise logs request URLs).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

MASK = "***"
URL_PART = 6  # parts of a secret URL at least this long are secret too (tokens, keys, paths)
# scheme://user:password@ or scheme://token@ in a URL (git remotes, database URLs).
_URL_CREDENTIALS = re.compile(r"(\w+://)[^@\s]*@")


def longest_first(secrets: Iterable[str]) -> tuple[str, ...]:
    """The distinct non-empty secrets, longest first: one that contains another goes whole."""
    return tuple(sorted(set(filter(None, secrets)), key=len, reverse=True))


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each of ``secrets`` replaced by ``MASK``."""
    for secret in longest_first(secrets):
        text = text.replace(secret, MASK)
    return text


def redact_bytes(content: bytes, secrets: Iterable[str]) -> bytes:
    """``redact`` for a body not yet decoded (a server echoing a secret back)."""
    for secret in longest_first(secrets):
        content = content.replace(secret.encode(), MASK.encode())
    return content


def url_secrets(url: str) -> tuple[str, ...]:
    """A secret URL and its longer parts (a webhook's token is secret without the rest)."""
    return longest_first([url, *(p for p in re.split(r"[/:@?&=#]+", url) if len(p) >= URL_PART)])


def hide_url_credentials(text: str) -> str:
    """``text`` with the ``user:password@`` of any URL in it masked."""
    return _URL_CREDENTIALS.sub(rf"\1{MASK}@", text)


class SecretFilter(logging.Filter):
    """Masks the registered secrets in a record's formatted message.

    A filter on a logger applies only to records logged on that very logger, not its
    children: add it to each logger that may print a secret.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets = longest_first(secrets)

    def register(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self._secrets = longest_first([*self._secrets, *secrets])

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self._secrets
        if secrets:
            message = record.getMessage()
            if any(secret in message for secret in secrets):
                record.msg, record.args = self.redact(message), None
        return True
