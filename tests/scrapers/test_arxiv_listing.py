from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperpulse.core.errors import FetchError, LayoutChanged, ParseError
from paperpulse.core.models import Author, Paper
from paperpulse.scrapers.arxiv_listing import (
    DeclaredSection,
    ListingPage,
    listing_url,
    next_page_params,
    parse_listing,
    parse_listing_page,
)
from tests.scrapers.payload_mutations import damaged

FETCHED = datetime(2026, 7, 28, 6, 0, tzinfo=UTC)
NEW_URL = "https://arxiv.org/list/cs.CL/new"
RECENT_URL = "https://arxiv.org/list/cs.CL/recent"
REAL_RECENT = "pages/arxiv_listing/list_cs.CL_recent_2026-07-28_shelf.html"
REAL_LEGACY = "pages/arxiv_listing/list_astro-ph_new_2014-06-13_legacy_gabriel-p.html"
ENTRY = re.compile(r"<dt>.*?</dd>", re.DOTALL)


def fixture(fixtures_dir: Path, name: str) -> str:
    return (fixtures_dir / "arxiv" / name).read_text(encoding="utf-8")


def parse(html: str | bytes, url: str = NEW_URL) -> ListingPage:
    return parse_listing_page(html, url, fetched_at=FETCHED)


def without_entries(html: str, *positions: int) -> str:
    """``html`` with the dt/dd pairs at these 0-based positions removed."""
    doomed = [m for i, m in enumerate(ENTRY.finditer(html)) if i in positions]
    for match in reversed(doomed):
        html = html[: match.start()] + html[match.end() :]
    return html


# --- golden: current /new layout -------------------------------------------------------------


def test_new_page_papers_match_hand_checked_values(fixtures_dir: Path) -> None:
    page = parse(fixture(fixtures_dir, "list_new_small.html"))

    first, _, cross, replacement = page.listing.items
    assert first.paper == Paper(
        arxiv_id="2607.22529",
        title="Skill Self-Play: Pushing the Frontier of LLM Capability & Co-Evolving Skills",
        authors=(Author(name="Siyuan Huang"), Author(name="Lena Jäger")),
        abstract="We study skill self-play. It works.",
        list_date=date(2026, 7, 27),
        primary_category="cs.CL",
        categories=("cs.CL", "cs.AI", "cs.LG"),
        comment='Under "Review" at ARR; code at this https URL',
    )
    assert replacement.paper == Paper(
        arxiv_id="hep-th/9901001",
        title="Strings on the Lattice",
        authors=(Author(name="Jane Doe"),),
        abstract="Strings, discretised.",
        list_date=date(2026, 7, 27),
        primary_category="hep-th",
        categories=("hep-th", "cs.CL"),
        comment="12 pages, v3: typos fixed",
        journal_ref="Phys. Rev. D 60, 045001 (1999)",
    )
    assert cross.paper.primary_category == "cs.SE"
    assert cross.paper.authors[1].name == "Héctor Allende-Cid"


def test_new_page_sections_ranks_and_declared_counts(fixtures_dir: Path) -> None:
    page = parse(fixture(fixtures_dir, "list_new_small.html"))

    listing = page.listing
    assert (listing.source, listing.period, listing.url) == ("arxiv-listing", "2026-07-27", NEW_URL)
    assert listing.fetched_at == FETCHED
    assert [(i.rank, i.section) for i in listing.items] == [
        (1, "new"),
        (2, "new"),
        (3, "cross"),
        (4, "replacement"),
    ]
    assert listing.declared_count == page.total == 4
    assert page.declared_counts == {"new": 2, "cross": 1, "replacement": 1}
    assert page.sections[0] == DeclaredSection(
        heading="New submissions (showing 2 of 2 entries)",
        section="new",
        day=None,
        shown=2,
        total=2,
        parsed=2,
    )
    assert (page.first, page.last, page.page_size) == (None, None, 2000)
    assert next_page_params(page) is None


def test_href_with_a_space_before_the_equals_sign_still_yields_ids(fixtures_dir: Path) -> None:
    html = fixture(fixtures_dir, "list_new_small.html")
    assert 'href ="/abs/' in html  # the real markup's quirk, kept in the fixture on purpose

    ids = [p.arxiv_id for p in parse(html).listing.papers]

    assert ids == ["2607.22529", "2607.22456", "2607.21608", "hep-th/9901001"]


def test_bytes_and_text_parse_alike(fixtures_dir: Path) -> None:
    html = fixture(fixtures_dir, "list_new_small.html")
    assert parse(html.encode("utf-8")) == parse(html)
    assert parse_listing(html, NEW_URL, fetched_at=FETCHED) == parse(html).listing


def test_explicit_no_updates_page_is_an_empty_listing_with_a_note(fixtures_dir: Path) -> None:
    listing = parse(fixture(fixtures_dir, "list_new_empty.html")).listing

    assert listing.items == ()
    assert listing.period == "2026-07-31"
    assert listing.notes == ("arXiv announced no entries for this listing",)


# --- golden: /recent layout and paging -------------------------------------------------------


