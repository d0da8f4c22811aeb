"""Values the pure middle produces: digests, their sections and items, and their renderings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

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
    tldr: str | None = None  # a model's TL;DR in the reader's language ([summaries])
    translated_title: str | None = None  # the title in the reader's language, on request

    @property
    def link(self) -> str:
        return self.paper.hf_url if self.on_hf else self.paper.arxiv_url


# What a section is, from the reader's side: an email that must shrink turns the least
# important kinds into one-line links first ("day", then "rising", "topic"/"authors", "for_you").
SectionKind = Literal["for_you", "topic", "rising", "authors", "day"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PageLink:
    """A page that exists and lists papers a digest left out ("Thu 20 Nov in the archive")."""

    label: str
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    title: str
    items: tuple[DigestItem, ...] = ()  # every paper shown: as a card, or as a compact line
    note: str | None = None  # why the section is empty or short
    more: int = 0  # items the edition left out by a cap, said as "…and N more <more_says>"
    more_says: str | None = None  # what those are ("rose by less"); None: nothing more
    details: tuple[str, ...] = ()  # extra lines, e.g. followed authors' profile changes
    kind: SectionKind = "day"
    cards: int | None = None  # the first ``cards`` items are full cards, the rest one-line
    # links (title, upvotes); None: all cards
    cut: int = 0  # papers an email had no room for even as one-line links ...
    cut_links: tuple[PageLink, ...] = ()  # ... and the pages that list them
    # "For you": the ranked papers beyond its cap, shown in the sections below it
    elsewhere: tuple[str, ...] = ()
    notices: tuple[Notice, ...] = ()  # papers outside the listings ("cites your work")

    @property
    def card_items(self) -> tuple[DigestItem, ...]:
        return self.items if self.cards is None else self.items[: self.cards]

    @property
    def line_items(self) -> tuple[DigestItem, ...]:
        return () if self.cards is None else self.items[self.cards :]


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """One line of news about a paper that may not be in any listing: a title, its link, and
    what happened ("cites “X”", "now published at ICLR 2026")."""

    title: str
    url: str
    detail: str


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
    # (kind, key) told once per reader ("cites", "venue"): recorded when the digest is delivered.
    announcements: tuple[tuple[str, str], ...] = ()

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
