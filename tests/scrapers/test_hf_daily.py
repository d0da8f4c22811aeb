"""HF Daily Papers: golden tests on our fixtures, and every real capture in ../shared/data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from paperpulse.core.errors import LayoutChanged, ParseError, SourceError
from paperpulse.core.models import Author, Listing, Paper
from paperpulse.scrapers import hf_daily
from paperpulse.scrapers.http import HttpClient, default_settings
from tests.clocks import FakeClock

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
DAY = date(2026, 11, 20)

EXPECTED_FIRST = Paper(
    arxiv_id="2611.01234",
    title="Speculative Decoding at Scale",
    authors=(
        Author(name="Ada Lovelace", hf_user="ada"),
        Author(name="Grace Hopper"),
        Author(name="Alan Turing"),
        Author(name="Edsger Dijkstra"),
    ),
    abstract="We study speculative decoding. It is fast. Really fast.",
    published_at=datetime(2026, 11, 19, 17, 59, 1, tzinfo=UTC),
    list_date=DAY,
    organization="Example Lab",
    github_repo="https://github.com/example/specdec",
    project_page="https://example.org/specdec",
    ai_summary="Speculative decoding made 3x faster with tree drafts.",
    ai_keywords=("speculative decoding", "draft model"),
)


def parse_fixture(fixtures_dir: Path, name: str, day: date = DAY) -> Listing:
    content = (fixtures_dir / "hf" / name).read_bytes()
    return hf_daily.parse_any(content, url=f"file://{name}", requested_date=day, fetched_at=NOW)


def test_api_2026_shape_golden(fixtures_dir: Path) -> None:
    listing = parse_fixture(fixtures_dir, "daily_2026.json")
    assert listing.source == "hf-daily"
    assert listing.period == "2026-11-20"
    assert listing.papers[0] == EXPECTED_FIRST
    first, second = listing.items
    assert (first.rank, first.upvotes, first.comments, first.stars) == (1, 42, 3, 120)
    assert (second.rank, second.upvotes, second.comments, second.stars) == (2, 7, 0, None)
    assert second.paper.ai_summary is None and second.paper.organization is None
    assert listing.notes == ()


def test_api_2024_shape_takes_list_date_from_request(fixtures_dir: Path) -> None:
    listing = parse_fixture(fixtures_dir, "daily_2024.json", day=date(2024, 3, 12))
    (item,) = listing.items
    assert item.paper.list_date == date(2024, 3, 12)  # 2024 records lack submittedOnDailyAt
    assert item.paper.title == "Lean Records from 2024"
    assert item.paper.authors == (
        Author(name="First Author"),
        Author(name="Second Author", hf_user="second"),
    )
    assert (item.upvotes, item.comments) == (12, 1)


def test_html_page_gives_the_same_papers_as_the_api(fixtures_dir: Path) -> None:
    page = parse_fixture(fixtures_dir, "daily_2026-11-20.html")
    api = parse_fixture(fixtures_dir, "daily_2026.json")
    assert page.items == api.items
    assert page.declared_count == 2  # one <article> card per paper


def test_empty_day_is_not_an_error() -> None:
    listing = hf_daily.parse_api(b"[]", url="u", requested_date=DAY, fetched_at=NOW)
    assert listing.items == ()
    assert listing.notes == (hf_daily.NO_PAPERS,)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"<html>oops", "not JSON"),
        (b'{"error": "Invalid date"}', "Invalid date"),
        (b'{"unexpected": 1}', "expected a JSON list"),
        (b"[1]", "item 0 is not an object"),
        (b'[{"paper": {"title": "x"}}]', "missing 'paper.id'"),
        (b'[{"paper": {"id": "not-an-id", "title": "x"}}]', "is not an arXiv id"),
        (b'[{"paper": {"id": "2401.00001"}}]', "missing title"),
        (b'[{"paper": {"id": "2401.00001", "title": "t", "authors": {}}}]', "not a list"),
    ],
)
def test_malformed_payloads_raise_parse_error_naming_the_url(payload: bytes, message: str) -> None:
    with pytest.raises(ParseError) as info:
        hf_daily.parse_api(payload, url="https://hf.test/api/x", requested_date=DAY, fetched_at=NOW)
    assert message in str(info.value)
    assert "https://hf.test/api/x" in str(info.value)


def test_page_without_the_island_is_a_layout_change() -> None:
    with pytest.raises(LayoutChanged, match="DailyPapers"):
        hf_daily.parse_page(
            "<html><body><article>x</article></body></html>",
            url="u",
            requested_date=DAY,
            fetched_at=NOW,
        )


def test_page_with_more_cards_than_data_is_a_layout_change(fixtures_dir: Path) -> None:
    html = (fixtures_dir / "hf" / "daily_2026-11-20.html").read_text()
    html = html.replace("</section>", "<article>extra card</article></section>")
    with pytest.raises(LayoutChanged, match="3 paper cards but its data holds 2"):
        hf_daily.parse_page(html, url="u", requested_date=DAY, fetched_at=NOW)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_responses_only_raise_parse_errors(fixtures_dir: Path, data: st.DataObject) -> None:
    raw = (fixtures_dir / "hf" / "daily_2026.json").read_bytes()
    start = data.draw(st.integers(0, len(raw)))
    end = data.draw(st.integers(start, len(raw)))
    junk = data.draw(st.binary(max_size=20))
    mutated = raw[:start] + junk + raw[end:]
    try:
        listing = hf_daily.parse_any(mutated, url="u", requested_date=DAY, fetched_at=NOW)
    except ParseError:
        return
    assert all(item.paper.arxiv_id and item.paper.title for item in listing.items)


# --- fetching through the real client with respx --------------------------------------------

BASE = "https://hf.test"


def client() -> HttpClient:
    return HttpClient(default_settings(hf_url=BASE), clock=FakeClock())


def _items(n: int, offset: int = 0) -> list[dict[str, object]]:
    return [
        {
            "paper": {
                "id": f"2611.{offset + i:05d}",
                "title": f"Paper {offset + i}",
                "authors": [],
                "upvotes": i,
            },
            "numComments": 0,
        }
        for i in range(n)
    ]


@respx.mock
def test_fetch_pages_until_a_short_page() -> None:
    route = respx.get(f"{BASE}/api/daily_papers").mock(
        side_effect=[
            httpx.Response(200, json=_items(100)),
            httpx.Response(200, json=_items(100, offset=100)),
            httpx.Response(200, json=_items(7, offset=200)),
        ]
    )
    with client() as c:
        listing = hf_daily.fetch_daily(c, base_url=BASE, list_date=DAY, now=NOW)
    assert len(listing.items) == 207
    assert [item.rank for item in listing.items] == list(range(1, 208))
    pages = [call.request.url.params["p"] for call in route.calls]
    assert pages == ["0", "1", "2"]
    assert {call.request.url.params["limit"] for call in route.calls} == {"100"}
    assert {call.request.url.params["date"] for call in route.calls} == {"2026-11-20"}


@respx.mock
def test_fetch_html_redirect_to_papers_means_no_papers() -> None:
    respx.get(f"{BASE}/papers/date/2026-11-21").mock(
        return_value=httpx.Response(302, headers={"Location": f"{BASE}/papers"})
    )
    respx.get(f"{BASE}/papers").mock(return_value=httpx.Response(200, text="<html></html>"))
    with client() as c:
        listing = hf_daily.fetch_daily(
            c, base_url=BASE, list_date=date(2026, 11, 21), via="html", now=NOW
        )
    assert listing.items == () and listing.notes == (hf_daily.NO_PAPERS,)


@respx.mock
def test_fetch_html_redirect_on_to_the_latest_day_still_means_no_papers(
    fixtures_dir: Path,
) -> None:
    """Real HF sends an empty date to /papers, which redirects on to the latest list: that
    page's papers are another day's and must not be stored as this day's."""
    respx.get(f"{BASE}/papers/date/2026-11-21").mock(
        return_value=httpx.Response(302, headers={"Location": "/papers"})
    )
    respx.get(f"{BASE}/papers").mock(
        return_value=httpx.Response(302, headers={"Location": "/papers/date/2026-11-20"})
    )
    page = next((fixtures_dir / "hf").glob("*.html")).read_text(encoding="utf-8")
    respx.get(f"{BASE}/papers/date/2026-11-20").mock(return_value=httpx.Response(200, text=page))
    with client() as c:
        listing = hf_daily.fetch_daily(
            c, base_url=BASE, list_date=date(2026, 11, 21), via="html", now=NOW
        )
    assert listing.items == () and listing.notes == (hf_daily.NO_PAPERS,)


