"""Hypothesis strategies that damage a captured payload the way networks and redesigns do."""

from __future__ import annotations

import re

from hypothesis import strategies as st

_TAG = re.compile(rb"<[^>]*>")


@st.composite
def damaged(draw: st.DrawFn, payload: bytes) -> bytes:
    """``payload`` truncated, sliced, stripped of some tags, or with a byte range overwritten."""
    size = len(payload)
    kind = draw(st.sampled_from(["truncate", "slice", "drop_tags", "overwrite"]))
    if kind == "truncate":
        return payload[: draw(st.integers(0, size))]
    if kind == "slice":
        start = draw(st.integers(0, size))
        return payload[start : draw(st.integers(start, size))]
    if kind == "drop_tags":
        tags = list(_TAG.finditer(payload))
        doomed = draw(st.sets(st.integers(0, max(0, len(tags) - 1)), max_size=8))
        out, last = bytearray(), 0
        for index, tag in enumerate(tags):
            if index in doomed:
                out += payload[last : tag.start()]
                last = tag.end()
        return bytes(out + payload[last:])
    start = draw(st.integers(0, size))
    junk = draw(st.binary(min_size=1, max_size=16))
    return payload[:start] + junk + payload[start + len(junk) :]
