"""Trending score: the documented examples, the documented constants, and ordering properties."""

from __future__ import annotations

import ast
import dataclasses
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperpulse.core.models import Paper, Sighting
from paperpulse.digest.trending import (
    DEFAULT_PARAMS,
    TrendingItem,
    TrendingParams,
    age_decay,
    rank,
    score_paper,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "trending.md"
NOW = datetime(2024, 8, 3, 7, 0, tzinfo=UTC)
TODAY = NOW.date()


def sighting(
    at: datetime,
    upvotes: int | None,
    *,
    run: int = 1,
    comments: int | None = None,
    stars: int | None = None,
) -> Sighting:
    return Sighting(
        arxiv_id="2408.00001",
        source="hf-daily",
        period=at.date().isoformat(),
        run_id=run,
        observed_at=at,
        upvotes=upvotes,
        comments=comments,
        stars=stars,
    )


def paper(list_date: date, arxiv_id: str = "2408.00001") -> Paper:
    return Paper(arxiv_id=arxiv_id, title="A paper", list_date=list_date)


def two_point_score(
    *, gain: int, age_days: int, span_hours: int = 24, start: int = 5, now: datetime = NOW
) -> TrendingItem:
    """A paper listed ``age_days`` ago that gained ``gain`` over the last ``span_hours``."""
    latest = now - timedelta(hours=1)
    baseline = latest - timedelta(hours=span_hours)
    return score_paper(
        paper(now.date() - timedelta(days=age_days)),
        [sighting(baseline, start, run=1), sighting(latest, start + gain, run=2)],
        topic="t",
        window_start=baseline + timedelta(minutes=30),
        now=now,
    )


# --- the document ------------------------------------------------------------------------------


@dataclass
class DocExample:
    fields: dict[str, str]
    sightings: list[str]


def doc_examples() -> list[DocExample]:
    blocks = re.findall(r"```trending-example\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    examples = []
    for block in blocks:
        fields: dict[str, str] = {}
        sightings: list[str] = []
        for line in block.strip().splitlines():
            key, _, value = line.partition(": ")
            if key == "sighting":
                sightings.append(value)
            else:
                fields[key] = value
        examples.append(DocExample(fields, sightings))
    return examples


def parse_sighting(text: str, run: int) -> Sighting:
    at, *counts = text.split()
    values = {k: int(v) for k, v in (c.split("=") for c in counts)}
    return sighting(
        datetime.fromisoformat(at),
        values["upvotes"],
        run=run,
        comments=values.get("comments"),
        stars=values.get("stars"),
    )


def score_example(example: DocExample) -> TrendingItem:
    f = example.fields
    return score_paper(
        paper(date.fromisoformat(f["list_date"]), f["arxiv_id"]),
        [parse_sighting(s, run=i) for i, s in enumerate(example.sightings, start=1)],
        topic="t",
        window_start=datetime.fromisoformat(f["window_start"]),
        now=datetime.fromisoformat(f["now"]),
    )


def test_the_document_has_at_least_three_worked_examples() -> None:
    assert len(doc_examples()) >= 3


@pytest.mark.parametrize("example", doc_examples(), ids=lambda e: e.fields["arxiv_id"])
def test_documented_example_matches_the_code(example: DocExample) -> None:
    item = score_example(example)
    f = example.fields
    p = DEFAULT_PARAMS
    assert item.gain == int(f["gain"])
    assert item.velocity * (item.span_days + p.prior_days) == pytest.approx(
        float(f["effective_gain"]), abs=5e-4
    )
    assert item.velocity == pytest.approx(float(f["velocity"]), abs=5e-4)
    assert item.age_days == pytest.approx(float(f["age_days"]), abs=5e-4)
    assert age_decay(item.age_days) == pytest.approx(float(f["decay"]), abs=5e-4)
    assert item.score == pytest.approx(float(f["score"]), abs=5e-4)
    assert item.reason == f["reason"]


def test_documented_ranking_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = re.search(r"```trending-ranking\n(.*?)```", text, re.S)
    assert documented is not None
    ranked = rank(score_example(e) for e in doc_examples())
    assert [i.arxiv_id for i in ranked] == documented.group(1).split()


def test_documented_constants_are_the_defaults() -> None:
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", DOC.read_text(encoding="utf-8"), re.M)
    documented = {name: ast.literal_eval(value.strip()) for name, value in rows}
    defaults = {f.name: f.default for f in dataclasses.fields(TrendingParams)}
    assert documented == defaults


# --- reasons -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span_hours", "phrase"),
    [(3, "in 3 hours"), (1, "in 1 hour"), (24, "since yesterday"), (30, "since yesterday"),
     (72, "in 3 days"), (24 * 7, "this week"), (24 * 12, "in 12 days")],
)  # fmt: skip
def test_reason_names_the_span_as_a_reader_would(span_hours: int, phrase: str) -> None:
    item = two_point_score(gain=7, age_days=20, span_hours=span_hours)
    assert item.reason.startswith(f"+7 upvotes {phrase} · ")


def test_reason_for_one_upvote_and_one_comment_is_singular() -> None:
    item = score_paper(
        paper(TODAY),
        [sighting(NOW - timedelta(hours=2), 1, comments=1)],
        topic="t",
        window_start=NOW - timedelta(days=1),
        now=NOW,
    )
    assert item.reason == "+1 upvote since listed · +1 comment · new today"


def test_reason_when_nothing_was_counted_in_the_window() -> None:
    item = score_paper(
        paper(TODAY - timedelta(days=3)),
        [sighting(NOW - timedelta(days=2), 40, stars=1500)],
        topic="t",
        window_start=NOW - timedelta(days=1),
        now=NOW,
    )
    assert (item.score, item.upvotes, item.stars) == (0.0, 40, 1500)
    assert item.reason == "no upvotes seen in this window · 3 days old · 1,500★"


def test_sightings_after_now_are_ignored() -> None:
    base = [sighting(NOW - timedelta(days=1), 10, run=1), sighting(NOW, 20, run=2)]
    future = [sighting(NOW + timedelta(hours=5), 500, run=3)]
    start = NOW - timedelta(hours=12)
    with_future = score_paper(paper(TODAY), base + future, topic="t", window_start=start, now=NOW)
    assert with_future == score_paper(paper(TODAY), base, topic="t", window_start=start, now=NOW)


def test_naive_clock_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        score_paper(paper(TODAY), [], topic="t", window_start=NOW, now=NOW.replace(tzinfo=None))


def test_invalid_params_are_refused_with_every_problem_named() -> None:
    with pytest.raises(ValueError, match=r"prior_days.*gravity"):
        TrendingParams(prior_days=0, gravity=-1)


# --- properties --------------------------------------------------------------------------------

gains = st.integers(min_value=0, max_value=1_000_000)
ages = st.integers(min_value=0, max_value=3650)
spans = st.integers(min_value=1, max_value=24 * 60)


@given(gain=gains, extra=st.integers(1, 10_000), age=ages, span=spans)
def test_more_gain_ranks_higher_at_equal_age(gain: int, extra: int, age: int, span: int) -> None:
    low = two_point_score(gain=gain, age_days=age, span_hours=span)
    high = two_point_score(gain=gain + extra, age_days=age, span_hours=span)
    assert high.score > low.score
    assert rank([low, high])[0] is high


@given(gain=st.integers(1, 1_000_000), age=ages, older_by=st.integers(1, 3650), span=spans)
def test_older_ranks_lower_at_equal_gain(gain: int, age: int, older_by: int, span: int) -> None:
    young = two_point_score(gain=gain, age_days=age, span_hours=span)
    old = two_point_score(gain=gain, age_days=age + older_by, span_hours=span)
    assert old.score < young.score


@given(
    seen_after_minutes=st.integers(0, 23 * 60 + 59),
    span=st.integers(1, 48),
)
def test_one_upvote_on_a_new_paper_never_beats_forty_on_a_two_day_old_one(
    seen_after_minutes: int, span: int
) -> None:
    midnight = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC)
    seen_at = midnight + timedelta(minutes=seen_after_minutes)
    now = seen_at + timedelta(minutes=1)
    fresh = score_paper(
        paper(TODAY, "2408.99999"),
        [sighting(seen_at, 1)],
        topic="t",
        window_start=now - timedelta(days=1),
        now=now,
    )
    two_days = two_point_score(gain=40, age_days=2, span_hours=span, now=now)
    assert two_days.score > fresh.score