@respx.mock
def test_fetch_bad_date_is_a_clear_error() -> None:
    respx.get(f"{BASE}/api/daily_papers").mock(return_value=httpx.Response(400))
    with client() as c, pytest.raises(SourceError) as info:
        hf_daily.fetch_daily(c, base_url=BASE, list_date=DAY, now=NOW)
    assert "400" in str(info.value) and f"{BASE}/api/daily_papers" in str(info.value)


# --- the real captures ----------------------------------------------------------------------


def test_every_real_api_day_parses_completely(shared_data: Path) -> None:
    files = sorted((shared_data / "hf_api_daily").glob("*.json"))
    assert len(files) == 415
    for path in files:
        day = date.fromisoformat(path.stem)
        raw = json.loads(path.read_bytes())
        expected = len(raw if isinstance(raw, list) else raw["data"])
        listing = hf_daily.parse_api(
            path.read_bytes(), url=str(path), requested_date=day, fetched_at=NOW
        )
        assert len(listing.items) == expected, path.name
        assert all(item.paper.list_date == day for item in listing.items), path.name
        assert all(item.upvotes is not None for item in listing.items), path.name


def test_real_raw_api_bytes_2024(shared_data: Path) -> None:
    path = shared_data / "pages" / "hf_api" / "daily_papers_2024-03-12_raw_bytes.json"
    listing = hf_daily.parse_any(
        path.read_bytes(), url=str(path), requested_date=date(2024, 3, 12), fetched_at=NOW
    )
    assert len(listing.items) == 9
    assert listing.items[0].paper.arxiv_id == "2403.06634"
    assert listing.items[0].paper.authors[0] == Author(name="Nicholas Carlini", hf_user="carlini")


