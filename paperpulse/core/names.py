"""One rule for author names: when two spellings name the same person, and the key a name is
stored under. Every layer (matching followed authors, merging bylines, storage) uses this one."""

from __future__ import annotations

import functools
import re
import unicodedata

# Letters NFKD does not decompose into a base letter plus a combining mark.
_FOLD = str.maketrans(
    {**dict(zip("øØłŁđĐı", "oOlLdDi", strict=True)), "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE"}
)
_NOT_WORD = re.compile(r"[\W_]+")


class _CombiningMarks(dict[int, int | None]):
    """A ``str.translate`` table deleting combining marks, filled as characters show up: one
    C-level lookup per character instead of a ``unicodedata.combining`` call. Names use a few
    hundred distinct characters; past ``LIMIT`` the table answers without remembering."""

    LIMIT = 4096

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        if len(self) < self.LIMIT:
            self[code] = kept
        return kept


_STRIP_MARKS = _CombiningMarks()


# Bylines are compared pairwise, so the same names recur within a merge; across a backfill
# most names are seen once. 65,536 entries kept ~40,000 one-off names (and the parsed JSON
# strings they came from) alive and grew RSS by ~12 MB over 584 dates; a merge needs far fewer,
# and a miss costs a microsecond or two (the ASCII path below).
NAME_CACHE_SIZE = 4096


@functools.lru_cache(maxsize=NAME_CACHE_SIZE)
def normalize_author_name(name: str) -> str:
    """Lower-case ASCII words: diacritics, punctuation and "Last, First" order removed."""
    if name.count(",") == 1:
        last, first = name.split(",")
        name = f"{first} {last}"
    if name.isascii():  # most names: nothing to fold or decompose, the same result faster
        plain = name.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", name.translate(_FOLD))
        plain = decomposed.translate(_STRIP_MARKS).casefold()
    return " ".join(_NOT_WORD.sub(" ", plain).split())


def same_author_name(a: str, b: str) -> bool:
    """Whether two spellings name the same person, as far as a name can tell.

    Equal after ``normalize_author_name``, or equal without spaces ("Shih-Min" vs "Shihmin"), or
    same first and last names with compatible middle names ("David W. Hogg" vs "David Hogg" or
    "David William Hogg"). Initials for a first name never match: "D. Hogg" is too many people.
    """
    left, right = normalize_author_name(a).split(), normalize_author_name(b).split()
    if not left or not right:
        return False
    if left == right or "".join(left) == "".join(right):
        return True
    if len(left) < 2 or len(right) < 2 or (left[0], left[-1]) != (right[0], right[-1]):
        return False
    if len(left[0]) == 1:  # a bare first initial
        return False
    middle_left = [m[0] for m in left[1:-1]]
    middle_right = [m[0] for m in right[1:-1]]
    return not middle_left or not middle_right or middle_left == middle_right


def author_key(name: str) -> str:
    """The key an author name is stored under: ``normalize_author_name``, so "Dong, Hanze" and
    "Hanze Dong" are one person in storage too."""
    return normalize_author_name(name)
