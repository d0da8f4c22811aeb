from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperpulse.core.errors import FetchError, LayoutChanged, ParseError
from paperpulse.core.models import Author, Paper
from paperpulse.scrapers.arxiv_api import (
    API_URL,
    ApiPage,
    all_of,
    author_query,
    is_suspiciously_empty,
    keyword_query,
    parse_api_response,
    query_url,
    submitted_between,
)
from tests.scrapers.payload_mutations import damaged

FETCHED = datetime(2026, 7, 28, 6, 0, tzinfo=UTC)
AUTHOR_URL = query_url(API_URL, search_query='au:"Jane Doe"', max_results=2)
REAL_CATEGORY = "pages/arxiv_api/query_cat_cs.RO_neural_2025-10-17_xiv.xml"
REAL_ID_LIST = "pages/arxiv_api/query_id_list_1601.00001_2020-09-04_zoia.xml"


def fixture(fixtures_dir: Path, name: str) -> bytes:
    return (fixtures_dir / "arxiv" / name).read_bytes()


def parse(payload: str | bytes, url: str = AUTHOR_URL) -> ApiPage:
    return parse_api_response(payload, url, fetched_at=FETCHED)


# --- golden ----------------------------------------------------------------------------------


def test_entries_become_papers_with_every_field(fixtures_dir: Path) -> None:
    page = parse(fixture(fixtures_dir, "api_query_small.xml"))

    first, old_style = page.listing.papers
    assert first == Paper(
        arxiv_id="2607.22529",
        version=2,
        title="Skill Self-Play: Pushing the Frontier of LLM Capability with Co-Evolving Skills",
        authors=(Author(name="Jane Doe", affiliation="MIT; CERN"), Author(name="Lena Jäger")),
        abstract="We study skill self-play in large language models. It works & scales.",
        published_at=datetime(2026, 7, 27, 17, 59, 37, tzinfo=UTC),
        primary_category="cs.CL",
        categories=("cs.CL", "cs.AI"),
        comment="12 pages; accepted at ACL 2026",
        journal_ref="Proc. ACL 2026, 1-12",
        doi="10.1234/acl.2026.1",
    )
    assert old_style == Paper(
        arxiv_id="hep-th/9901001",
        version=3,
        title="Strings on the Lattice",
        authors=(Author(name="Jane Doe"),),
        abstract="Strings, discretised.",
        published_at=datetime(1999, 1, 1, 17, 0, tzinfo=UTC),  # -05:00 converted to UTC
        primary_category="hep-th",
        categories=("hep-th", "gr-qc"),  # primary first, then the others in feed order
    )


def test_listing_and_paging_numbers(fixtures_dir: Path) -> None:
    page = parse(fixture(fixtures_dir, "api_query_small.xml"))

    listing = page.listing
    assert (listing.source, listing.period, listing.url) == (
        "arxiv-api",
        'au:"Jane Doe"',
        AUTHOR_URL,
    )
    assert listing.fetched_at == FETCHED
    assert [item.rank for item in listing.items] == [1, 2]
    assert (page.total_results, page.start_index, page.items_per_page) == (7, 0, 2)
    assert listing.declared_count == 7
    assert (page.expected_on_page, page.missing_on_page, page.next_start) == (2, 0, 2)
    assert not is_suspiciously_empty(page)


def test_published_at_is_always_aware_utc(fixtures_dir: Path) -> None:
    papers = parse(fixture(fixtures_dir, "api_query_small.xml")).listing.papers
    assert all(
        p.published_at is not None and p.published_at.utcoffset() == timedelta(0) for p in papers
    )


def test_error_feed_raises_a_permanent_fetch_error_with_arxivs_message(fixtures_dir: Path) -> None:
    url = query_url(API_URL, id_list=["1234.12345"])

    with pytest.raises(FetchError) as caught:
        parse(fixture(fixtures_dir, "api_error.xml"), url)

    assert caught.value.status == 400
    assert "incorrect id format for 1234.12345" in str(caught.value)
    assert caught.value.url == url


# --- empty and short answers -----------------------------------------------------------------


