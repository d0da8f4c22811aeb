"""Assemble one edition of a digest for one reader: a pure function of what storage knows.

The rules (docs/digest-semantics.md has them with worked examples):

- An edition covers one or more list dates (``days``: one for a daily digest, several for a
  catch-up, the week's for a weekly one) and is built *as of* a moment: nothing observed after
  it is used (storage filters; this module never sees later sightings).
- **Papers of the day** are exactly the papers the day's listings list (HF's list of that date,
  arXiv's announcement of that date). Each appears once: in the first topic it matches (top N
  by trending score) or else in its day's section. No paper of another date is one of them.
- **New** means never shown to this reader as new before, whatever the edition.
- **Rising** are papers of earlier list dates (within a horizon) whose upvotes grew by at least
  the threshold since the numbers this reader's last digest showed them with (else since they
  were first seen), ranked by that gain. A paper rises again when it gains again.
- Header counts are computed from what the digest shows (``Digest`` properties), so fitting a
  digest into an email (``email_fit``) keeps them true.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from paperpulse.core.kinds import Edition, Source
from paperpulse.core.models import AuthorProfile, Paper, Sighting
from paperpulse.digest.models import Digest, DigestItem, Section, SourceHealth
from paperpulse.digest.sparkline import upvote_sparkline
from paperpulse.digest.topics import Topic, match_papers
from paperpulse.digest.trending import (
    DEFAULT_PARAMS,
    TrendingItem,
    TrendingParams,
    rank,
    score_paper,
)

RISING = "Rising"
SPARK_WIDTH = 8
HF_SOURCES = frozenset(
    {Source.HF_DAILY, Source.HF_WEEK, Source.HF_MONTH, Source.HF_TRENDING, Source.HF_SEARCH}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Caps:
    top_trending: int = 5  # per topic section; the rest stay in their day's section
    top_rising: int = 10
    full_list: int | None = None  # each day's section; None: everything (the archive)


ListingStatus = Literal["complete", "empty", "missing", "unlisted"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DayListing:
    """One list date's papers, in the order its listings ranked them."""

    day: date
    ids: tuple[str, ...] = ()
    # "empty": nothing listed; "missing": not fetched; "unlisted": no day listing is followed
    # (a followed-authors-only digest)
    status: ListingStatus = "complete"


