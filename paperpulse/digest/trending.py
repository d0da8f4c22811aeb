"""Trending per topic from stored upvote history, with a one-line reason per paper.

    effective gain = upvote gain + comment_weight * comment gain + star_weight * log2(1 + star gain)
    velocity       = effective gain / (span days + prior_days)
    score          = velocity / (age days + age_offset_days) ** gravity

The gain is measured between a baseline sighting (the last one before the window start) and
the latest sighting inside the window, over ``span`` days. A paper first seen inside the
window is measured from zero at its list date. See docs/trending.md for
the reasoning behind every constant and worked examples (checked by tests/digest/test_trending).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

from paperpulse.core.models import Paper, Sighting

_DAY = 86400.0


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendingParams:
    """Every constant of the score and its reason line (see docs/trending.md for why)."""

    prior_days: float = 1.0  # zero-gain pseudo-time added to every span (small-count smoothing)
    gravity: float = 1.0  # exponent of the age decay
    age_offset_days: float = 2.0  # added to the age before decaying (HN's +2)
    comment_weight: float = 1.0  # one new comment counts as one upvote
    star_weight: float = 1.0  # log2(1 + new stars) counts as that many upvotes
    yesterday_span_days: tuple[float, float] = (0.75, 1.5)  # spans said "since yesterday"
    week_span_days: tuple[float, float] = (5.5, 8.5)  # spans said "this week"

    def __post_init__(self) -> None:
        problems = []
        if not self.prior_days > 0:
            problems.append(f"prior_days must be > 0 (got {self.prior_days})")
        if not self.age_offset_days > 0:
            problems.append(f"age_offset_days must be > 0 (got {self.age_offset_days})")
        for name in ("gravity", "comment_weight", "star_weight"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                problems.append(f"{name} must be a finite number >= 0 (got {value})")
        if problems:
            raise ValueError("invalid TrendingParams: " + "; ".join(problems))


DEFAULT_PARAMS = TrendingParams()


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendingItem:
    arxiv_id: str
    topic: str
    score: float
    gain: int  # upvotes gained over the span
    velocity: float  # smoothed effective gain per day
    age_days: float  # since the list date
    upvotes: int  # latest count seen (0 when never counted)
    stars: int | None  # latest GitHub stars seen
    reason: str
    span_days: float = 0.0  # what the gain was measured over


def score_paper(
    paper: Paper,
    sightings: Iterable[Sighting],
    *,
    topic: str,
    window_start: datetime,
    now: datetime,
    age_at: datetime | None = None,
    params: TrendingParams = DEFAULT_PARAMS,
) -> TrendingItem:
    """Score one paper for one topic from its sightings (any order, any sources).

    Sightings after ``now`` are ignored, so a past digest can be recomputed exactly. Ages are
    measured at ``age_at`` (default ``now``): a digest of a past date rebuilt today still says
    "new today" of that date's papers.
    """
    for moment, what in ((window_start, "window_start"), (now, "now")):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{what} is a naive datetime ({moment}); pass timezone-aware UTC")
    if window_start > now:
        raise ValueError(f"window_start {window_start} is after now {now}")
    seen = sorted(
        (s for s in sightings if s.observed_at <= now), key=lambda s: (s.observed_at, s.run_id)
    )
    listed_at = _listed_at(paper, seen, now)
    age = max(0.0, ((age_at or now) - listed_at).total_seconds() / _DAY)
    counted = [s for s in seen if s.upvotes is not None]
    inside = [s for s in counted if s.observed_at >= window_start]
    starred = [s.stars for s in seen if s.stars is not None]
    stars = starred[-1] if starred else None
    upvotes = (counted[-1].upvotes or 0) if counted else 0

    if not inside:
        return TrendingItem(
            arxiv_id=paper.arxiv_id,
            topic=topic,
            score=0.0,
            gain=0,
            velocity=0.0,
            age_days=age,
            upvotes=upvotes,
            stars=stars,
            reason=_reason("no upvotes seen in this window", 0, age, stars, 0),
        )
    latest = inside[-1]
    before = [s for s in counted if s.observed_at < window_start]
    baseline = before[-1] if before else None
    if baseline is None:
        # First seen in this window: all its upvotes are news, measured from zero at the list
        # date (however many times the window observed it, so a re-run scores the same).
        span = max(0.0, (latest.observed_at - listed_at).total_seconds() / _DAY)
        gain = max(0, latest.upvotes or 0)
        comment_gain = max(0, latest.comments or 0)
        star_gain = 0  # stars predate the listing; one sighting cannot tell what is new
        measured = f"+{_plural(gain, 'upvote')} since listed"
    else:
        span = (latest.observed_at - baseline.observed_at).total_seconds() / _DAY
        gain = max(0, (latest.upvotes or 0) - (baseline.upvotes or 0))
        comment_gain = _gain(baseline.comments, latest.comments)
        star_gain = _gain(baseline.stars, latest.stars)
        when = _when(span, params)
        measured = f"+{_plural(gain, 'upvote')} {when}" if gain else f"no new upvotes {when}"
    velocity = effective_gain(gain, comment_gain, star_gain, params) / (span + params.prior_days)
    score = velocity / age_decay(age, params)
    return TrendingItem(
        arxiv_id=paper.arxiv_id,
        topic=topic,
        score=score,
        gain=gain,
        velocity=velocity,
        age_days=age,
        upvotes=latest.upvotes or 0,
        stars=stars,
        reason=_reason(measured, comment_gain, age, stars, star_gain),
        span_days=span,
    )


def effective_gain(
    gain: int, comment_gain: int, star_gain: int, params: TrendingParams = DEFAULT_PARAMS
) -> float:
    """Upvote-equivalents gained: comments count linearly, stars logarithmically (a popular repo
    gains thousands of stars a day and must not drown the upvote signal)."""
    return (
        gain + params.comment_weight * comment_gain + params.star_weight * math.log2(1 + star_gain)
    )


def age_decay(age_days: float, params: TrendingParams = DEFAULT_PARAMS) -> float:
    """The divisor that makes older papers rank lower at equal velocity."""
    return float((max(0.0, age_days) + params.age_offset_days) ** params.gravity)


def rank(items: Iterable[TrendingItem]) -> tuple[TrendingItem, ...]:
    """Highest score first; ties broken by arxiv_id (then topic) so the order is stable."""
    return tuple(sorted(items, key=lambda i: (-i.score, i.arxiv_id, i.topic)))


# --- helpers ----------------------------------------------------------------------------------


def _listed_at(paper: Paper, seen: Sequence[Sighting], now: datetime) -> datetime:
    if paper.list_date is not None:
        return datetime.combine(paper.list_date, time(), tzinfo=UTC)
    if paper.published_at is not None:
        return paper.published_at
    return seen[0].observed_at if seen else now


def _gain(start: int | None, end: int | None) -> int:
    return max(0, end - start) if start is not None and end is not None else 0


def _reason(measured: str, comment_gain: int, age: float, stars: int | None, star_gain: int) -> str:
    """E.g. "+41 upvotes since yesterday · +2 comments · 2 days old · 120★ (+20)"."""
    parts = [measured]
    if comment_gain > 0:
        parts.append(f"+{_plural(comment_gain, 'comment')}")
    days = math.floor(age)
    parts.append("new today" if days == 0 else f"{_plural(days, 'day')} old")
    if stars is not None:
        parts.append(f"{stars:,}★" + (f" (+{star_gain:,})" if star_gain > 0 else ""))
    return " · ".join(parts)


def _when(span: float, params: TrendingParams) -> str:
    if span < params.yesterday_span_days[0]:
        return f"in {_plural(max(1, round(span * 24)), 'hour')}"
    if span < params.yesterday_span_days[1]:
        return "since yesterday"
    if params.week_span_days[0] <= span < params.week_span_days[1]:
        return "this week"
    return f"in {math.floor(span + 0.5)} days"


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
