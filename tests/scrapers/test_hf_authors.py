"""The fast author loop of HF items gives exactly what the plain, name-by-name loop gives."""

from __future__ import annotations

import pickle
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from paperpulse.core.models import Author
from paperpulse.scrapers import author_values, hf_items

NAME = st.sampled_from(
    ["Ada Lovelace", "Łukasz Kaiser", " Grace", "Alan  Turing", "", "A\u0301da", "\u212b", "x\x00y"]
) | st.text(max_size=6)
USER = st.none() | st.sampled_from(["ada", "", "jos\u00e9", "\ud83d", 7]) | st.text(max_size=4)
ENTRY = st.one_of(
    st.fixed_dictionaries(
        {"name": NAME},
        optional={
            "hidden": st.sampled_from([True, False, 1, None]),
            "user": st.none() | st.fixed_dictionaries({}, optional={"user": USER}) | USER,
        },
    ),
    st.sampled_from([None, "Ada", 3, {"name": 5}]),
)


@settings(max_examples=400)
@given(st.lists(ENTRY, max_size=8))
@example([{"name": "Ada Lovelace", "user": {"user": "ada"}}, {"name": "Grace Hopper"}])
@example([{"name": "Ada", "hidden": True}, {"name": "Grace Hopper", "user": {"user": ""}}])
@example([{"name": "Ada", "user": {"user": "jos\u00e9"}}])
def test_fast_loop_equals_the_plain_loop(raw: list[Any]) -> None:
    assert hf_items._authors(raw) == hf_items._authors_one_by_one(raw)


def test_fast_authors_are_ordinary_author_values() -> None:
    [author] = hf_items._authors([{"name": "Ada Lovelace", "user": {"user": "ada"}}])
    assert type(author) is Author
    assert author == Author(name="Ada Lovelace", hf_user="ada")
    assert hash(author) == hash(Author(name="Ada Lovelace", hf_user="ada"))
    assert author.affiliation is None
    assert pickle.loads(pickle.dumps(author)) == author


def test_setters_only_while_author_has_exactly_its_three_fields() -> None:
    # The fast path sets every slot itself: it must know them all (see author_values).
    assert author_values.SLOTS is not None
    assert list(Author.__slots__) == ["name", "hf_user", "affiliation"]


def test_authors_named_are_the_authors_the_constructor_builds() -> None:
    names = ["Ada Lovelace", "Łukasz Kaiser"]
    assert author_values.authors_named(names) == tuple(Author(name=n) for n in names)
    assert author_values.authors_named([]) == ()
