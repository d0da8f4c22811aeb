"""Keep credentials out of third-party logs.

httpcore logs every response's headers at DEBUG, so a server that echoes ``Authorization`` or
``x-api-key`` back (a debug endpoint, a misconfigured proxy) would put the secret into any log
kept at that level. ``SECRET_FILTER`` sits on the httpx and httpcore loggers and replaces every
registered secret in their records; ``HttpClient`` registers its own secrets when it is made.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence

# A filter on a logger applies only to records logged on that very logger, not its children.
THIRD_PARTY_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
REPLACEMENT = "[token]"


def longest_first(secrets: Iterable[str]) -> tuple[str, ...]:
    """The distinct non-empty secrets, longest first: one that contains another goes whole."""
    return tuple(sorted(set(filter(None, secrets)), key=len, reverse=True))


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with each of ``secrets`` (ordered by ``longest_first``) replaced."""
    for secret in secrets:
        text = text.replace(secret, REPLACEMENT)
    return text


class SecretFilter(logging.Filter):
    """Replaces registered secrets in a record's formatted message (longest secret first)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()

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


SECRET_FILTER = SecretFilter()
for _name in THIRD_PARTY_LOGGERS:
    logging.getLogger(_name).addFilter(SECRET_FILTER)
