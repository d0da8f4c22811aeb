"""The one author-name rule: spelling variants are one person, different people stay apart."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperpulse.core.names import normalize_author_name, same_author_name


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Lena Jäger", "lena jager"),
        ("Jäger, Lena", "Lena Jager"),
        ("Søren Kierkegaard", "Soren Kierkegaard"),
        ("Shih-Min Yang", "Shihmin Yang"),
        ("Shih-Min Yang", "Shih Min Yang"),
        ("David W. Hogg", "David Hogg"),
        ("David W. Hogg", "David William Hogg"),
        ("HANZE  DONG", "Hanze Dong"),
    ],
)
def test_same_author_name_matches_spelling_variants(a: str, b: str) -> None:
    assert same_author_name(a, b)
    assert same_author_name(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("David W. Hogg", "David X. Hogg"),
        ("D. Hogg", "David Hogg"),
        ("Hanze Dong", "Hanze Wang"),
        ("Dong", "Hanze Dong"),
        ("", ""),
        ("...", "..."),
    ],
)
def test_same_author_name_keeps_different_people_apart(a: str, b: str) -> None:
    assert not same_author_name(a, b)


def test_normalize_author_name() -> None:
    assert normalize_author_name("  Allende-Cid,  Héctor ") == "hector allende cid"
    assert normalize_author_name("Łukasz Kaiser") == "lukasz kaiser"


@given(st.text())
def test_name_matching_is_reflexive_and_normalizing_is_idempotent(name: str) -> None:
    normal = normalize_author_name(name)
    assert normalize_author_name(normal) == normal
    assert same_author_name(name, name) == bool(normal)
