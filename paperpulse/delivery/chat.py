"""Send a short message to a chat or push service through Apprise (Slack, Discord, Telegram,
Matrix, ntfy, JSON webhooks...): one URL per channel, the service's token inside it.

The URL is a secret. It never appears in our errors, and while a message is sent a filter on
Apprise's logger replaces it (and each of its longer parts: tokens, passwords, webhook paths)
with ``core.redaction.MASK``, so Prefect's and the run's logs cannot leak it either.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import apprise

from paperpulse.core.errors import DeliveryError
from paperpulse.core.redaction import SecretFilter, url_secrets

# Loggers that may print a request's URL while Apprise sends (requests/urllib3 log the path).
LOGGERS = ("apprise", "urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry")


def send_chat(url: str, *, title: str, body: str, name: str) -> None:
    """Send one message; raise DeliveryError (naming the channel, never the URL) on failure."""
    notifier = apprise.Apprise()
    with redacted_logs(url) as problems:
        if not notifier.add(url):
            raise DeliveryError(
                f"channel {name}: its URL is not one Apprise understands; check the scheme "
                "(slack://, discord://, tgram://, ntfy://, json://...) and the variable holding it"
            )
        sent = notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.MARKDOWN)
    if not sent:
        reason = " ".join(" ".join(problems).split())[:300] or "the service refused the message"
        raise DeliveryError(f"channel {name}: not delivered ({reason}); the next run retries")


class _Redact(SecretFilter):
    """Masks the URL's secrets in every record; keeps Apprise's warnings for the error."""

    def __init__(self, url: str) -> None:
        super().__init__(url_secrets(url))
        self.problems: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        super().filter(record)
        if record.name == "apprise" and record.levelno >= logging.WARNING:
            self.problems.append(record.getMessage())
        return True


@contextmanager
def redacted_logs(url: str) -> Iterator[list[str]]:
    """While the block runs, the URL's secrets are masked in the records of ``LOGGERS``;
    yields the (masked) warnings Apprise logged."""
    redacting = _Redact(url)
    loggers = [logging.getLogger(name) for name in LOGGERS]
    for logger in loggers:
        logger.addFilter(redacting)
    try:
        yield redacting.problems
    finally:
        for logger in loggers:
            logger.removeFilter(redacting)
