"""What a long backfill keeps in memory stays bounded (benchmarks.md, "Memory over a long
backfill"); RSS itself is measured by ``bench.memory``, never asserted here."""

from __future__ import annotations

import re
import tracemalloc
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


def test_names_with_ever_new_characters_keep_memory_bounded() -> None:
    """A backfill meets tens of thousands of distinct characters (CJK names, symbols); what
    name keying keeps for them once its cache is cleared stays small. Without a bound the
    40,000 characters below keep ~2 MB; with it, ~0.3 MB."""
    characters = [chr(code) for code in range(0x4E00, 0x4E00 + 40_000)]
    normalize_author_name.cache_clear()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for start in range(0, len(characters), 16):
            assert normalize_author_name("Zoë " + "".join(characters[start : start + 16]))
        normalize_author_name.cache_clear()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 1_000_000, f"{kept:,} bytes kept"
