"""The upvote chart: one point per observation time (the highest count then), in time order,
scaled into the view box; nothing of a listing's text in the markup."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from paperpulse.core.models import Sighting
from paperpulse.web.chart import HEIGHT, PAD_BOTTOM, PAD_TOP, WIDTH, trajectory, upvote_chart

T0 = datetime(2026, 8, 3, 6, tzinfo=UTC)


def seen(hours: int, upvotes: int | None, source: str = "hf-daily") -> Sighting:
    return Sighting(
        arxiv_id="2408.00001",
        source=source,
        period="2026-08-03",
        run_id=hours,
        observed_at=T0 + timedelta(hours=hours),
        upvotes=upvotes,
    )


def test_the_trajectory_keeps_the_highest_count_per_moment_in_time_order() -> None:
    history = [seen(24, 30), seen(0, 5), seen(24, 28, "hf-week"), seen(12, None), seen(48, 31)]
    assert trajectory(history) == [
        (T0, 5),
        (T0 + timedelta(hours=24), 30),
        (T0 + timedelta(hours=48), 31),
    ]


def test_the_chart_scales_points_into_the_view_box() -> None:
    svg = str(upvote_chart(trajectory([seen(0, 0), seen(24, 50), seen(48, 100)])))
    assert svg.startswith("<svg") and f'viewBox="0 0 {WIDTH} {HEIGHT}"' in svg
    [points] = re.findall(r'<polyline points="([^"]+)"', svg)
    xy = [tuple(map(float, p.split(","))) for p in points.split()]
    assert [x for x, _ in xy] == sorted(x for x, _ in xy)
    assert xy[0][1] == HEIGHT - PAD_BOTTOM and xy[-1][1] == PAD_TOP  # 0 at the axis, top at top
    assert "Upvotes from 0 on 2026-08-03 to 100 on 2026-08-05" in svg
    assert "style=" not in svg  # the CSP allows no inline styles


def test_one_point_or_none() -> None:
    assert str(upvote_chart([])) == ""
    single = str(upvote_chart([(T0, 7)]))
    assert single.count("<circle") == 1 and "nan" not in single
