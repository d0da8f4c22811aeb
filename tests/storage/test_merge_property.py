"""Property: whatever sequence of sightings a paper has, the stored paper is their merge."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperpulse.core.models import Author, Paper
from paperpulse.storage import Repository
from tests.storage.builders import T0, make_listing, save

_ids = itertools.count(1)  # a fresh paper per example: examples share one database
V = TypeVar("V")

PEOPLE = [Author(name=n) for n in ("Ada Lovelace", "Alan Turing", "Grace Hopper")]

papers = st.builds(
    Paper,
    arxiv_id=st.just("placeholder"),
    title=st.sampled_from(["", "Title A", "Title B"]),
    authors=st.lists(st.sampled_from(PEOPLE), max_size=3, unique=True).map(tuple),
    abstract=st.sampled_from(["", "Abstract A", "Abstract B"]),
    list_date=st.sampled_from([None, date(2026, 8, 1), date(2026, 8, 2), date(2026, 8, 3)]),
    version=st.sampled_from([None, 1, 2, 3]),
    categories=st.sampled_from([(), ("cs.LG",), ("cs.AI", "cs.LG")]),
    github_repo=st.sampled_from([None, "https://github.com/a/x", "https://github.com/b/y"]),
    doi=st.sampled_from([None, "10.1/a", "10.1/b"]),
)


def pick(incoming: V, stored: V) -> V:
    """A known incoming value wins; an unknown one (None, blank, empty) keeps the stored one."""
    return incoming if incoming not in (None, "", ()) else stored


def merged(old: Paper, new: Paper) -> Paper:
    """The merge rule, restated independently of the implementation."""

    return replace(
        old,
        title=pick(new.title, old.title),
        authors=pick(new.authors, old.authors),
        abstract=pick(new.abstract, old.abstract),
        list_date=min((d for d in (old.list_date, new.list_date) if d), default=None),
        version=max((v for v in (old.version, new.version) if v), default=None),
        categories=pick(new.categories, old.categories),
        github_repo=pick(new.github_repo, old.github_repo),
        doi=pick(new.doi, old.doi),
    )


def changed(old: Paper, new: Paper) -> bool:
    """Tracked fields replaced by a different known value (a repo appearing counts too)."""
    return (
        bool(new.title and old.title and new.title != old.title)
        or bool(new.abstract and old.abstract and new.abstract != old.abstract)
        or bool(new.github_repo and new.github_repo != old.github_repo)
        # A bare id is v1 until a source says otherwise.
        or (new.version is not None and new.version > (old.version or 1))
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sequence=st.lists(papers, min_size=1, max_size=4))
def test_stored_paper_is_the_merge_of_everything_seen(
    repo: Repository, sequence: list[Paper]
) -> None:
    arxiv_id = f"2609.{next(_ids):05d}"
    expected: Paper | None = None
    for step, raw in enumerate(sequence):
        paper = replace(raw, arxiv_id=arxiv_id)
        _, result = save(repo, make_listing([paper]), T0 + timedelta(hours=step))
        if expected is None:
            assert (result.new, result.updated) == (1, 0)
            expected = paper
        else:
            assert result.new == 0
            assert result.updated == int(changed(expected, paper)), f"step {step}"
            expected = merged(expected, paper)
        assert repo.papers([arxiv_id])[arxiv_id] == expected
