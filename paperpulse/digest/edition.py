"""Assemble one edition (daily or weekly) of a digest from stored history: a pure function.

    histories + runs  --diff-->  changes  --sent ledger-->  what this reader is told
    papers x topics   --match--> sections --trending score--> ranked, capped, explained

Sections, in order: one per topic (top N trending, then N new), "Other notable" (strongly
rising papers in no topic), "Followed authors", then the edition's full list ("Papers of the
day", ranked by upvotes) so nothing the reader expects from HF goes missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from paperpulse.core.models import Paper, RunRecord, Sighting
from paperpulse.digest.diff import (
    DEFAULT_DIFF_PARAMS,
    Change,
    ChangeKind,
    DiffParams,
    DiffWindow,
    PaperHistory,
    announced_as_new,
    apply_sent_ledger,
    diff,
)
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

OTHER = "Other notable"
SPARK_WIDTH = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class Caps:
    top_trending: int = 5
    top_new: int = 5
    other_notable: int = 5
    full_list: int | None = None  # the edition's full list; None: everything (the archive)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorNews:
    """A followed author's news in this window."""

    name: str
    papers: tuple[Paper, ...] = ()
    profile_changes: tuple[str, ...] = ()  # "h-index 35 → 36", "+120 citations"


@dataclass(frozen=True, slots=True, kw_only=True)
class EditionInputs:
    edition: str  # "daily" | "weekly"
    period: str  # "2024-08-01" | "2024-W31"
    title: str
    window: DiffWindow
    histories: tuple[PaperHistory, ...]
    runs: tuple[RunRecord, ...]
    primary: tuple[Sighting, ...] = ()  # the edition's own listing (the day's HF list), by rank
    topics: tuple[Topic, ...] = ()
    hf_query_hits: Mapping[str, frozenset[str]] = field(default_factory=dict)
    sent_as_new: Mapping[str, datetime] = field(default_factory=dict)
    sent_window: timedelta = timedelta(days=30)
    health: tuple[SourceHealth, ...] = ()
    notes: tuple[str, ...] = ()
    authors: tuple[AuthorNews, ...] = ()
    caps: Caps = Caps()
    trending: TrendingParams = DEFAULT_PARAMS
    diff_params: DiffParams = DEFAULT_DIFF_PARAMS


@dataclass(frozen=True, slots=True, kw_only=True)
class Edition:
    digest: Digest
    changes: tuple[Change, ...]  # after the sent ledger
    announced_new: frozenset[str]  # record these in the sent ledger once delivered


def build_edition(inputs: EditionInputs) -> Edition:
    changes = apply_sent_ledger(
        diff(inputs.histories, inputs.runs, inputs.window, params=inputs.diff_params),
        inputs.sent_as_new,
        now=inputs.window.end,
        window=inputs.sent_window,
    )
    builder = _Builder(inputs, changes)
    digest = Digest(
        edition=inputs.edition,
        period=inputs.period,
        title=inputs.title,
        generated_at=inputs.window.end,
        fetched=len(inputs.primary) or len(builder.in_window),
        new=sum(1 for c in changes if c.kind is ChangeKind.NEW),
        updated=sum(1 for c in changes if c.kind is ChangeKind.UPDATED),
        sections=builder.sections(),
        health=inputs.health,
        notes=inputs.notes,
    )
    return Edition(digest=digest, changes=changes, announced_new=announced_as_new(changes))


