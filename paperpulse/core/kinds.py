"""The names the run ledger stores and every layer compares: sources, statuses, editions.

Each is a ``StrEnum``: a member is a ``str`` equal to its value, so rows, templates, JSON and
Prefect parameters see exactly the strings they always did (no migration), while code names
the member and a typo fails at import rather than matching nothing.
"""

from __future__ import annotations

from enum import StrEnum


class Source(StrEnum):
    """Where a listing comes from; the value keys runs and sightings in the ledger."""

    HF_DAILY = "hf-daily"
    HF_WEEK = "hf-week"
    HF_MONTH = "hf-month"
    HF_TRENDING = "hf-trending"
    HF_SEARCH = "hf-search"
    HF_PAPER = "hf-paper"
    ARXIV_LISTING = "arxiv-listing"
    ARXIV_API = "arxiv-api"
    ARXIV_AUTHOR = "arxiv-author"
    SEMANTIC_SCHOLAR = "semantic-scholar"
    S2_PROFILE = "s2-profile"  # a followed author's Semantic Scholar profile, as a run


class RunStatus(StrEnum):
    """A run in the ledger, and what one job of a run did."""

    RUNNING = "running"
    COMPLETE = "complete"
    EMPTY = "empty"  # the source answered with no papers (a weekend)
    FAILED = "failed"
    SKIPPED = "skipped"  # never stored: another process was fetching the same listing
    MISSING = "missing"  # never stored: a digest's source that has no run at all


STORED_RUN_STATUSES = (RunStatus.RUNNING, RunStatus.COMPLETE, RunStatus.EMPTY, RunStatus.FAILED)
DONE_RUN_STATUSES = (RunStatus.COMPLETE, RunStatus.EMPTY)  # the period needs no more fetching


class DeliveryStatus(StrEnum):
    """A delivery in the ledger, and what one delivery step did."""

    SENDING = "sending"  # claimed; a sender is at it
    SENT = "sent"
    FAILED = "failed"
    UNCHANGED = "unchanged"  # never stored: the archive already held these bytes
    SKIPPED = "skipped"  # never stored: already sent, or another run is sending it
    # never stored: DATA went out but got no answer (stored as SENT with the reason)
    UNCONFIRMED = "unconfirmed"


STORED_DELIVERY_STATUSES = (DeliveryStatus.SENDING, DeliveryStatus.SENT, DeliveryStatus.FAILED)


class Edition(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


class Channel(StrEnum):
    """How a digest reaches its recipient; the deliveries ledger's ``channel`` column."""

    ARCHIVE = "archive"  # the Markdown archive (a git repository) and its feeds
    EMAIL = "email"  # SMTP
    OUTBOX = "outbox"  # email written as .eml files when no SMTP server is configured
    CHAT = "chat"  # a chat or push service through Apprise
