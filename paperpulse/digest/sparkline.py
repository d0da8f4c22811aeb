"""Upvote history as a one-line Unicode sparkline: ``▁▂▄▇█``.

Bars are scaled between the series' own minimum and maximum (the shape of the growth is what a
reader scans for; the count itself is printed beside it). A flat series is a row of middle bars
("steady", distinct from "no data"); a missing point is a space; an empty series is "".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from paperpulse.core.models import Sighting

BARS = "▁▂▃▄▅▆▇█"
FLAT = BARS[3]
GAP = " "


def sparkline(values: Sequence[float | None], *, width: int | None = None) -> str:
    """One bar per value; ``None`` (or NaN) is a gap.

    With ``width``, the result is exactly ``width`` characters: longer series are resampled into
    ``width`` buckets (each shows its largest value, so a spike is never lost), shorter ones are
    padded with spaces on the left so the latest point stays at the right edge.
    """
    if width is not None and width < 1:
        raise ValueError(f"sparkline width must be >= 1, got {width}")
    points: list[float | None] = []
    for v in values:
        if v is not None and math.isinf(v):
            raise ValueError(f"sparkline values must be finite, got {v}")
        points.append(None if v is None or math.isnan(v) else float(v))
    if width is not None and len(points) > width:
        points = _resample(points, width)
    known = [v for v in points if v is not None]
    if not known:
        line = GAP * len(points) if points else ""
    else:
        lo, hi = min(known), max(known)
        line = "".join(_bar(v, lo, hi) for v in points)
    if width is not None:
        line = line.rjust(width, GAP)
    return line


def upvote_sparkline(sightings: Iterable[Sighting], *, width: int | None = None) -> str:
    """The upvote counts of ``sightings`` in time order (sightings without a count are skipped)."""
    ordered = sorted(
        (s for s in sightings if s.upvotes is not None), key=lambda s: (s.observed_at, s.run_id)
    )
    return sparkline([s.upvotes for s in ordered], width=width)


def _bar(value: float | None, lo: float, hi: float) -> str:
    if value is None:
        return GAP
    if hi == lo:
        return FLAT
    spread = hi - lo
    if math.isfinite(spread):
        fraction = (value - lo) / spread
    else:  # the difference of extreme finite floats overflows: halve both (no underflow here)
        fraction = (value / 2 - lo / 2) / (hi / 2 - lo / 2)
    index = int(fraction * len(BARS))
    return BARS[min(index, len(BARS) - 1)]


def _resample(points: Sequence[float | None], width: int) -> list[float | None]:
    buckets: list[float | None] = []
    n = len(points)
    for i in range(width):
        chunk = [v for v in points[i * n // width : (i + 1) * n // width] if v is not None]
        buckets.append(max(chunk) if chunk else None)
    return buckets
