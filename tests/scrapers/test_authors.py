"""Followed authors: arXiv au: results filtered to the real person; Semantic Scholar profiles."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from paperpulse.core.errors import FetchError, TransientFetchError
from paperpulse.core.models import Author, AuthorPaper, AuthorProfile, Paper
from paperpulse.scrapers.authors import (
    fetch_author_papers,
    fetch_author_profile,
    is_by,
    profile_changes,
)
from paperpulse.scrapers.http import HttpClient
from tests.clocks import FakeClock
from tests.scrapers.fake_http import (
    ARXIV_API,
    NOW,
    S2,
    Recorder,
    atom_feed,
    make_client,
)

QUERY = f"{ARXIV_API}/api/query"
GRAPH = f"{S2}/graph/v1"
KEY = "s2-test-KEY-1234567890"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(clock: FakeClock) -> Iterator[HttpClient]:
    with respx.mock, make_client(clock, s2_api_key=KEY) as c:
        yield c


# --- arXiv: the author's papers -----------------------------------------------------------------


def test_only_papers_by_the_followed_author_are_kept(client: HttpClient, clock: FakeClock) -> None:
    feed = atom_feed(
        [
            ("2607.00004v1", "2026-07-27T10:00:00Z", ["Ann Lee", "Jane Doe"]),
            ("2607.00003v1", "2026-07-20T10:00:00Z", ["J. Doe"]),  # initials: too many people
            ("2607.00002v2", "2026-07-10T10:00:00Z", ["Jane Q. Doe"]),  # a middle initial
            ("2607.00001v1", "2026-07-02T10:00:00Z", ["Jane Doerr", "Doe Jane"]),  # other words
        ],
        total=4,
    )
    server = Recorder(clock, lambda _: httpx.Response(200, content=feed))
    respx.get(url__startswith=QUERY).mock(side_effect=server)

    listing = fetch_author_papers(
        client, api_base_url=ARXIV_API, name="Jane Doe", since=date(2026, 7, 1), now=NOW
    )

    params = server.requests[0].url.params
    assert params["search_query"] == (
        '(au:"Jane Doe") AND (submittedDate:[202607010000 TO 202607280600])'
    )
    assert (params["sortBy"], params["sortOrder"], params["max_results"]) == (
        "submittedDate",
        "descending",
        "50",
    )
    assert (listing.source, listing.period, listing.declared_count) == (
        "arxiv-author",
        "Jane Doe",
        None,
    )
    assert [(i.rank, i.paper.arxiv_id) for i in listing.items] == [
        (1, "2607.00004"),
        (2, "2607.00002"),
    ]
    assert listing.notes == (
        "kept 2 of 4 au: results: the others only share words with 'Jane Doe'",
    )


def test_papers_before_since_are_dropped_even_if_the_api_returns_them(
    client: HttpClient, clock: FakeClock
) -> None:
    feed = atom_feed(
        [
            ("2607.00002v1", "2026-07-27T10:00:00Z", ["Jane Doe"]),
            ("2606.00001v1", "2026-06-30T23:59:59Z", ["Jane Doe"]),
        ],
        total=2,
    )
    respx.get(url__startswith=QUERY).mock(return_value=httpx.Response(200, content=feed))
    listing = fetch_author_papers(
        client, api_base_url=ARXIV_API, name="Jane Doe", since=date(2026, 7, 1), now=NOW
    )
    assert [p.arxiv_id for p in listing.papers] == ["2607.00002"]


def test_without_since_the_query_is_the_author_alone(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    body = (fixtures_dir / "arxiv" / "api_query_small.xml").read_bytes()
    route = respx.get(url__startswith=QUERY).mock(return_value=httpx.Response(200, content=body))
    listing = fetch_author_papers(
        client, api_base_url=ARXIV_API, name="Jane Doe", since=None, max_results=2, now=NOW
    )
    assert route.calls[0].request.url.params["search_query"] == 'au:"Jane Doe"'
    assert [p.arxiv_id for p in listing.papers] == ["2607.22529", "hep-th/9901001"]
    assert listing.notes == ("kept the first 2 of 7 results (max_results)",)


def test_is_by_matches_spellings_not_namesakes() -> None:
    paper = Paper(arxiv_id="2607.00001", title="t", authors=(Author(name="Lena Jäger"),))
    assert is_by(paper, "Lena Jager") and is_by(paper, "Jäger, Lena")
    assert not is_by(paper, "L. Jäger") and not is_by(paper, "Lena Meyer")


# --- Semantic Scholar: the author's profile -----------------------------------------------------


def s2_server(clock: FakeClock, fixtures_dir: Path) -> Recorder:
    files = {
        "/graph/v1/author/search": "author_search.json",
        "/graph/v1/author/2110000001": "author.json",
        "/graph/v1/author/2110000001/papers": "author_papers.json",
    }

    def respond(request: httpx.Request) -> httpx.Response:
        name = files.get(request.url.path)
        if name is None:
            return httpx.Response(404, json={"error": "Author not found"})
        return httpx.Response(200, content=(fixtures_dir / "s2" / name).read_bytes())

    server = Recorder(clock, respond)
    respx.get(url__startswith=S2).mock(side_effect=server)
    return server


RAFT = AuthorPaper(
    paper_id="a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
    title="RAFT: Reward rAnked FineTuning for Generative Foundation Model Alignment",
    arxiv_id="2304.06767",
    publication_date=date(2023, 4, 13),
    year=2023,
    citation_count=310,
)


def test_profile_by_name_searches_then_reads_the_author_and_papers(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    server = s2_server(clock, fixtures_dir)
    profile = fetch_author_profile(client, s2_base_url=S2, name="Hanze Dong", now=NOW)

    assert [r.url.path for r in server.requests] == [
        "/graph/v1/author/search",
        "/graph/v1/author/2110000001",
        "/graph/v1/author/2110000001/papers",
    ]
    assert server.requests[0].url.params["query"] == "Hanze Dong"
    assert server.requests[2].url.params["publicationDateOrYear"] == "2025-07-28:"
    assert {r.headers.get("x-api-key") for r in server.requests} == {KEY}
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(server.times))
    assert (profile.author_id, profile.name, profile.h_index) == ("2110000001", "Hanze Dong", 21)
    assert (profile.paper_count, profile.citation_count) == (45, 3120)
    assert profile.affiliations == ("Salesforce AI Research", "HKUST")
    # Newest first; a paper known only by its year counts from January 1st.
    assert [p.title for p in profile.recent_papers] == [
        "A Workshop Note Without arXiv",
        "RLHF Workflow: From Reward Modeling to Online RLHF",
        RAFT.title,
    ]
    assert profile.recent_papers[2] == RAFT


def test_profile_by_id_skips_the_search(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    server = s2_server(clock, fixtures_dir)
    profile = fetch_author_profile(
        client, s2_base_url=S2, name="Hanze Dong", author_id="2110000001", now=NOW
    )
    assert [r.url.path for r in server.requests] == [
        "/graph/v1/author/2110000001",
        "/graph/v1/author/2110000001/papers",
    ]
    assert profile.h_index == 21


def test_no_candidate_with_the_name_is_a_permanent_error_naming_them(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    s2_server(clock, fixtures_dir)
    with pytest.raises(
        FetchError, match="no Semantic Scholar author is named 'Hanze Donk'"
    ) as info:
        fetch_author_profile(client, s2_base_url=S2, name="Hanze Donk", now=NOW)
    assert not isinstance(info.value, TransientFetchError)
    assert "candidates: 'Hanze Dong', 'Hanze Dong'" in str(info.value)
    assert "Semantic Scholar id in the configuration" in str(info.value)


def test_an_unknown_author_id_is_a_404_with_the_apis_message(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    server = s2_server(clock, fixtures_dir)
    with pytest.raises(FetchError) as info:
        fetch_author_profile(client, s2_base_url=S2, name="X Y", author_id="999", now=NOW)
    assert info.value.status == 404 and "Author not found" in str(info.value)
    assert len(server.requests) == 1


# --- what changed in a profile ------------------------------------------------------------------

BEFORE = AuthorProfile(
    author_id="1",
    name="Hanze Dong",
    h_index=35,
    paper_count=100,
    citation_count=5000,
    recent_papers=(RAFT,),
)


def test_profile_changes_reads_like_a_digest_line() -> None:
    new = replace(RAFT, paper_id="p2", title="A New Paper")
    after = replace(
        BEFORE, h_index=36, paper_count=102, citation_count=6120, recent_papers=(new, RAFT)
    )
    assert profile_changes(BEFORE, after) == (
        "h-index 35 → 36",
        "+2 papers",
        "+1,120 citations",
        "new paper: A New Paper",
    )


def test_profile_changes_singular_negative_and_unknown_counts() -> None:
    after = replace(BEFORE, paper_count=99, citation_count=5001, h_index=None)
    assert profile_changes(BEFORE, after) == ("-1 paper", "+1 citation")


def test_first_profile_and_another_person() -> None:
    assert profile_changes(None, BEFORE) == (
        "now following Hanze Dong: h-index 35, 100 papers, 5,000 citations",
    )
    other = replace(BEFORE, author_id="2", h_index=None, paper_count=3, citation_count=None)
    assert profile_changes(BEFORE, other) == (
        "Hanze Dong now matches another Semantic Scholar profile (1 → 2): 3 papers",
    )


profiles = st.builds(
    AuthorProfile,
    author_id=st.just("1"),
    name=st.just("A B"),
    h_index=st.none() | st.integers(0, 200),
    paper_count=st.none() | st.integers(0, 2000),
    citation_count=st.none() | st.integers(0, 10**6),
    recent_papers=st.lists(
        st.builds(
            AuthorPaper,
            paper_id=st.sampled_from("abcdef"),
            title=st.text(min_size=1, max_size=5),
            arxiv_id=st.none(),
            publication_date=st.none(),
        ),
        max_size=4,
    ).map(tuple),
)


@given(profiles)
def test_an_unchanged_profile_has_no_changes(profile: AuthorProfile) -> None:
    assert profile_changes(profile, profile) == ()


@given(profiles, profiles)
def test_every_changed_number_gives_one_line(before: AuthorProfile, after: AuthorProfile) -> None:
    lines = profile_changes(before, after)
    changed = [
        None not in (old, new) and old != new
        for old, new in (
            (before.h_index, after.h_index),
            (before.paper_count, after.paper_count),
            (before.citation_count, after.citation_count),
        )
    ]
    known = {p.paper_id for p in before.recent_papers}
    fresh = [p for p in after.recent_papers if p.paper_id not in known]
    assert len(lines) == sum(changed) + len(fresh)
    assert [line for line in lines if line.startswith("new paper: ")] == [
        f"new paper: {p.title}" for p in fresh
    ]


def test_an_author_without_papers_is_an_empty_listing(
    client: HttpClient, clock: FakeClock, fixtures_dir: Path
) -> None:
    body = (fixtures_dir / "arxiv" / "api_empty.xml").read_bytes()
    respx.get(url__startswith=QUERY).mock(return_value=httpx.Response(200, content=body))
    listing = fetch_author_papers(
        client, api_base_url=ARXIV_API, name="Jane Doe", since=date(2026, 7, 1), now=NOW
    )
    assert listing.items == () and listing.source == "arxiv-author"
    assert listing.notes == ("the arXiv API found no results for this query",)


def test_an_empty_author_search_says_so(client: HttpClient) -> None:
    empty = {"total": 0, "offset": 0, "data": []}
    respx.get(url__startswith=S2).mock(return_value=httpx.Response(200, json=empty))
    with pytest.raises(FetchError, match=r"named 'Nobody Here' \(candidates: none\)"):
        fetch_author_profile(client, s2_base_url=S2, name="Nobody Here", now=NOW)