@dataclass(frozen=True, slots=True, kw_only=True)
class Seen:
    """What this reader was shown of one paper before (the reader's ledger)."""

    announced_new: bool
    at: datetime  # the moment of the digest that last showed it
    upvotes: int | None = None  # the upvotes it showed
    digest: str = ""  # that digest, as a reader names it ("Mon 03 Mar")


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorNews:
    """A followed author: their profile as of the edition, what changed since the reader's
    last digest, and their papers first seen since then."""

    name: str
    profile: AuthorProfile | None = None
    profile_changes: tuple[str, ...] = ()  # "h-index 35 → 36", "+120 citations"
    papers: tuple[Paper, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class EditionInputs:
    edition: Edition
    key: str  # the digest's period key: "2024-08-01", "2024-W31"
    title: str
    as_of: datetime
    listings: tuple[DayListing, ...]
    label: str = ""  # the dates the title names, for the subject ("" : the key)
    papers: Mapping[str, Paper]  # every paper the listings and the rising pool name
    sightings: Mapping[str, Sequence[Sighting]]  # observed at or before ``as_of``, oldest first
    rising_pool: tuple[str, ...] = ()  # papers of earlier list dates within the horizon
    seen: Mapping[str, Seen] = field(default_factory=dict)
    previous_digest: datetime | None = None  # this reader's last digest moment
    topics: tuple[Topic, ...] = ()
    hf_query_hits: Mapping[str, frozenset[str]] = field(default_factory=dict)
    updated: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # id -> labels
    health: tuple[SourceHealth, ...] = ()
    notes: tuple[str, ...] = ()
    authors: tuple[AuthorNews, ...] = ()
    caps: Caps = Caps()
    rising_threshold: int = 10
    trending: TrendingParams = DEFAULT_PARAMS


def build_edition(inputs: EditionInputs) -> Digest:
    return Digest(
        edition=inputs.edition,
        period=inputs.key,
        title=inputs.title,
        label=inputs.label or inputs.key,
        generated_at=inputs.as_of,
        days=tuple(listing.day for listing in inputs.listings),
        sections=_Builder(inputs).sections(),
        health=inputs.health,
        notes=inputs.notes + _empty_day_notes(inputs.listings),
    )


def shown_items(digest: Digest) -> list[tuple[str, int | None, bool]]:
    """What a delivered digest showed: ``(arxiv_id, upvotes, shown as new)`` per paper, for
    the reader's ledger. A card and a one-line link both reached the reader; a paper an email
    cut ("…and N more") or a cap left out was never seen, so it is not recorded."""
    shown: dict[str, tuple[str, int | None, bool]] = {}
    for section in digest.sections:
        for item in section.items:
            arxiv_id = item.paper.arxiv_id
            before = shown.get(arxiv_id)
            shown[arxiv_id] = (arxiv_id, item.upvotes, item.is_new or bool(before and before[2]))
    return list(shown.values())


class _Builder:
    def __init__(self, inputs: EditionInputs) -> None:
        self.inputs = inputs
        last_day = max((listing.day for listing in inputs.listings), default=inputs.as_of.date())
        # Ages are told relative to the edition's last list date, not to when it was built:
        # that day's papers are "new today" however late the digest is rebuilt.
        self.age_at = min(inputs.as_of, datetime.combine(last_day, time(), UTC))

    def sections(self) -> tuple[Section, ...]:
        inputs = self.inputs
        day_ids = [i for listing in inputs.listings for i in listing.ids if i in inputs.papers]
        listed_on = {
            i: listing.day for listing in inputs.listings for i in listing.ids if i in inputs.papers
        }
        sections: list[Section] = []
        placed: set[str] = set()
        if inputs.topics:
            matches = match_papers(
                [inputs.papers[i] for i in day_ids],
                inputs.topics,
                hf_query_hits=inputs.hf_query_hits,
            )
            for topic in inputs.topics:
                members = [
                    i
                    for i in dict.fromkeys(day_ids)
                    if i not in placed and any(m.topic == topic.name for m in matches[i])
                ]
                trend = rank(self._score(i, topic.name) for i in members)
                top = [t.arxiv_id for t in trend[: inputs.caps.top_trending]]
                placed.update(top)
                sections.append(
                    Section(
                        title=topic.name,
                        kind="topic",
                        items=tuple(
                            self.item(t.arxiv_id, listed=listed_on[t.arxiv_id], reason=t.reason)
                            for t in trend[: inputs.caps.top_trending]
                        ),
                        note=None if members else "Nothing listed matched this topic.",
                    )
                )
        # A day that listed nothing (a weekend) is only a note: what rose meanwhile goes to the
        # next digest that lists papers, not to the empty day (healed in the same run).
        rising = (
            self.rising(exclude=set(day_ids)) if day_ids else Section(title=RISING, kind="rising")
        )
        if rising.items:
            sections.append(rising)
        if inputs.authors:
            sections.append(self.authors_section(exclude={*day_ids, *self.rising_ids(rising)}))
        for listing in inputs.listings:
            rest = [i for i in dict.fromkeys(listing.ids) if i in inputs.papers and i not in placed]
            placed.update(rest)
            if listing.status != "complete" and not rest:
                continue
            sections.append(self.day_section(listing.day, rest))
        return tuple(sections)

    @staticmethod
    def rising_ids(section: Section) -> set[str]:
        return {item.paper.arxiv_id for item in section.items}

    def _score(self, arxiv_id: str, topic: str) -> TrendingItem:
        paper = self.inputs.papers[arxiv_id]
        start = self.inputs.previous_digest or (self.inputs.as_of - timedelta(days=1))
        return score_paper(
            paper,
            self.inputs.sightings.get(arxiv_id, ()),
            topic=topic,
            window_start=min(start, self.inputs.as_of),
            now=self.inputs.as_of,
            age_at=self.age_at,
            params=self.inputs.trending,
        )

    def item(
        self,
        arxiv_id: str,
        *,
        listed: date | None,
        reason: str | None = None,
        rising: bool = False,
        gain: int | None = None,
    ) -> DigestItem:
        seen = [s for s in self.inputs.sightings.get(arxiv_id, ()) if s.source in HF_SOURCES]
        counted = [s for s in seen if s.upvotes is not None]
        latest = counted[-1] if counted else None
        before = self.inputs.seen.get(arxiv_id)
        labels = list(self.inputs.updated.get(arxiv_id, ()))
        if rising:
            labels.insert(0, "rising")
        return DigestItem(
            paper=self.inputs.papers[arxiv_id],
            upvotes=latest.upvotes if latest else None,
            gain=gain,
            comments=latest.comments if latest else None,
            stars=next((s.stars for s in reversed(seen) if s.stars is not None), None),
            is_new=before is None or not before.announced_new,
            reason=reason,
            sparkline=_sparkline(counted),
            labels=tuple(labels),
            listed=listed,
            on_hf=bool(seen) or not self.inputs.sightings.get(arxiv_id),
        )

    def rising(self, *, exclude: set[str]) -> Section:
        inputs = self.inputs
        found: list[tuple[int, str, str]] = []
        for arxiv_id in inputs.rising_pool:
            if arxiv_id in exclude or arxiv_id not in inputs.papers:
                continue
            counted = [
                s
                for s in inputs.sightings.get(arxiv_id, ())
                if s.source in HF_SOURCES and s.upvotes is not None
            ]
            if not counted:
                continue
            now = counted[-1].upvotes or 0
            seen = inputs.seen.get(arxiv_id)
            if seen is not None and seen.upvotes is not None:
                base, since = (
                    seen.upvotes,
                    f"since your digest of {seen.digest or f'{seen.at:%a %d %b}'}",
                )
            else:
                first = counted[0]
                base, since = (
                    first.upvotes or 0,
                    f"since first seen on {first.observed_at:%a %d %b}",
                )
            gain = now - base
            if gain >= inputs.rising_threshold:
                found.append((gain, arxiv_id, f"+{gain:,} upvotes {since}: {base:,} → {now:,}"))
        found.sort(key=lambda f: (-f[0], f[1]))
        cap = inputs.caps.top_rising
        items = tuple(
            self.item(
                arxiv_id,
                listed=inputs.papers[arxiv_id].list_date,
                reason=reason,
                rising=True,
                gain=gain,
            )
            for gain, arxiv_id, reason in found[:cap]
        )
        # The rest are not shown, so not recorded: their baseline stays and they rise again.
        return Section(
            title=RISING,
            kind="rising",
            items=items,
            more=max(0, len(found) - cap),
            more_says="rose by less",
        )

    def authors_section(self, *, exclude: set[str]) -> Section:
        items: list[DigestItem] = []
        details: list[str] = []
        for news in self.inputs.authors:
            if news.profile is not None:
                details.append(f"{news.name}: {profile_line(news.profile)}")
            details.extend(f"{news.name}: {line}" for line in news.profile_changes)
            for paper in news.papers:
                if paper.arxiv_id in exclude or any(
                    i.paper.arxiv_id == paper.arxiv_id for i in items
                ):
                    continue
                seen = self.inputs.seen.get(paper.arxiv_id)
                items.append(
                    DigestItem(
                        paper=paper,
                        reason=f"new paper by {news.name}",
                        is_new=seen is None or not seen.announced_new,
                        listed=paper.list_date,
                        on_hf=False,
                    )
                )
        note = None if items or details else "No news from followed authors."
        return Section(
            title="Followed authors",
            kind="authors",
            items=tuple(items),
            details=tuple(details),
            note=note,
        )

    def day_section(self, day: date, ids: Sequence[str]) -> Section:
        inputs = self.inputs
        one_day = len(inputs.listings) == 1 and inputs.edition == Edition.DAILY
        title = "Papers of the day" if one_day else f"Papers of {day:%a %d %b}"
        if inputs.topics and ids and len(ids) < sum(len(x.ids) for x in inputs.listings):
            title = "Also listed today" if one_day else f"Also listed on {day:%a %d %b}"
        items = sorted((self.item(i, listed=day) for i in ids), key=_by_upvotes)
        cap = inputs.caps.full_list
        shown = items if cap is None else items[:cap]
        return Section(
            title=title,
            kind="day",
            items=tuple(shown),
            more=len(items) - len(shown),
            more_says="of this day are not shown",
            note=None if ids else "Every paper of the day is in a topic above.",
        )


def _by_upvotes(item: DigestItem) -> tuple[int, str]:
    return (-(item.upvotes or 0), item.paper.arxiv_id)


def profile_line(profile: AuthorProfile) -> str:
    """ "h-index 35 · 12,345 citations · 210 papers" (what is known)."""
    parts = []
    if profile.h_index is not None:
        parts.append(f"h-index {profile.h_index}")
    if profile.citation_count is not None:
        parts.append(f"{profile.citation_count:,} citations")
    if profile.paper_count is not None:
        parts.append(f"{profile.paper_count:,} papers")
    return " · ".join(parts) or "no profile figures"


def weekend_note(day: date) -> str:
    """Why a day has no Daily Papers: HF publishes none on weekends."""
    when = f"{day:%A %d %B %Y}"
    if day.weekday() >= 5:
        return f"No Daily Papers were listed for {when}: Hugging Face publishes none on weekends."
    return f"No Daily Papers were listed for {when}."


def _empty_day_notes(listings: Sequence[DayListing]) -> tuple[str, ...]:
    """Empty days are a note, never a section (and never an email of their own)."""
    empty = [x.day for x in listings if x.status == "empty"]
    missing = [x.day for x in listings if x.status == "missing"]
    notes = []
    if len(empty) == 1:
        notes.append(weekend_note(empty[0]))
    elif empty:
        days = ", ".join(f"{d:%a %d %b}" for d in empty)
        weekend = all(d.weekday() >= 5 for d in empty)
        notes.append(
            f"No Daily Papers were listed for {days}"
            + (": Hugging Face publishes none on weekends." if weekend else ".")
        )
    if missing:
        days = ", ".join(f"{d:%a %d %b}" for d in missing)
        notes.append(f"Not fetched yet: {days} (the next run will try again).")
    return tuple(notes)


def _sparkline(counted: Sequence[Sighting]) -> str | None:
    """The recent upvote history, only when it moved: a flat line says nothing."""
    recent = list(counted)[-SPARK_WIDTH:]
    if len({s.upvotes for s in recent}) < 2:
        return None
    return upvote_sparkline(recent)
