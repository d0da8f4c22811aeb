"""``Author`` values built on a parser's hot path.

A page can list hundreds of authors (one Daily Papers item lists 533). The frozen dataclass
``__init__`` (a keyword call and three ``object.__setattr__``) costs 2.5x the same value built
through the class's slots, which was a quarter of an HF page parse (bench.parse). ``Author`` is a
plain value with no checks of its own; should it gain a ``__post_init__`` or other fields,
``SLOTS`` is None and every author goes through ``Author(...)`` again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields

from paperpulse.core.models import Author

_FIELDS = ["name", "hf_user", "affiliation"]


def _slot_setters() -> tuple[Callable[[Author, object], None], ...] | None:
    if [f.name for f in fields(Author)] != _FIELDS or hasattr(Author, "__post_init__"):
        return None
    slots = vars(Author)
    return tuple(slots[name].__set__ for name in _FIELDS)


# The setters of name, hf_user and affiliation; each sets one slot of a bare ``Author``.
SLOTS = _slot_setters()


def authors_named(names: Iterable[str]) -> tuple[Author, ...]:
    """``tuple(Author(name=n) for n in names)``, built through the slots."""
    if SLOTS is None:
        return tuple(Author(name=name) for name in names)
    set_name, set_hf_user, set_affiliation = SLOTS
    new = object.__new__
    authors = []
    for name in names:
        author = new(Author)
        set_name(author, name)
        set_hf_user(author, None)
        set_affiliation(author, None)
        authors.append(author)
    return tuple(authors)