def test_real_html_page_matches_its_cards_and_embedded_json(shared_data: Path) -> None:
    path = shared_data / "pages" / "hf_papers_html" / "papers_2024-08-01_slbqc.html"
    html = path.read_text(encoding="utf-8")
    listing = hf_daily.parse_page(
        html, url=str(path), requested_date=date(2024, 8, 1), fetched_at=NOW
    )
    assert len(listing.items) == 13
    first = listing.items[0]
    assert (first.paper.arxiv_id, first.paper.title, first.upvotes) == (
        "2407.21783",
        "The Llama 3 Herd of Models",
        94,
    )
    # Cross-check against the visible cards, parsed independently of the hydration JSON.
    tree = LexborHTMLParser(html)
    cards = tree.css("article")
    card_titles = [" ".join(card.css_first("h3").text().split()) for card in cards]
    assert card_titles == [item.paper.title for item in listing.items]
    # And against the embedded JSON read with the standard library alone.
    island = tree.css_first('[data-target="DailyPapers"]')
    assert island is not None
    embedded = json.loads(island.attributes["data-props"] or "")["dailyPapers"]
    assert [e["paper"]["id"] for e in embedded] == [p.arxiv_id for p in listing.papers]
    assert [e["paper"]["upvotes"] for e in embedded] == [i.upvotes for i in listing.items]


def test_lone_surrogate_escapes_are_replaced_so_every_field_encodes() -> None:
    """JavaScript's JSON.stringify writes "\\ud83d" for a string cut inside an emoji."""
    item = {
        "paper": {
            "id": "2611.00001",
            "title": "cut \\ud83d",
            "summary": "low \\ude80 half",
            "authors": [{"name": "A \\ud800"}],
            "githubRepo": "https://github.com/x/\\udfff",
        },
        "organization": {"fullname": "Lab \\ud83d"},
    }
    body = json.dumps([item]).replace("\\\\u", "\\u").encode()
    paper = hf_daily.parse_api(body, url="u", requested_date=DAY, fetched_at=NOW).papers[0]

    assert (paper.title, paper.abstract) == ("cut \ufffd", "low \ufffd half")
    assert paper.authors[0].name == "A \ufffd" and paper.organization == "Lab \ufffd"
    assert paper.github_repo == "https://github.com/x/\ufffd"
