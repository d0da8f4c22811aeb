"""What changed since the previous digest of an edition: pure functions over stored history.

Kinds of change:
- ``new``: first seen ever (any source) inside the window.
- ``rising``: upvotes gained over the window >= ``DiffParams.rising_threshold``.
- ``updated``: code repository added or changed, title or abstract revised, new arXiv version.
- ``back``: on the latest run of a listing in the window, absent from that listing's run before
  the window, and on an earlier run of it.
- ``dropped``: on the listing's run before the window, absent from its latest run in the window.

"The previous run of a listing" is the last *complete* run of that (source, period) before the
window starts, i.e. what the reader's previous digest saw; "the current run" is the last complete
run inside the window. Comparing the window's two ends (not adjacent runs inside it) reports what
changed since the reader last looked, and a paper that flickers between hourly runs inside the
window is not reported. Failed, running and empty runs are ignored: absence from a broken fetch
says nothing about a paper.

``diff`` reports facts, so a paper can be both ``new`` and ``rising``; ``apply_sent_ledger``
decides what to announce (and keeps only ``new`` when both survive). Clocks are passed in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from paperpulse.core.models import Paper, RunRecord, Sighting

ListingKey = tuple[str, str]  # (source, period)
DEFAULT_SENT_WINDOW = timedelta(days=30)


class ChangeKind(StrEnum):
    NEW = "new"
    RISING = "rising"
    UPDATED = "updated"
    BACK = "back"
    DROPPED = "dropped"


_KIND_ORDER = {kind: i for i, kind in enumerate(ChangeKind)}


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperState:
    """The tracked fields of a paper at one moment: what ``updated`` and ``rising`` compare."""

    title: str
    abstract: str = ""
    github_repo: str | None = None
    version: int | None = None
    upvotes: int | None = None  # filled in by ``diff`` from sightings

    @classmethod
    def of(cls, paper: Paper, *, upvotes: int | None = None) -> PaperState:
        return cls(
            title=paper.title,
            abstract=paper.abstract,
            github_repo=paper.github_repo,
            version=paper.version,
            upvotes=upvotes,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperHistory:
    """What storage knows about one paper for one diff.

    ``before``: the tracked fields as they were at the window start (None when unknown).
    ``sightings``: its sightings in the window and before it (any order); include enough history
    to cover the previous run of every listing it was on, or ``dropped``/``back`` go unseen.
    ``first_seen_at``: when it was first seen ever (storage keeps it even when old sightings are
    not loaded); defaults to its earliest sighting given.
    """

    paper: Paper
    before: PaperState | None = None
    sightings: tuple[Sighting, ...] = ()
    first_seen_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DiffWindow:
    """Since the previous digest of an edition (``start``; None on the first digest ever) until
    this one (``end``). A moment ``t`` is in the window when ``start <= t <= end``."""

    start: datetime | None
    end: datetime

    def __post_init__(self) -> None:
        _require_aware("window end", self.end)
        if self.start is not None:
            _require_aware("window start", self.start)
            if self.start > self.end:
                raise ValueError(f"diff window starts after it ends: {self.start} > {self.end}")

    def before(self, moment: datetime) -> bool:
        return self.start is not None and moment < self.start

    def contains(self, moment: datetime) -> bool:
        return (self.start is None or self.start <= moment) and moment <= self.end


@dataclass(frozen=True, slots=True, kw_only=True)
class DiffParams:
    rising_threshold: int = 10  # upvotes gained in the window; HF daily top papers gain 10-100/day

    def __post_init__(self) -> None:
        if self.rising_threshold < 1:
            raise ValueError(f"rising_threshold must be >= 1, got {self.rising_threshold}")


DEFAULT_DIFF_PARAMS = DiffParams()


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    kind: ChangeKind
    arxiv_id: str
    # Tracked fields and upvotes at the window start; None only for ``new``. When storage had no
    # snapshot, the current fields stand in (so only ``upvotes`` differs from ``after``).
    before: PaperState | None
    after: PaperState  # now, with the upvotes last seen in the window
    reasons: tuple[str, ...]
    listing: ListingKey | None = None  # for back/dropped


def diff(
    histories: Iterable[PaperHistory],
    runs: Iterable[RunRecord],
    window: DiffWindow,
    *,
    params: DiffParams = DEFAULT_DIFF_PARAMS,
) -> tuple[Change, ...]:
    """Every change of every paper over ``window``, sorted by kind, arxiv_id, listing.

    ``runs``: the run ledger's records of the listings these papers were on (at least the last
    complete run before the window and those inside it, per listing; older ones make ``back``
    visible).
    """
    prepared = [_prepare(h, window) for h in histories]
    members: dict[int, set[str]] = defaultdict(set)
    for p in prepared:
        for s in p.history.sightings:
            members[s.run_id].add(p.arxiv_id)
    listings = _listing_runs(runs, window)
    changes: list[Change] = []
    for p in prepared:
        if p.first_seen is None or p.first_seen > window.end:
            continue  # not seen by the end of the window: nothing to say
        changes.extend(_paper_changes(p, window, params))
        changes.extend(_listing_changes(p, listings, members))
    changes.sort(key=lambda c: (_KIND_ORDER[c.kind], c.arxiv_id, c.listing or ("", "")))
    return tuple(changes)


def apply_sent_ledger(
    changes: Sequence[Change],
    sent_as_new: Mapping[str, datetime],
    *,
    now: datetime,
    window: timedelta = DEFAULT_SENT_WINDOW,
) -> tuple[Change, ...]:
    """What one recipient/edition should be told: no paper announced as new twice in ``window``.

    ``sent_as_new`` maps an arXiv id (without version) to when it was last announced as new to
    this recipient/edition. A ``new`` change whose announcement is less than ``window`` old is
    dropped (its ``rising`` change, if any, then stands); a ``new`` that survives hides the same
    paper's ``rising``. Entries stamped after ``now`` are ignored, so rendering a digest for a past
    moment (or retrying one) gives the same answer.
    """
    _require_aware("now", now)
    if window <= timedelta(0):
        raise ValueError(f"the sent-ledger window must be positive, got {window}")

    def recently_sent(arxiv_id: str) -> bool:
        sent_at = sent_as_new.get(arxiv_id)
        return sent_at is not None and now - window < sent_at <= now

    announced = {c.arxiv_id for c in changes if c.kind is ChangeKind.NEW}
    suppressed = {a for a in announced if recently_sent(a)}
    kept_new = announced - suppressed
    return tuple(
        c
        for c in changes
        if not (c.kind is ChangeKind.NEW and c.arxiv_id in suppressed)
        and not (c.kind is ChangeKind.RISING and c.arxiv_id in kept_new)
    )


def announced_as_new(changes: Iterable[Change]) -> frozenset[str]:
    """The ids a delivered digest announced as new: what to record in the sent ledger."""
    return frozenset(c.arxiv_id for c in changes if c.kind is ChangeKind.NEW)


# --- per paper ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Prepared:
    history: PaperHistory
    arxiv_id: str
    seen: tuple[Sighting, ...]  # by time, up to the window end
    first_seen: datetime | None
    before: PaperState  # at the window start (current fields when storage had no snapshot)
    after: PaperState


def _prepare(history: PaperHistory, window: DiffWindow) -> _Prepared:
    for s in history.sightings:
        _require_aware(f"sighting of {s.arxiv_id} in run {s.run_id}", s.observed_at)
    ordered = sorted(history.sightings, key=lambda s: (s.observed_at, s.run_id))
    seen = tuple(s for s in ordered if s.observed_at <= window.end)
    candidates = [
        t for t in (history.first_seen_at, ordered[0].observed_at if ordered else None) if t
    ]
    first_seen = min(candidates) if candidates else None
    up_before, up_after = _upvotes_over(seen, window)
    snapshot = history.before or PaperState.of(history.paper)
    return _Prepared(
        history=history,
        arxiv_id=history.paper.arxiv_id,
        seen=seen,
        first_seen=first_seen,
        before=replace(snapshot, upvotes=up_before),
        after=PaperState.of(history.paper, upvotes=up_after),
    )


def _paper_changes(p: _Prepared, window: DiffWindow, params: DiffParams) -> list[Change]:
    changes: list[Change] = []
    is_new = p.first_seen is not None and window.contains(p.first_seen)
    if is_new:
        first = next((s for s in p.seen if window.contains(s.observed_at)), None)
        where = (
            f"first seen on {first.source} {first.period}"
            if first is not None
            else f"first seen {p.first_seen:%Y-%m-%d}"
        )
        changes.append(_change(ChangeKind.NEW, p, (where,)))

    up_before, up_after = p.before.upvotes, p.after.upvotes
    if up_before is not None and up_after is not None:
        gain = up_after - up_before
        if gain >= params.rising_threshold:
            reason = f"+{gain} upvotes ({up_before} → {up_after})"
            changes.append(_change(ChangeKind.RISING, p, (reason,)))

    if not is_new and p.history.before is not None:
        revisions = _revisions(p.history.before, p.after)
        if revisions:
            changes.append(_change(ChangeKind.UPDATED, p, revisions))
    return changes


def _change(
    kind: ChangeKind,
    p: _Prepared,
    reasons: tuple[str, ...],
    *,
    listing: ListingKey | None = None,
) -> Change:
    return Change(
        kind=kind,
        arxiv_id=p.arxiv_id,
        before=None if kind is ChangeKind.NEW else p.before,
        after=p.after,
        reasons=reasons,
        listing=listing,
    )


def _upvotes_over(seen: Sequence[Sighting], window: DiffWindow) -> tuple[int | None, int | None]:
    """(upvotes at the window start, upvotes at its end). The start is the last count seen
    before the window; for a paper first counted inside it, its first count there."""
    counted = [s for s in seen if s.upvotes is not None]
    before = [s for s in counted if window.before(s.observed_at)]
    inside = [s for s in counted if window.contains(s.observed_at)]
    if before:
        start = before[-1].upvotes
    elif inside:
        start = inside[0].upvotes
    else:
        return None, None
    end = inside[-1].upvotes if inside else start
    return start, end


def _revisions(before: PaperState, after: PaperState) -> tuple[str, ...]:
    reasons: list[str] = []
    if after.github_repo and not before.github_repo:
        reasons.append(f"code released: {after.github_repo}")
    elif after.github_repo and _norm_url(after.github_repo) != _norm_url(before.github_repo):
        reasons.append(f"code moved to {after.github_repo}")
    # A bare id (as HF lists them) is v1 until a source says otherwise (storage.merge agrees).
    if after.version is not None and after.version > (before.version or 1):
        reasons.append(f"new arXiv version v{after.version} (was v{before.version or 1})")
    if _norm_text(after.title) != _norm_text(before.title):
        reasons.append("title revised")
    if (
        before.abstract
        and after.abstract
        and _norm_text(after.abstract) != _norm_text(before.abstract)
    ):
        reasons.append("abstract revised")
    # A repository disappearing or a version going down is a source disagreeing, not news.
    return tuple(reasons)


# --- per listing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ListingRuns:
    current: RunRecord  # last complete run inside the window
    previous: RunRecord | None  # last complete run before the window
    earlier: tuple[RunRecord, ...]  # complete runs before ``previous``


def _listing_runs(runs: Iterable[RunRecord], window: DiffWindow) -> dict[ListingKey, _ListingRuns]:
    by_listing: dict[ListingKey, list[RunRecord]] = defaultdict(list)
    for run in runs:
        _require_aware(f"run {run.id} ({run.source} {run.period}) start", run.started_at)
        if run.status == "complete":
            by_listing[(run.source, run.period)].append(run)
    result: dict[ListingKey, _ListingRuns] = {}
    for key, listing_runs in by_listing.items():
        listing_runs.sort(key=lambda r: (r.started_at, r.id))
        inside = [r for r in listing_runs if window.contains(r.started_at)]
        before = [r for r in listing_runs if window.before(r.started_at)]
        if not inside:
            continue
        result[key] = _ListingRuns(
            current=inside[-1],
            previous=before[-1] if before else None,
            earlier=tuple(before[:-1]),
        )
    return result


def _listing_changes(
    p: _Prepared,
    listings: Mapping[ListingKey, _ListingRuns],
    members: Mapping[int, set[str]],
) -> list[Change]:
    changes: list[Change] = []
    for key in sorted({(s.source, s.period) for s in p.history.sightings}):
        runs = listings.get(key)
        if runs is None or runs.previous is None:
            continue  # no current run, or nothing to compare it with
        on_now = p.arxiv_id in members.get(runs.current.id, set())
        on_before = p.arxiv_id in members.get(runs.previous.id, set())
        label = f"{key[0]} {key[1]}"
        if on_before and not on_now:
            rank = _rank_in(p, runs.previous)
            was = f" (was #{rank})" if rank else ""
            reason = f"dropped from {label}{was}"
            changes.append(_change(ChangeKind.DROPPED, p, (reason,), listing=key))
        elif (
            on_now
            and not on_before
            and any(p.arxiv_id in members.get(r.id, set()) for r in runs.earlier)
        ):
            rank = _rank_in(p, runs.current)
            at = f" at #{rank}" if rank else ""
            reason = f"back on {label}{at} after missing its previous run"
            changes.append(_change(ChangeKind.BACK, p, (reason,), listing=key))
    return changes


def _rank_in(p: _Prepared, run: RunRecord) -> int | None:
    return next((s.rank for s in p.history.sightings if s.run_id == run.id and s.rank), None)


# --- helpers -----------------------------------------------------------------------------------


def _require_aware(what: str, moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} is a naive datetime ({moment}); pass timezone-aware UTC times")


def _norm_text(text: str) -> str:
    # Sources wrap lines differently (HF keeps arXiv's line breaks): only words count.
    return " ".join(text.split()).rstrip(".")


def _norm_url(url: str | None) -> str:
    return (url or "").strip().rstrip("/").removesuffix(".git").lower()