def test_recent_page_dates_entries_by_their_day_heading(fixtures_dir: Path) -> None:
    page = parse(fixture(fixtures_dir, "list_recent_small.html"), RECENT_URL)

    listing = page.listing
    assert listing.period == "2026-07-28"
    assert [(p.arxiv_id, p.list_date) for p in listing.papers] == [
        ("2607.23001", date(2026, 7, 28)),
        ("2607.23002", date(2026, 7, 28)),
        ("2607.22001", date(2026, 7, 27)),
    ]
    assert [i.section for i in listing.items] == ["new", "cross", "new"]
    assert page.declared_counts == {"2026-07-28": 2, "2026-07-27": 3}
    assert [(s.shown, s.total, s.parsed) for s in page.sections] == [(2, 2, 2), (1, 3, 1)]
    assert (page.total, page.first, page.last, page.page_size) == (5, 1, 3, 3)
    assert next_page_params(page) == {"skip": 3, "show": 3}
    assert listing.notes == ("this page holds entries 1-3 of 5; more pages follow",)


def test_recent_second_page_continues_ranks_and_keeps_the_period(fixtures_dir: Path) -> None:
    page = parse(fixture(fixtures_dir, "list_recent_small_page2.html"), RECENT_URL + "?skip=3")

    assert page.listing.period == "2026-07-28"  # the listing's newest day, as on page one
    assert [(i.rank, i.paper.arxiv_id) for i in page.listing.items] == [
        (4, "2607.22002"),
        (5, "2607.22003"),
    ]
    assert page.sections[0].heading == "Mon, 27 Jul 2026 (continued, showing last 2 of 3 entries )"
    assert next_page_params(page) is None


def test_legacy_2014_layout_parses_sections_and_two_digit_years(fixtures_dir: Path) -> None:
    page = parse(fixture(fixtures_dir, "list_new_legacy_small.html"))

    assert page.listing.period == "2014-06-13"
    assert [(i.section, i.paper.arxiv_id) for i in page.listing.items] == [
        ("new", "1406.3020"),
        ("cross", "1311.4457"),
    ]
    assert page.listing.items[0].paper.authors == (
        Author(name="Daniel Foreman-Mackey"),
        Author(name="David W. Hogg"),
    )
    assert page.listing.items[1].paper.journal_ref == "Phys. Rev. D 89, 084033 (2014)"
    assert (page.total, page.first, page.last) == (2, 1, 2)


# --- completeness and loud failures ----------------------------------------------------------


def test_a_missing_entry_under_a_declared_section_is_a_layout_change(fixtures_dir: Path) -> None:
    html = without_entries(fixture(fixtures_dir, "list_new_small.html"), 1)

    with pytest.raises(LayoutChanged) as caught:
        parse(html)

    message = str(caught.value)
    assert "parsed 1 of 2 entries declared under 'New submissions" in message
    assert "paperpulse parse arxiv-listing FILE" in message
    assert caught.value.url == NEW_URL


def test_an_unrecognised_day_heading_is_caught_by_the_counts(fixtures_dir: Path) -> None:
    # Without Monday's heading its entry would silently be dated Tuesday; the counts refuse that.
    html = fixture(fixtures_dir, "list_recent_small.html").replace(
        "<h3>Mon, 27 Jul 2026 (showing first 1 of 3 entries )</h3>", "<h3>Monday</h3>"
    )

    with pytest.raises(LayoutChanged, match="parsed 3 of 2 entries declared under 'Tue, 28 Jul"):
        parse(html, RECENT_URL)


def test_page_range_shortfall_is_caught_without_per_section_counts(fixtures_dir: Path) -> None:
    html = without_entries(fixture(fixtures_dir, "list_new_legacy_small.html"), 0)

    with pytest.raises(LayoutChanged, match=r"parsed 1 of 2 entries declared for positions 1-2"):
        parse(html)


def test_no_entries_and_no_declaration_is_a_layout_change(fixtures_dir: Path) -> None:
    html = fixture(fixtures_dir, "list_new_small.html")
    html = re.sub(r"<dl id='articles'>.*</dl>", "", html, flags=re.DOTALL)
    html = re.sub(r"<div class='paging'>.*?</div>", "", html, flags=re.DOTALL)

    with pytest.raises(LayoutChanged, match="found no entries, no declared counts"):
        parse(html)


@pytest.mark.parametrize(
    ("old", "new", "selector"),
    [
        ("<div class='list-title mathjax'>", "<div class='heading'>", "dd div.list-title"),
        ('title="Abstract"', 'title="Summary"', 'dt a[title="Abstract"]'),
        ('href ="/abs/2607.22529"', 'href ="/abs/not-an-id"', 'dt a[title="Abstract"]'),
    ],
)
def test_a_missing_mandatory_piece_names_its_selector(
    fixtures_dir: Path, old: str, new: str, selector: str
) -> None:
    html = fixture(fixtures_dir, "list_new_small.html").replace(old, new, 1)

    with pytest.raises(ParseError) as caught:
        parse(html)

    assert type(caught.value) is ParseError
    assert f"selector {selector!r}" in str(caught.value)
    assert "entry 1" in str(caught.value)


