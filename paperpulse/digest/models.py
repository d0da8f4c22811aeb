"""Values the pure middle produces: digests, their sections and items, and their renderings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from paperpulse.core.keys import DigestKey
from paperpulse.core.kinds import Edition, RunStatus
from paperpulse.core.models import Paper


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedDigest:
    """One digest in every output format; delivery channels pick the format they need."""

    key: str  # stable identity, e.g. "daily/2024-08-01" or "weekly/2024-W31"
    subject: str  # one line, header-safe
    markdown: str
    html: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestItem:
    """One paper as a digest shows it."""

    paper: Paper
    upvotes: int | None = None
    gain: int | None = None  # upvotes gained since this reader last saw it (rising papers)
    comments: int | None = None
    stars: int | None = None
    is_new: bool = False  # never shown to this reader as new before
    reason: str | None = None  # one line saying why it is here ("+41 upvotes since yesterday")
    sparkline: str | None = None
    labels: tuple[str, ...] = ()  # "rising", "code released", "title revised", "v2", ...
    listed: date | None = None  # the list date it is a paper of
    on_hf: bool = True  # listed by Hugging Face (else it links to arXiv)

    @property
    def link(self) -> str:
        return self.paper.hf_url if self.on_hf else self.paper.arxiv_url


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    title: str
    items: tuple[DigestItem, ...] = ()
    note: str | None = None  # why the section is empty or short
    more: int = 0  # items left out by a cap ("and N more in the archive")
    details: tuple[str, ...] = ()  # extra lines, e.g. followed authors' profile changes


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceHealth:
    source: str  # a ``Source`` value, as the run ledger stores it
    status: RunStatus  # COMPLETE, EMPTY, FAILED or MISSING
    fetched: int = 0
    declared: int | None = None
    error: str | None = None  # technical detail, for the run log (readers get failure_lines)
    periods: tuple[str, ...] = ()  # the failed listings' periods ("cs.CL", "2024-08-01")


@dataclass(frozen=True, slots=True, kw_only=True)
class Digest:
    """A digest as a pure value: everything the templates need, nothing they must compute."""

    edition: Edition
    period: str  # "2024-08-01" or "2024-W31"
    title: str
    generated_at: datetime  # the edition's moment ("as of")
    # The dates the title names, as the subject says them: "2024-08-01", "2024-08-13 – 2024-08-18"
    # (a catch-up whose only listed day is Friday is Friday's digest: "2026-05-08").
    label: str = ""
    days: tuple[date, ...] = ()  # the list dates it covers (several for a catch-up)
    sections: tuple[Section, ...] = ()
    health: tuple[SourceHealth, ...] = ()
    notes: tuple[str, ...] = ()  # digest-wide explanations (weekend, source failures)

    @property
    def key(self) -> str:
        """The ledgers' text for this digest ("daily/2024-08-01"), made by ``core.keys``."""
        return str(DigestKey(self.edition, self.period))

    # Header counts are counts of what the digest shows, so a capped email stays truthful.
    @property
    def paper_count(self) -> int:
        return len(self._shown())

    @property
    def new_count(self) -> int:
        return sum(1 for item in self._shown().values() if item.is_new)

    @property
    def rising_count(self) -> int:
        return sum(1 for item in self._shown().values() if "rising" in item.labels)

    @property
    def updated_count(self) -> int:
        return sum(1 for item in self._shown().values() if set(item.labels) - {"rising"})

    def _shown(self) -> dict[str, DigestItem]:
        return {item.paper.arxiv_id: item for section in self.sections for item in section.items}