@given(
    counts=st.lists(
        st.tuples(
            st.integers(0, 10**7),
            st.none() | st.integers(0, 10**5),
            st.none() | st.integers(0, 10**7),
        ),
        min_size=1,
        max_size=6,
    ),
    gaps=st.lists(st.integers(0, 60 * 24 * 30), min_size=6, max_size=6),
    list_age=st.integers(-2, 5000),
    window_days=st.integers(0, 60),
)
def test_score_is_finite_and_never_negative(
    counts: list[tuple[int, int | None, int | None]],
    gaps: list[int],
    list_age: int,
    window_days: int,
) -> None:
    at = NOW - timedelta(days=90)
    history = []
    for i, ((up, comments, stars), gap) in enumerate(zip(counts, gaps, strict=False)):
        at += timedelta(minutes=gap)
        history.append(
            Sighting(
                arxiv_id="x", source="hf-daily", period="p", run_id=i, observed_at=at,
                upvotes=up, comments=comments, stars=stars,
            )
        )  # fmt: skip
    item = score_paper(
        paper(TODAY - timedelta(days=list_age)),
        history,
        topic="t",
        window_start=NOW - timedelta(days=window_days),
        now=NOW,
    )
    assert math.isfinite(item.score) and item.score >= 0
    assert math.isfinite(item.velocity) and item.velocity >= 0
    assert item.gain >= 0 and item.age_days >= 0