def test_empty_search_is_plausible_unless_results_were_expected(fixtures_dir: Path) -> None:
    page = parse(
        fixture(fixtures_dir, "api_empty.xml"), query_url(API_URL, search_query="cat:cs.CL")
    )

    assert page.listing.items == ()
    assert page.next_start is None
    assert not is_suspiciously_empty(page)
    assert is_suspiciously_empty(page, expect_results=True)


def test_empty_answer_to_an_id_lookup_is_suspicious(fixtures_dir: Path) -> None:
    page = parse(fixture(fixtures_dir, "api_empty.xml"), query_url(API_URL, id_list=["2607.22529"]))
    assert is_suspiciously_empty(page)


def test_empty_page_that_its_own_totals_contradict_is_suspicious(fixtures_dir: Path) -> None:
    payload = fixture(fixtures_dir, "api_empty.xml").replace(
        b">0</opensearch:totalResults>", b">250</opensearch:totalResults>"
    )
    page = parse(payload, query_url(API_URL, search_query="cat:cs.CL"))

    assert (page.expected_on_page, page.missing_on_page) == (100, 100)
    assert is_suspiciously_empty(page)


# --- malformed and hostile payloads ----------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol2;</title></feed>',
        b'<!doctype feed SYSTEM "file:///etc/passwd"><feed/>',
    ],
)
def test_doctype_and_entity_declarations_are_refused(payload: bytes) -> None:
    with pytest.raises(ParseError, match="DOCTYPE or ENTITY"):
        parse(payload)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"<html><body>Service Unavailable</body>", "not well-formed XML"),
        (b"<html><body>502</body></html>", "expected an Atom <feed>"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>', "opensearch:totalResults"),
        # An unknown encoding makes ElementTree raise LookupError (found by fuzzing).
        (b'<?xml version="1.0" encoding="ATF-8"?><feed/>', "unknown encoding: ATF-8"),
    ],
)
def test_non_feeds_are_parse_errors(payload: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse(payload)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (b"<id>http://arxiv.org/abs/2607.22529v2</id>", b"", "entry 1 has no <id>"),
        (b"abs/2607.22529v2</id>", b"abs/nonsense</id>", "is not an arXiv id"),
        (b"<title>Strings on the Lattice</title>", b"<title> </title>", "has no <title>"),
        (b"<published>2026-07-27T17:59:37Z", b"<published>yesterday", "bad <published>"),
    ],
)
def test_entries_missing_mandatory_pieces_are_parse_errors(
    fixtures_dir: Path, old: bytes, new: bytes, message: str
) -> None:
    payload = fixture(fixtures_dir, "api_query_small.xml").replace(old, new, 1)

    with pytest.raises(ParseError, match=message):
        parse(payload)


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(), name=st.sampled_from(["api_query_small.xml", "api_error.xml", "api_empty.xml"])
)
def test_damaged_feeds_give_a_page_or_a_source_error(
    fixtures_dir: Path, data: st.DataObject, name: str
) -> None:
    payload = data.draw(damaged(fixture(fixtures_dir, name)))
    try:
        page = parse(payload)
    except (ParseError, LayoutChanged, FetchError):
        return
    assert page.listing.declared_count == page.total_results
    assert all(p.arxiv_id and p.title for p in page.listing.papers)


# --- URL builders ----------------------------------------------------------------------------


