"""The page-level searches of the arXiv listing parser read lexbor's text as it comes: they must
find what the searches over the collapsed text found, and the prefilter must never hide a match."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from paperpulse.scrapers.arxiv_listing import (
    _MAYBE_NOTHING_LISTED,
    _NOTHING_LISTED,
    _PAGE_SIZE,
    _TOTAL,
)

# The searches as they were, over " ".join(text.split()).
COLLAPSED = {
    "total": re.compile(r"total of (?P<total>\d+) entries", re.IGNORECASE),
    "show": re.compile(r"showing up to (?P<show>\d+) entries per page", re.IGNORECASE),
    "nothing": re.compile(
        r"no (?:updates (?:today|for this time period)|new submissions)", re.IGNORECASE
    ),
}
WORDS = st.sampled_from(
    [
        *("No", "NO", "no", "updates", "UPDATES", "today", "for", "this", "time", "period"),
        *("new", "New", "submissions", "ſubmissions", "total", "Total", "of", "entries"),
        *("showing", "Showing", "up", "to", "per", "page", "50", "2000", "İ", "K", "x"),
    ]
)
SPACES = st.sampled_from([" ", "  ", "\n", "\n    ", "\t", "\xa0", "\u2003", ""])
TEXT = st.lists(st.tuples(WORDS, SPACES), max_size=14).map(
    lambda parts: "".join(w + s for w, s in parts)
)


def collapsed(text: str) -> str:
    return " ".join(text.split())


@settings(max_examples=400)
@given(TEXT)
@example("No updates\n  today")
@example("no new ſubmissions")  # re's IGNORECASE folds ſ to s: the prefilter must let it by
@example("Total of\n 408 entries; showing up to\t50 entries per page")
def test_searches_over_raw_text_find_what_collapsed_searches_found(text: str) -> None:
    for pattern, group in ((_TOTAL, "total"), (_PAGE_SIZE, "show")):
        old = COLLAPSED[group].search(collapsed(text))
        new = pattern.search(text)
        assert (old[group] if old else None) == (new[group] if new else None)
    nothing = bool(COLLAPSED["nothing"].search(collapsed(text)))
    assert bool(_NOTHING_LISTED.search(text)) == nothing
    assert bool(_MAYBE_NOTHING_LISTED.search(text.lower()) and _NOTHING_LISTED.search(text)) == (
        nothing
    )
