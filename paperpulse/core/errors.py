"""Every exception paperpulse raises on purpose.

    PaperpulseError
      ConfigError                  a config file or environment variable is wrong
      SourceError(source, url)     something went wrong reading one source
        FetchError(status)         permanent: 400/404/410, disallowed host, oversized body
          TransientFetchError      429, 5xx, timeouts, resets: the only thing worth retrying
        ParseError                 the payload is not the shape we expect
          LayoutChanged            the shape is right but counts or selectors drifted
      StorageError                 the database refused or is unreachable
      DeliveryError                an email, archive commit or feed could not be delivered

Messages always say what failed, where, and what to do; callers show ``str(exc)`` to users.
"""

from __future__ import annotations


class PaperpulseError(Exception):
    """Base class: anything a user may see as a one-line error."""


class ConfigError(PaperpulseError):
    """A configuration file, key or environment variable is invalid."""


class SourceError(PaperpulseError):
    """Reading one source failed; carries the source name and the URL."""

    def __init__(self, message: str, *, source: str, url: str) -> None:
        super().__init__(message)
        self.source = source
        self.url = url

    def __str__(self) -> str:
        return f"{self.source}: {self.args[0]} ({self.url})"


class FetchError(SourceError):
    """A request failed permanently (retrying the same request will not help)."""

    def __init__(self, message: str, *, source: str, url: str, status: int | None = None) -> None:
        super().__init__(message, source=source, url=url)
        self.status = status


class TransientFetchError(FetchError):
    """A request failed in a way that may succeed later (429, 5xx, timeout, reset)."""

    def __init__(
        self,
        message: str,
        *,
        source: str,
        url: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, source=source, url=url, status=status)
        self.retry_after = retry_after


class ParseError(SourceError):
    """A payload is not the expected shape; nothing of it may be stored."""


class LayoutChanged(ParseError):
    """The page parsed, but fewer items than declared (or than last time): the site changed."""


class StorageError(PaperpulseError):
    """The database could not be read or written."""


class DeliveryError(PaperpulseError):
    """A digest could not be delivered on one channel."""
