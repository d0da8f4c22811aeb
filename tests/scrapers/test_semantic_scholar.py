from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperpulse.core.errors import FetchError, LayoutChanged, ParseError
from paperpulse.core.models import AuthorPaper, AuthorProfile
from paperpulse.scrapers.semantic_scholar import (
    author_papers_url,
    author_search_url,
    author_url,
    match_author,
    parse_author,
    parse_author_papers,
    parse_author_search,
    with_recent_papers,
)
from tests.scrapers.payload_mutations import damaged

SEARCH_URL = author_search_url("Hanze Dong")
AUTHOR_URL = author_url("2110000001")
PAPERS_URL = author_papers_url("2110000001")
RAFT = AuthorPaper(
    paper_id="a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
    title="RAFT: Reward rAnked FineTuning for Generative Foundation Model Alignment",
    arxiv_id="2304.06767",
    publication_date=date(2023, 4, 13),
    year=2023,
    citation_count=310,
)
NOTE = AuthorPaper(
    paper_id="0f1e2d3c4b5a69788796a5b4c3d2e1f009876543",
    title="A Workshop Note Without arXiv",
    arxiv_id=None,
    publication_date=None,
    year=2025,
    citation_count=0,
)
RLHF = AuthorPaper(
    paper_id="9988776655443322110099887766554433221100",
    title="RLHF Workflow: From Reward Modeling to Online RLHF",
    arxiv_id="2405.07863",
    publication_date=date(2024, 5, 13),
    year=2024,
    citation_count=120,
)


def fixture(fixtures_dir: Path, name: str) -> bytes:
    return (fixtures_dir / "s2" / name).read_bytes()


# --- golden ----------------------------------------------------------------------------------


def test_author_search_page(fixtures_dir: Path) -> None:
    page = parse_author_search(fixture(fixtures_dir, "author_search.json"), SEARCH_URL)

    assert (page.total, page.offset, page.next_offset) == (3, 0, 2)
    assert page.authors == (
        AuthorProfile(
            author_id="2110000001",
            name="Hanze Dong",
            h_index=21,
            paper_count=45,
            citation_count=3120,
            affiliations=("Salesforce AI Research",),
        ),
        AuthorProfile(
            author_id="2110000002",
            name="Hanze Dong",
            h_index=1,
            paper_count=2,
            citation_count=4,
        ),
    )


def test_author_details(fixtures_dir: Path) -> None:
    profile = parse_author(fixture(fixtures_dir, "author.json"), AUTHOR_URL)

    assert profile == AuthorProfile(
        author_id="2110000001",
        name="Hanze Dong",
        h_index=21,
        paper_count=45,
        citation_count=3120,
        affiliations=("Salesforce AI Research", "HKUST"),
    )


def test_author_papers_keep_arxiv_ids_without_versions(fixtures_dir: Path) -> None:
    page = parse_author_papers(fixture(fixtures_dir, "author_papers.json"), PAPERS_URL)

    assert (page.offset, page.next_offset) == (0, 3)
    assert page.papers == (RAFT, NOTE, RLHF)


def test_profile_keeps_the_newest_papers_first() -> None:
    profile = AuthorProfile(author_id="1", name="Hanze Dong")

    recent = with_recent_papers(profile, [RAFT, NOTE, RLHF], limit=2)

    assert recent.recent_papers == (NOTE, RLHF)  # an undated paper counts from 1 January
    assert recent.author_id == "1"


def test_last_batch_has_no_next_offset() -> None:
    page = parse_author_papers(b'{"offset": 100, "data": []}', PAPERS_URL)
    assert (page.offset, page.next_offset, page.papers) == (100, None, ())


# --- errors ----------------------------------------------------------------------------------