class _Builder:
    """The state one edition's sections share: papers, their sightings and their changes."""

    def __init__(self, inputs: EditionInputs, changes: Sequence[Change]) -> None:
        self.inputs = inputs
        self.now = inputs.window.end
        # The first digest ever looks back one day for velocity.
        self.start = inputs.window.start or (self.now - timedelta(days=1))
        self.papers = {h.paper.arxiv_id: h.paper for h in inputs.histories}
        self.seen = {
            h.paper.arxiv_id: tuple(sorted(h.sightings, key=lambda s: s.observed_at))
            for h in inputs.histories
        }
        self.kinds: dict[str, list[ChangeKind]] = {}
        for change in changes:
            self.kinds.setdefault(change.arxiv_id, []).append(change.kind)
        self.in_window = [
            arxiv_id
            for arxiv_id, seen in self.seen.items()
            if any(self.start <= s.observed_at <= self.now for s in seen)
        ]

    def sections(self) -> tuple[Section, ...]:
        inputs = self.inputs
        sections: list[Section] = []
        matches = match_papers(
            [self.papers[i] for i in self.in_window],
            inputs.topics,
            hf_query_hits=inputs.hf_query_hits,
        )
        in_some_topic: set[str] = set()
        for topic in inputs.topics:
            members = [i for i in self.in_window if any(m.topic == topic.name for m in matches[i])]
            in_some_topic.update(members)
            sections.append(self.topic_section(topic.name, members))
        rest = [i for i in self.in_window if i not in in_some_topic]
        if inputs.topics:
            # Papers in no topic earn a place only by rising strongly.
            rising = [i for i in rest if ChangeKind.RISING in self.kinds.get(i, ())]
            sections.append(self.ranked_section(OTHER, rising, inputs.caps.other_notable))
        else:
            sections.append(self.ranked_section("Trending", rest, inputs.caps.top_trending))
        if inputs.authors:
            sections.append(self.authors_section())
        if inputs.primary:
            sections.append(self.full_list())
        return tuple(s for s in sections if s.items or s.note or s.details)

    def score(self, arxiv_id: str, topic: str) -> TrendingItem:
        return score_paper(
            self.papers[arxiv_id],
            self.seen[arxiv_id],
            topic=topic,
            window_start=self.start,
            now=self.now,
            params=self.inputs.trending,
        )

    def item(self, arxiv_id: str, trend: TrendingItem | None = None) -> DigestItem:
        seen = self.seen[arxiv_id]
        latest = next((s for s in reversed(seen) if s.upvotes is not None), None)
        kinds = self.kinds.get(arxiv_id, [])
        return DigestItem(
            paper=self.papers[arxiv_id],
            upvotes=latest.upvotes if latest else None,
            gain=_gain_since_last_run(seen),
            comments=latest.comments if latest else None,
            stars=next((s.stars for s in reversed(seen) if s.stars is not None), None),
            is_new=ChangeKind.NEW in kinds,
            reason=trend.reason if trend else None,
            sparkline=_sparkline(seen),
            labels=tuple(k.value for k in kinds if k is not ChangeKind.NEW),
        )

    def topic_section(self, name: str, members: Sequence[str]) -> Section:
        caps = self.inputs.caps
        trend = rank(self.score(i, name) for i in members)
        top = [t for t in trend[: caps.top_trending] if t.score > 0]
        shown = {t.arxiv_id for t in top}
        new = [
            t
            for t in trend
            if t.arxiv_id not in shown and ChangeKind.NEW in self.kinds.get(t.arxiv_id, ())
        ][: caps.top_new]
        items = tuple(self.item(t.arxiv_id, t) for t in (*top, *new))
        note = None if members else "Nothing matched this topic in this window."
        return Section(title=name, items=items, note=note, more=len(members) - len(items))

    def ranked_section(self, title: str, ids: Sequence[str], cap: int) -> Section:
        trend = [t for t in rank(self.score(i, title) for i in ids) if t.score > 0]
        return Section(
            title=title,
            items=tuple(self.item(t.arxiv_id, t) for t in trend[:cap]),
            more=max(0, len(trend) - cap),
        )

    def authors_section(self) -> Section:
        items: list[DigestItem] = []
        details: list[str] = []
        for news in self.inputs.authors:
            details.extend(f"{news.name}: {line}" for line in news.profile_changes)
            for paper in news.papers:
                if all(i.paper.arxiv_id != paper.arxiv_id for i in items):
                    items.append(DigestItem(paper=paper, reason=f"new paper by {news.name}"))
        note = None if items or details else "No news from followed authors in this window."
        return Section(
            title="Followed authors", items=tuple(items), details=tuple(details), note=note
        )

    def full_list(self) -> Section:
        """The edition's own listing ranked by upvotes, as HF shows it (with our reasons)."""
        ranked = sorted(self.inputs.primary, key=lambda s: (-(s.upvotes or 0), s.rank or 0))
        cap = self.inputs.caps.full_list
        shown = ranked if cap is None else ranked[:cap]
        title = "Papers of the day" if self.inputs.edition == "daily" else "Papers of the week"
        items = tuple(
            self.item(s.arxiv_id, self.score(s.arxiv_id, title))
            for s in shown
            if s.arxiv_id in self.papers
        )
        return Section(title=title, items=items, more=len(ranked) - len(shown))


def weekend_note(day: date) -> str:
    """Why a day has no Daily Papers: HF publishes none on weekends."""
    when = f"{day:%A %d %B %Y}"
    if day.weekday() >= 5:
        return f"No Daily Papers were listed for {when}: Hugging Face publishes none on weekends."
    return f"No Daily Papers were listed for {when}."


def _sparkline(seen: Sequence[Sighting]) -> str | None:
    """The recent upvote history, only when it moved: a flat line says nothing."""
    recent = [s for s in seen if s.upvotes is not None][-SPARK_WIDTH:]
    if len({s.upvotes for s in recent}) < 2:
        return None
    return upvote_sparkline(recent)


def upvote_gain(current: Sighting, previous: Sighting | None) -> int | None:
    """Upvotes gained since the previous observation, when there was one."""
    if previous is None or current.upvotes is None or previous.upvotes is None:
        return None
    return current.upvotes - previous.upvotes


def _gain_since_last_run(seen: Sequence[Sighting]) -> int | None:
    """Upvotes gained since the previous observation of the same listing (None: first one)."""
    counted = [s for s in seen if s.upvotes is not None]
    if not counted:
        return None
    latest = counted[-1]
    earlier = [s for s in counted[:-1] if (s.source, s.period) == (latest.source, latest.period)]
    return upvote_gain(latest, earlier[-1]) if earlier else None


def cap_sections(digest: Digest, cap: int | None) -> Digest:
    """At most ``cap`` items per section; the rest counted as "more in the archive"."""
    if cap is None:
        return digest
    sections = tuple(
        replace(s, items=s.items[:cap], more=s.more + max(0, len(s.items) - cap))
        for s in digest.sections
    )
    return replace(digest, sections=sections)
