"""clean_text: golden cases, and its fast paths checked against the plain regex definition."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from paperpulse.core.text import all_clean, clean_text


def reference_clean_text(value: str | None) -> str:
    """The definition clean_text must keep (its first, regex-only implementation)."""
    if not value:
        return ""
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", value)
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", text)).strip()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("The Llama 3 Herd of Models", "The Llama 3 Herd of Models"),
        ("  Deep\n  Learning\tat  Scale ", "Deep Learning at Scale"),
        ("Deep  Learning", "Deep Learning"),  # printable, but a doubled space
        (" Deep Learning ", "Deep Learning"),
        ("Caf\u0065\u0301 au lait", "Caf\u00e9 au lait"),  # decomposed é -> NFC
        ("Zero\x00Shot\x1b", "ZeroShot"),  # controls dropped, not turned into spaces
        ("a\u00a0b\u2003c\u3000d", "a b c d"),  # Unicode spaces fold like ASCII ones
        ("a\x0bb", "ab"),  # vertical tab is a control here: dropped
        ("Łukasz Kaiser", "Łukasz Kaiser"),
    ],
)
def test_golden_cases(raw: str | None, expected: str) -> None:
    assert clean_text(raw) == expected


# Characters where the fast paths could go wrong: every kind of space, controls that are also
# whitespace, combining marks, compatibility forms NFC must leave alone, and plain letters.
TRICKY = st.sampled_from(
    [
        *(" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u1680"),
        *("\u2000", "\u2003", "\u2028", "\u202f", "\u3000", "\x00", "\x07", "\x7f", "\x9f"),
        *("\u200b", "\xad", "\u0301", "\u0308", "e", "A", "Å", "\u212b", "ﬁ", "한", "😀", "x"),
        *("\u1100\u1161", "."),
    ]
)
# Only printable characters: the strings that reach the fast path.
PRINTABLE = st.sampled_from([" ", "a", "Z", "é", "\u0301", "\u212b", "ﬁ", "\u1100\u1161", "."])


@settings(max_examples=500)
@given(
    st.lists(TRICKY, max_size=12).map("".join)
    | st.lists(PRINTABLE, max_size=12).map("".join)
    | st.text(max_size=40)
)
@example("\u212b")  # ANGSTROM SIGN: printable but not NFC
@example(" a")
@example("a  b")
@example("a ")
def test_matches_the_regex_definition(value: str) -> None:
    assert clean_text(value) == reference_clean_text(value)


@given(st.text(max_size=40))
def test_is_idempotent(value: str) -> None:
    once = clean_text(value)
    assert clean_text(once) == once


# all_clean: one test over a joined list must say what clean_text says value by value.
NAMES = st.lists(st.lists(TRICKY | PRINTABLE, max_size=6).map("".join) | st.text(max_size=8))


@settings(max_examples=500)
@given(NAMES)
@example([])
@example([""])
@example(["a", ""])
@example(["", "a"])
@example(["a ", "b"])
@example(["a", " b"])
@example(["\u212b", "b"])
@example(["a", "\u0301b"])  # a combining mark at the start of a value stays NFC
@example(["Łukasz Kaiser", "Ada Lovelace"])
def test_all_clean_matches_clean_text_value_by_value(values: list[str]) -> None:
    # The same answer as clean_text's fast path taken value by value (a value only the slow
    # path leaves unchanged, like a lone U+200B, is not vouched for: its caller cleans it)...
    assert all_clean(values) == all(takes_the_fast_path(value) for value in values)
    # ...and a yes means clean_text would change nothing and drop nothing.
    if all_clean(values):
        assert all(value and clean_text(value) == value for value in values)


def takes_the_fast_path(value: str) -> bool:
    return bool(
        value
        and value.isprintable()
        and "  " not in value
        and value[0] != " "
        and value[-1] != " "
        and unicodedata.is_normalized("NFC", value)
    )