def test_a_dt_without_its_dd_is_a_parse_error(fixtures_dir: Path) -> None:
    html = fixture(fixtures_dir, "list_new_small.html")
    first_dd = re.search(r"<dd>.*?</dd>", html, re.DOTALL)
    assert first_dd is not None

    with pytest.raises(ParseError, match="not followed by its dd"):
        parse(html[: first_dd.start()] + html[first_dd.end() :])


def test_authors_missing_from_every_entry_is_a_layout_change(fixtures_dir: Path) -> None:
    html = fixture(fixtures_dir, "list_new_small.html").replace("list-authors", "list-people")

    with pytest.raises(LayoutChanged, match=r"none of 4 entries matched 'div\.list-authors a'"):
        parse(html)


def test_a_page_without_any_date_is_a_layout_change(fixtures_dir: Path) -> None:
    html = fixture(fixtures_dir, "list_recent_small.html")
    html = re.sub(r"<ul>.*?</ul>", "", html, flags=re.DOTALL)
    html = html.replace("Tue, 28 Jul 2026 (", "(").replace("Mon, 27 Jul 2026 (", "(")

    with pytest.raises(LayoutChanged, match="no listing date found"):
        parse(html, RECENT_URL)


# --- URLs ------------------------------------------------------------------------------------


def test_listing_url() -> None:
    assert listing_url("cs.CL") == "https://arxiv.org/list/cs.CL/new"
    assert (
        listing_url("astro-ph", "recent", skip=50, show=50)
        == "https://arxiv.org/list/astro-ph/recent?skip=50&show=50"
    )
    with pytest.raises(ValueError, match="listing kind"):
        listing_url("cs.CL", "today")
    with pytest.raises(ValueError, match="not an arXiv category"):
        listing_url("cs.CL/../../etc")


# --- real captures ---------------------------------------------------------------------------


def test_real_recent_page_yields_50_complete_entries(shared_data: Path) -> None:
    page = parse((shared_data / REAL_RECENT).read_bytes(), RECENT_URL)

    papers = page.listing.papers
    assert len(papers) == 50
    assert all(p.arxiv_id and p.title and p.authors and p.primary_category for p in papers)
    assert len({p.arxiv_id for p in papers}) == 50
    assert page.total == page.listing.declared_count == 408
    assert page.sections[0].heading == "Mon, 27 Jul 2026 (showing 47 of 47 entries )"
    assert [(s.day, s.shown, s.total, s.parsed) for s in page.sections] == [
        (date(2026, 7, 27), 47, 47, 47),
        (date(2026, 7, 24), 3, 110, 3),
    ]
    assert page.listing.period == "2026-07-27"
    assert [p.list_date for p in papers].count(date(2026, 7, 24)) == 3
    assert next_page_params(page) == {"skip": 50, "show": 50}
    assert papers[0].arxiv_id == "2607.22529"
    assert papers[0].title.startswith("Skill Self-Play: Pushing the Frontier")
    assert papers[47].comment == 'Under "Review" at ARR'


def test_real_recent_page_with_entries_deleted_is_a_layout_change(shared_data: Path) -> None:
    html = (shared_data / REAL_RECENT).read_text(encoding="utf-8")

    with pytest.raises(LayoutChanged, match=r"parsed 44 of 47 entries declared under 'Mon, 27 Jul"):
        parse(without_entries(html, 5, 6, 7), RECENT_URL)


def test_real_legacy_page_yields_all_72_entries(shared_data: Path) -> None:
    page = parse((shared_data / REAL_LEGACY).read_bytes())

    papers = page.listing.papers
    assert len(papers) == page.total == 72
    assert [s.parsed for s in page.sections] == [38, 8, 26]
    assert [s.section for s in page.sections] == ["new", "cross", "replacement"]
    assert page.listing.period == "2014-06-13"
    assert all(p.arxiv_id and p.title and p.authors and p.primary_category for p in papers)
    assert "astro-ph/0204513" in {p.arxiv_id for p in papers}
    assert all(p.abstract for p in papers[:46])  # new and cross entries carry abstracts


def test_real_legacy_page_with_an_entry_deleted_is_a_layout_change(shared_data: Path) -> None:
    html = (shared_data / REAL_LEGACY).read_text(encoding="utf-8")

    with pytest.raises(LayoutChanged, match="parsed 71 of 72 entries"):
        parse(without_entries(html, 40))


# --- robustness ------------------------------------------------------------------------------

FUZZ_FIXTURES = [
    "list_new_small.html",
    "list_recent_small.html",
    "list_recent_small_page2.html",
    "list_new_legacy_small.html",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(FUZZ_FIXTURES))
def test_damaged_pages_give_a_consistent_page_or_a_source_error(
    fixtures_dir: Path, data: st.DataObject, name: str
) -> None:
    payload = data.draw(damaged((fixtures_dir / "arxiv" / name).read_bytes()))
    try:
        page = parse(payload)
    except (ParseError, FetchError):
        return
    assert all(p.arxiv_id and p.title for p in page.listing.papers)
    assert all(s.shown is None or s.shown == s.parsed for s in page.sections)
