"""Values the pure middle works on: the history storage hands back, and what rendering produces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Sighting:
    """One observation of one paper in one run (append-only history; diffs and trending read it)."""

    arxiv_id: str
    source: str
    period: str
    run_id: int
    observed_at: datetime  # UTC
    rank: int | None = None
    upvotes: int | None = None
    comments: int | None = None
    stars: int | None = None
    section: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """One fetch of one source for one period, as the run ledger keeps it."""

    id: int
    source: str
    period: str
    status: str  # "running" | "complete" | "empty" | "failed"
    started_at: datetime
    finished_at: datetime | None = None
    fetched: int = 0
    new: int = 0
    updated: int = 0
    declared: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedDigest:
    """One digest in every output format; delivery channels pick the format they need."""

    key: str  # stable identity, e.g. "daily/2024-08-01" or "weekly/2024-W31"
    subject: str  # one line, header-safe
    markdown: str
    html: str
    text: str
