"""What a long backfill keeps in memory stays bounded (benchmarks.md, "Memory over a long
backfill"); RSS itself is measured by ``bench.memory``, never asserted here."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from paperpulse.core import names
from paperpulse.core.names import NAME_CACHE_SIZE, author_key, normalize_author_name


def test_the_author_name_cache_keeps_a_bounded_number_of_names() -> None:
    normalize_author_name.cache_clear()
    for number in range(NAME_CACHE_SIZE * 3):  # a backfill sees each name about once
        author_key(f"Author Number{number}, Some")

    info = normalize_author_name.cache_info()
    assert info.maxsize == NAME_CACHE_SIZE <= 8192
    assert info.currsize == NAME_CACHE_SIZE


def _unicode_path(name: str) -> str:
    """``normalize_author_name`` as first written: no ASCII shortcut, no translate table."""
    if name.count(",") == 1:
        last, first = name.split(",")
        name = f"{first} {last}"
    decomposed = unicodedata.normalize("NFKD", name.translate(names._FOLD))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_the_ascii_shortcut_keys_a_name_as_the_full_rule_does(name: str) -> None:
    assert normalize_author_name.__wrapped__(name) == _unicode_path(name)


@given(st.text(max_size=40))
def test_the_mark_stripping_table_keys_any_name_as_the_full_rule_does(name: str) -> None:
    assert normalize_author_name.__wrapped__(name) == _unicode_path(name)


def test_the_mark_stripping_table_stays_bounded() -> None:
    for code in range(0x300, 0x300 + names._CombiningMarks.LIMIT * 2):
        normalize_author_name.__wrapped__(f"A{chr(code)}b")
    assert len(names._STRIP_MARKS) <= names._CombiningMarks.LIMIT