def test_query_url_encodes_every_parameter() -> None:
    url = query_url(
        API_URL,
        search_query='au:"Hanze Dong" AND cat:cs.LG',
        start=100,
        max_results=50,
        sort_by="submittedDate",
        sort_order="descending",
    )
    assert url == (
        "https://export.arxiv.org/api/query?search_query=au%3A%22Hanze+Dong%22+AND+cat%3Acs.LG"
        "&start=100&max_results=50&sortBy=submittedDate&sortOrder=descending"
    )
    assert query_url(API_URL, id_list=[" 1601.00001 ", "hep-th/9901001v2"]) == (
        "https://export.arxiv.org/api/query?id_list=1601.00001%2Chep-th%2F9901001v2"
        "&start=0&max_results=100"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "search_query or id_list"),
        ({"search_query": "all:x", "max_results": 2001}, "max_results"),
        ({"search_query": "all:x", "start": -1}, "start"),
        ({"search_query": "all:x", "sort_by": "date"}, "sort_by"),
        ({"search_query": "all:x", "sort_order": "up"}, "sort_order"),
    ],
)
def test_query_url_rejects_what_the_api_would(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        query_url(API_URL, **kwargs)  # type: ignore[arg-type]


def test_query_helpers_compose() -> None:
    assert author_query('  Jane  "JD"   Doe ') == 'au:"Jane JD Doe"'
    assert keyword_query("graph neural") == '(ti:"graph neural" OR abs:"graph neural")'
    assert keyword_query("diffusion", fields=["ti"]) == 'ti:"diffusion"'
    since = datetime(2026, 7, 27, 20, 0, tzinfo=timezone(timedelta(hours=-4)))
    assert submitted_between(since, since + timedelta(days=1)) == (
        "submittedDate:[202607280000 TO 202607290000]"
    )
    assert all_of("a", "b") == "(a) AND (b)"


@pytest.mark.parametrize(
    "call",
    [
        lambda: author_query(' " '),
        lambda: keyword_query("x", fields=["title"]),
        lambda: submitted_between(datetime(2026, 1, 1), datetime(2026, 1, 2)),
        lambda: all_of(),
    ],
)
def test_query_helpers_refuse_bad_input(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


@given(st.text())
def test_author_query_always_yields_one_closed_phrase(name: str) -> None:
    try:
        query = author_query(name)
    except ValueError:
        assert not name.replace('"', " ").split()
        return
    assert query.startswith('au:"') and query.endswith('"') and query.count('"') == 2


# --- real captures ---------------------------------------------------------------------------


def test_real_category_search_parses_every_field(shared_data: Path) -> None:
    url = query_url(API_URL, search_query="cat:cs.RO AND (neural)", max_results=2)
    page = parse((shared_data / REAL_CATEGORY).read_bytes(), url)

    assert (page.total_results, page.start_index, page.items_per_page) == (5619, 0, 2)
    first, second = page.listing.papers
    assert (first.arxiv_id, first.version) == ("2510.14968", 1)
    assert first.title == (
        "RDD: Retrieval-Based Demonstration Decomposer for Planner Alignment in Long-Horizon Tasks"
    )
    assert [a.name for a in first.authors] == [
        "Mingxuan Yan",
        "Yuping Wang",
        "Zechun Liu",
        "Jiachen Li",
    ]
    assert first.abstract.startswith("To tackle long-horizon tasks, recent hierarchical")
    assert "\n" not in first.abstract and "  " not in first.abstract
    assert first.published_at == datetime(2025, 10, 16, 17, 59, 37, tzinfo=UTC)
    assert first.primary_category == "cs.RO"
    assert first.categories == ("cs.RO", "cs.AI", "cs.CV", "cs.LG", "cs.SY", "eess.SY")
    assert first.comment == (
        "39th Conference on Neural Information Processing Systems (NeurIPS 2025); "
        "Project Website: rdd-neurips.github.io"
    )
    assert (first.journal_ref, first.doi) == (None, None)
    assert second.arxiv_id == "2510.14827"
    assert len(second.authors) == 6 and second.categories == ("cs.RO",)
    assert page.next_start == 2


def test_real_id_lookup_parses_doi_and_journal_ref(shared_data: Path) -> None:
    page = parse(
        (shared_data / REAL_ID_LIST).read_bytes(), query_url(API_URL, id_list=["1601.00001"])
    )

    (paper,) = page.listing.papers
    assert paper.arxiv_id == "1601.00001" and paper.version == 1
    assert paper.title == (
        "Inelastic effects in molecular transport junctions: The probe technique at high bias"
    )
    assert paper.authors == (Author(name="Michael Kilgour"), Author(name="Dvira Segal"))
    assert paper.doi == "10.1063/1.4944470"
    assert paper.journal_ref == "J. Chem. Phys. 144, 124107 (2016)"
    assert paper.published_at == datetime(2015, 12, 26, 21, 19, 45, tzinfo=UTC)
    assert paper.categories == ("cond-mat.mes-hall",)
    assert page.listing.period == "id_list:1601.00001"
    assert (page.total_results, page.items_per_page, page.next_start) == (1, 10, None)
    assert not is_suspiciously_empty(page)