@given(scores=st.lists(st.sampled_from([0.0, 1.0, 2.5]), min_size=1, max_size=8))
def test_rank_orders_by_score_then_arxiv_id(scores: list[float]) -> None:
    items = [
        TrendingItem(
            arxiv_id=f"2408.{i:05d}", topic="t", score=s, gain=0, velocity=0.0, age_days=0.0,
            upvotes=0, stars=None, reason="",
        )
        for i, s in reversed(list(enumerate(scores)))
    ]  # fmt: skip
    ranked = rank(items)
    keys = [(-i.score, i.arxiv_id) for i in ranked]
    assert keys == sorted(keys)
    assert rank(reversed(items)) == ranked


def test_a_new_paper_scores_the_same_however_often_the_window_saw_it() -> None:
    paper = Paper(arxiv_id="2408.00001", title="t", list_date=date(2024, 8, 1))
    start, now = datetime(2024, 8, 1, 6, tzinfo=UTC), datetime(2024, 8, 2, 6, tzinfo=UTC)

    def seen(hour: int, run_id: int) -> Sighting:
        return Sighting(
            arxiv_id=paper.arxiv_id,
            source="hf-daily",
            period="2024-08-01",
            run_id=run_id,
            observed_at=datetime(2024, 8, 2, hour, tzinfo=UTC),
            upvotes=30,
            comments=2,
        )

    once = score_paper(paper, [seen(5, 2)], topic="t", window_start=start, now=now)
    twice = score_paper(paper, [seen(1, 1), seen(5, 2)], topic="t", window_start=start, now=now)
    assert once.gain == twice.gain == 30
    assert once.score == twice.score > 0
    assert twice.reason == once.reason