def test_error_body_is_a_fetch_error_with_the_apis_message(fixtures_dir: Path) -> None:
    with pytest.raises(FetchError, match=r"Unrecognized or unsupported fields: \[garbage\]"):
        parse_author(fixture(fixtures_dir, "error.json"), AUTHOR_URL)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"<html>Bad gateway</html>", "not JSON"),
        (b"[]", "'\\(top level\\)' should be an object"),
        (b'{"total": 1, "offset": 0}', "'data' should be a list"),
        (b'{"total": 1, "data": [{"name": "X"}]}', "'authorId' should be a non-empty string"),
        (b'{"total": "1", "data": []}', "'total' should be a non-negative integer"),
        (b'{"total": 1, "data": [{"authorId": "1", "name": "X", "hIndex": true}]}', "'hIndex'"),
        (b'{"total": 1, "data": [{"authorId": "1", "name": "X", "affiliations": "MIT"}]}', "affil"),
        (b'{"total": 1, "data": ["1"]}', "'data\\[0\\]' should be an object"),
    ],
)
def test_wrong_shapes_are_parse_errors_naming_the_field(payload: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_author_search(payload, SEARCH_URL)


@pytest.mark.parametrize(
    ("paper", "message"),
    [
        ({"title": "No id"}, "'paperId'"),
        ({"paperId": "p", "publicationDate": "13/04/2023"}, "'publicationDate'"),
        ({"paperId": "p", "externalIds": ["ArXiv"]}, "'externalIds'"),
    ],
)
def test_malformed_papers_are_parse_errors(paper: dict[str, object], message: str) -> None:
    payload = json.dumps({"offset": 0, "data": [paper]})
    with pytest.raises(ParseError, match=message):
        parse_author_papers(payload, PAPERS_URL)


def test_a_malformed_arxiv_cross_reference_is_dropped_not_fatal() -> None:
    payload = json.dumps({"offset": 0, "data": [{"paperId": "p", "externalIds": {"ArXiv": "x"}}]})
    (paper,) = parse_author_papers(payload, PAPERS_URL).papers
    assert paper.arxiv_id is None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    name=st.sampled_from(["author_search.json", "author.json", "author_papers.json"]),
)
def test_damaged_or_reshaped_answers_give_a_value_or_a_source_error(
    fixtures_dir: Path, data: st.DataObject, name: str
) -> None:
    raw = fixture(fixtures_dir, name)
    if data.draw(st.booleans()):
        payload = data.draw(damaged(raw))
    else:  # valid JSON whose values have the wrong types or shapes
        body = json.loads(raw)
        key = data.draw(st.sampled_from(sorted(body)))
        body[key] = data.draw(JSON_VALUES)
        payload = json.dumps(body).encode()
    try:
        if name == "author_search.json":
            authors = parse_author_search(payload, SEARCH_URL).authors
            papers = tuple(p for a in authors for p in a.recent_papers)
        elif name == "author.json":
            authors = (parse_author(payload, AUTHOR_URL),)
            papers = authors[0].recent_papers
        else:
            authors, papers = (), parse_author_papers(payload, PAPERS_URL).papers
    except (ParseError, LayoutChanged, FetchError):
        return
    assert all(a.author_id and (a.h_index is None or a.h_index >= 0) for a in authors)
    assert all(p.paper_id and (p.arxiv_id is None or p.arxiv_id.strip()) for p in papers)


def test_match_author_prefers_the_namesake_with_most_papers(fixtures_dir: Path) -> None:
    candidates = parse_author_search(
        fixture(fixtures_dir, "author_search.json"), SEARCH_URL
    ).authors

    best = match_author(candidates, "Dong, Hanze")

    assert best is not None and best.author_id == "2110000001"
    assert match_author(candidates, "Hanze Wang") is None


# --- URL builders ----------------------------------------------------------------------------


def test_url_builders() -> None:
    assert author_search_url("Shih-Min  Yang", limit=5) == (
        "https://api.semanticscholar.org/graph/v1/author/search?query=Shih+Min+Yang&offset=0"
        "&limit=5&fields=name%2ChIndex%2CpaperCount%2CcitationCount%2Caffiliations"
    )
    assert author_url("2110000001", fields=["name"]) == (
        "https://api.semanticscholar.org/graph/v1/author/2110000001?fields=name"
    )
    assert author_papers_url("2110000001", limit=20, published_since=date(2026, 1, 1)) == (
        "https://api.semanticscholar.org/graph/v1/author/2110000001/papers?offset=0&limit=20"
        "&fields=title%2CexternalIds%2Cyear%2CpublicationDate%2CcitationCount"
        "&publicationDateOrYear=2026-01-01%3A"
    )
    assert author_url("../paper/x").startswith(
        "https://api.semanticscholar.org/graph/v1/author/..%2Fpaper%2Fx?"
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda: author_search_url(" - "),
        lambda: author_search_url("X", limit=1001),
        lambda: author_papers_url("1", offset=-1),
        lambda: author_url(" "),
    ],
)
def test_url_builders_refuse_bad_input(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]
