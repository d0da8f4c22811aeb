"""Semantic Scholar paper batches and citations: our fixtures follow the documented shapes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from paperpulse.core.errors import FetchError, ParseError
from paperpulse.core.scholarly import PaperIds
from paperpulse.scrapers import s2_graph

S2 = Path(__file__).resolve().parents[1] / "fixtures" / "s2"
URL = "https://api.semanticscholar.org/graph/v1/paper/batch?fields=title"


def test_a_batch_answers_in_order_with_null_for_unknown_ids() -> None:
    first, unknown, preprint = s2_graph.parse_batch((S2 / "paper_batch.json").read_bytes(), URL, 3)
    assert unknown is None and first is not None and preprint is not None
    assert first.ids == PaperIds(
        arxiv="2106.15928",
        doi="10.18653/v1/n18-3011",
        s2="649def34f8be52c8b66281af98ae884c09aef38b",
        corpus="215416146",
    )
    assert first.title == "Construction of the Literature Graph in Semantic Scholar"
    assert first.venue == "NAACL 2018"  # publicationVenue first
    assert (first.year, first.publication_date, first.citation_count) == (
        2018,
        date(2018, 5, 6),
        453,
    )
    assert preprint.venue is None  # arXiv is not a venue
    assert preprint.url == "https://arxiv.org/abs/2401.00001"


def test_a_batch_of_the_wrong_length_or_shape_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="3 entries for 2 ids"):
        s2_graph.parse_batch((S2 / "paper_batch.json").read_bytes(), URL, 2)
    with pytest.raises(ParseError, match="'paperId' should be"):
        s2_graph.parse_batch(b'[{"title": "no id"}]', URL, 1)
    with pytest.raises(FetchError, match="Too many ids"):
        s2_graph.parse_batch(b'{"error": "Too many ids"}', URL, 1)


def test_citations_page_names_its_citing_papers_and_the_next_offset() -> None:
    page = s2_graph.parse_citations((S2 / "citations.json").read_bytes(), URL)
    assert (page.offset, page.next_offset) == (0, 2)
    [paper] = page.papers  # the unresolved reference (null paperId) is left out
    assert paper.title == "A Journal Paper" and paper.venue == "Journal of Tests"
    assert paper.url == "https://doi.org/10.1000/xyz"


def test_urls_and_batch_limits() -> None:
    assert s2_graph.citations_url("ARXIV:2106.15928", offset=1000, base="http://s2").startswith(
        "http://s2/paper/ARXIV:2106.15928/citations?fields=title%2CexternalIds"
    )
    assert s2_graph.batch_body(["a"]) == {"ids": ["a"]}
    with pytest.raises(ValueError, match=r"1\.\.500"):
        s2_graph.batch_body(["x"] * 501)
