"""A paper's upvote trajectory as an inline SVG line chart (pure).

Only numbers and dates we format go into the markup, never text from a listing, so it is
safe to emit unescaped. Presentation attributes, not ``style``: the page's Content Security
Policy allows no inline styles. The ``viewBox`` makes it scale to any width.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from markupsafe import Markup

from paperpulse.core.models import Sighting

WIDTH, HEIGHT = 480, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 50, 12, 16, 34


def trajectory(sightings: Iterable[Sighting]) -> list[tuple[datetime, int]]:
    """The highest count seen at each observation time, in time order (as the sparkline
    orders them; sightings without a count are skipped)."""
    best: dict[datetime, int] = {}
    for s in sightings:
        if s.upvotes is not None:
            best[s.observed_at] = max(s.upvotes, best.get(s.observed_at, s.upvotes))
    return sorted(best.items())


def upvote_chart(points: list[tuple[datetime, int]]) -> Markup:
    if not points:
        return Markup("")
    t0, t1 = points[0][0].timestamp(), points[-1][0].timestamp()
    top = max(v for _, v in points) or 1
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(t: datetime) -> float:
        return PAD_LEFT + (inner_w * (t.timestamp() - t0) / (t1 - t0) if t1 > t0 else inner_w)

    def y(v: int) -> float:
        return PAD_TOP + inner_h * (1 - v / top)

    line = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in points)
    base = PAD_TOP + inner_h
    area = f"{PAD_LEFT if len(points) > 1 else x(points[0][0]):.1f},{base:.1f} {line} " + (
        f"{x(points[-1][0]):.1f},{base:.1f}"
    )
    dots = "".join(
        f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="3" fill="#0969da">'
        f"<title>{v} upvotes, {t:%Y-%m-%d %H:%M} UTC</title></circle>"
        for t, v in points[-60:]
    )
    first, last = points[0], points[-1]
    label = f"Upvotes from {first[1]} on {first[0]:%Y-%m-%d} to {last[1]} on {last[0]:%Y-%m-%d}"
    svg = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{label}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{label}</title>"
        f'<line x1="{PAD_LEFT}" y1="{base}" x2="{WIDTH - PAD_RIGHT}" y2="{base}" '
        'stroke="#8c959f" stroke-width="1"/>'
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{base}" '
        'stroke="#8c959f" stroke-width="1"/>'
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + 4}" text-anchor="end" font-size="15" '
        f'fill="#57606a">{top}</text>'
        f'<text x="{PAD_LEFT - 6}" y="{base}" text-anchor="end" font-size="15" '
        'fill="#57606a">0</text>'
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 8}" font-size="15" fill="#57606a">'
        f"{first[0]:%Y-%m-%d}</text>"
        f'<text x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 8}" text-anchor="end" font-size="15" '
        f'fill="#57606a">{last[0]:%Y-%m-%d}</text>'
        f'<polygon points="{area}" fill="#0969da" fill-opacity="0.12"/>'
        f'<polyline points="{line}" fill="none" stroke="#0969da" stroke-width="2.5" '
        'stroke-linejoin="round"/>'
        f"{dots}</svg>"
    )
    return Markup(svg)
