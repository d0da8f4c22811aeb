"""Text clean-up shared by parsers: what every source's strings go through before storage."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# C0/C1 controls, dropped before whitespace is collapsed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The ASCII controls str.split() treats as whitespace: dropped, not turned into spaces.
_SPACE_CONTROLS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")
# json.loads turns the escape of half a UTF-16 pair ("\ud83d", which JavaScript writes for a
# string cut inside an emoji) into a lone surrogate: not text, and no UTF-8 encoder accepts it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(value: str) -> str:
    """``value`` with each lone surrogate replaced by U+FFFD, as a UTF-8 decoder would."""
    if value.isascii():  # O(1) in CPython; most URLs and user names: nothing to scan
        return value
    return _SURROGATE.sub("\ufffd", value)


def clean_text(value: str | None) -> str:
    """Collapse runs of whitespace (titles and abstracts come hard-wrapped), drop control
    characters, replace lone surrogates and normalise to NFC so the same title from two
    sources compares equal."""
    if not value:
        return ""
    # Fast path (most names and titles are already clean): a printable string holds no
    # controls, surrogates (category Cs) or whitespace but the ASCII space, so with no doubled,
    # leading or trailing space and already in NFC, the slow path would return it unchanged.
    if (
        value.isprintable()
        and "  " not in value
        and value[0] != " "
        and value[-1] != " "
        and (value.isascii() or unicodedata.is_normalized("NFC", value))
    ):
        return value
    if value.isascii():
        # Hard-wrapped ASCII (most abstracts): collapse first, then look for controls. The
        # ones split() would take for spaces are looked for one by one (a memchr each); any
        # other control survives the collapse and makes the text unprintable. ASCII is NFC.
        text = " ".join(value.split())
        if text.isprintable() and not any(c in value for c in _SPACE_CONTROLS):
            return text
    # str.split() splits on exactly the characters regex \s matches, in a fraction of the time.
    text = " ".join(valid_text(_CONTROL.sub("", value)).split())
    return unicodedata.normalize("NFC", text).strip()


def all_clean(values: Sequence[str]) -> bool:
    """True when ``clean_text(v) == v`` for every value and none is empty: the fast path's
    test, run once over the joined values instead of once per value (one Daily Papers item
    lists 533 author names)."""
    if not values:
        return True
    # Joined by single spaces, a doubled, leading or trailing space or an empty value inside
    # any value shows up as a doubled space or at an end of the whole. NFC acts between spaces
    # only (a space composes with nothing), so the whole is NFC exactly when every value is.
    text = " ".join(values)
    return bool(
        text.isprintable()
        and "  " not in text
        and text[:1] not in ("", " ")
        and text[-1] != " "
        and (text.isascii() or unicodedata.is_normalized("NFC", text))
    )


def first_sentence(text: str, *, limit: int = 300) -> str:
    """The first sentence of an abstract, cut at ``limit`` characters on a word boundary."""
    text = clean_text(text)
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])", text)
    sentence = text[: match.start()] if match else text
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
