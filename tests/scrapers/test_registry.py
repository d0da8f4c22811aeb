"""Offline parsing by source name: every registered source parses a saved file of its kind."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from paperpulse.core.models import ListingItem, Paper
from paperpulse.scrapers.registry import (
    LISTING_KEYS,
    PAPER_KEYS,
    PARSERS,
    listing_as_json,
    parse_file,
)


def saved_file(fixtures_dir: Path, source: str, tmp_path: Path) -> Path:
    """A saved response for ``source``; HF search and paper answers are cut from a daily one."""
    daily = fixtures_dir / "hf" / "daily_2026.json"
    if source == "hf-search":
        path = tmp_path / "search.json"
        path.write_bytes(daily.read_bytes())  # a list of {"paper": ...} items, as search answers
        return path
    if source == "hf-paper":
        path = tmp_path / "2611.01234.json"
        path.write_text(json.dumps(json.loads(daily.read_bytes())[0]["paper"]))
        return path
    name = {
        "arxiv-listing": "arxiv/list_new_small.html",
        "arxiv-api": "arxiv/api_query_small.xml",
    }.get(source, "hf/daily_2026-11-20.html" if source == "hf-week" else "hf/daily_2026.json")
    return fixtures_dir / name


@pytest.mark.parametrize("source", sorted(PARSERS))
def test_every_source_parses_a_saved_file(fixtures_dir: Path, tmp_path: Path, source: str) -> None:
    path = saved_file(fixtures_dir, source, tmp_path)
    listing = parse_file(source, path.read_bytes(), str(path))
    assert listing.source == source and listing.items
    assert [item.rank for item in listing.items] == list(range(1, len(listing.items) + 1))


def test_hf_daily_still_dates_a_2024_record_from_the_file_name(fixtures_dir: Path) -> None:
    content = (fixtures_dir / "hf" / "daily_2024.json").read_bytes()
    listing = parse_file("hf-daily", content, "saved/daily_papers_2024-03-12.json")
    assert listing.period == "2024-03-12"
    assert {p.list_date.isoformat() for p in listing.papers if p.list_date} == {"2024-03-12"}


def test_arxiv_files_parse_like_the_live_fetch(fixtures_dir: Path) -> None:
    html = (fixtures_dir / "arxiv" / "list_new_small.html").read_bytes()
    listing = parse_file("arxiv-listing", html, "cs.CL-new.html")
    assert (listing.period, listing.declared_count, len(listing.items)) == ("2026-07-27", 4, 4)
    feed = (fixtures_dir / "arxiv" / "api_query_small.xml").read_bytes()
    api = parse_file("arxiv-api", feed, "query.xml")
    assert api.period == 'search_query=au:"Jane Doe"&id_list=&start=0&max_results=2'
    assert api.declared_count == 7


def test_json_has_the_documented_keys_and_values(fixtures_dir: Path) -> None:
    feed = (fixtures_dir / "arxiv" / "api_query_small.xml").read_bytes()
    data = listing_as_json(parse_file("arxiv-api", feed, "query.xml"))
    assert LISTING_KEYS == ("source", "period", "declared_count", "notes", "papers")
    # Every field of a paper and of its listing item: the text fields too.
    assert set(PAPER_KEYS) == {"id"} | {
        f.name
        for f in (*fields(Paper), *fields(ListingItem))
        if f.name not in ("arxiv_id", "paper")
    }
    for key in ("abstract", "ai_summary", "ai_keywords", "doi", "journal_ref", "comment"):
        assert key in PAPER_KEYS
    assert tuple(data) == LISTING_KEYS
    papers = data["papers"]
    assert isinstance(papers, list) and all(tuple(p) == PAPER_KEYS for p in papers)
    second = papers[1]
    assert {k: second[k] for k in ("id", "version", "title", "authors", "published_at")} == {
        "id": "hep-th/9901001",
        "version": 3,
        "title": "Strings on the Lattice",
        "authors": [{"name": "Jane Doe", "hf_user": None, "affiliation": None}],
        "published_at": "1999-01-01T17:00:00+00:00",
    }
    assert second["categories"] == ["hep-th", "gr-qc"] and second["rank"] == 2
    assert second["abstract"] and second["upvotes"] is None
    json.dumps(data)  # serialisable as is


def test_documented_keys_are_in_the_sources_doc() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "sources.md").read_text()
    for key in (*LISTING_KEYS, *PAPER_KEYS):
        assert f"`{key}`" in doc, key


def test_an_unknown_source_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown source 's2-author'.*arxiv-api, arxiv-listing"):
        parse_file("s2-author", b"{}", "author.json")
