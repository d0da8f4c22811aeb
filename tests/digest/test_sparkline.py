"""Sparklines: shape, edge cases, fixed width."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperpulse.core.models import Sighting
from paperpulse.digest.sparkline import BARS, FLAT, GAP, sparkline, upvote_sparkline

finite = st.floats(allow_nan=False, allow_infinity=False)


def test_a_rising_series_uses_every_bar_in_order() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"


def test_empty_series_is_empty() -> None:
    assert sparkline([]) == ""


@pytest.mark.parametrize("values", [[5], [0, 0, 0], [41, 41]])
def test_flat_and_single_point_series_are_middle_bars(values: list[int]) -> None:
    assert sparkline(values) == FLAT * len(values)


def test_missing_points_are_gaps() -> None:
    assert sparkline([0, None, float("nan"), 10]) == f"▁{GAP}{GAP}█"
    assert sparkline([None, None]) == GAP * 2


def test_fixed_width_pads_short_series_on_the_left() -> None:
    assert sparkline([1, 5], width=5) == "   ▁█"
    assert sparkline([], width=3) == "   "


def test_fixed_width_keeps_a_spike_when_resampling() -> None:
    values = [0] * 50 + [100] + [0] * 49
    line = sparkline(values, width=10)
    assert len(line) == 10 and line.count("█") == 1 and set(line) == {"▁", "█"}


def test_infinite_values_and_bad_widths_are_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        sparkline([1, float("inf")])
    with pytest.raises(ValueError, match="width"):
        sparkline([1], width=0)


def test_upvote_sparkline_orders_sightings_by_time_and_skips_uncounted() -> None:
    t0 = datetime(2024, 8, 1, tzinfo=UTC)
    rows = [
        Sighting(
            arxiv_id="x",
            source="hf",
            period="p",
            run_id=i,
            observed_at=t0 + timedelta(days=d),
            upvotes=u,
        )
        for i, (d, u) in enumerate([(2, 30), (0, 0), (1, None), (3, 70)])
    ]
    assert upvote_sparkline(rows) == "▁▄█"


@given(values=st.lists(finite, min_size=2, max_size=60))
def test_extremes_map_to_lowest_and_highest_bars(values: list[float]) -> None:
    line = sparkline(values)
    assert len(line) == len(values)
    if min(values) < max(values):
        assert line[values.index(min(values))] == BARS[0]
        assert line[values.index(max(values))] == BARS[-1]


@given(values=st.lists(st.integers(-(10**9), 10**9), min_size=1, max_size=60))
def test_bars_follow_the_order_of_values(values: list[int]) -> None:
    line = sparkline(values)
    ranked = sorted(range(len(values)), key=values.__getitem__)
    levels = [BARS.index(line[i]) if line[i] in BARS else -1 for i in ranked]
    assert levels == sorted(levels)


@given(values=st.lists(st.none() | finite, max_size=80), width=st.integers(1, 30))
def test_fixed_width_is_exact(values: list[float | None], width: int) -> None:
    assert len(sparkline(values, width=width)) == width
