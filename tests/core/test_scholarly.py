"""One identity per paper: how ids are normalized, what counts as a venue."""

from __future__ import annotations

from paperpulse.core.scholarly import PaperIds, clean_venue, is_venue_doi, normalize_doi


def test_ids_are_normalized_and_aliases_put_the_most_stable_first() -> None:
    ids = PaperIds.of(
        arxiv="arXiv:2106.15928v3", doi="https://doi.org/10.1145/ABC.1", s2="ABCDEF", corpus=7
    )
    assert ids.aliases == ("arxiv:2106.15928", "doi:10.1145/abc.1", "s2:abcdef", "corpus:7")
    assert ids.lookup == "abcdef"
    assert PaperIds.of(arxiv="not an id", doi="nope").aliases == ()
    assert PaperIds.of(doi="10.1145/x").lookup == "DOI:10.1145/x"


def test_arxivs_own_doi_and_preprint_servers_are_not_venues() -> None:
    assert not is_venue_doi("10.48550/arXiv.2106.15928")
    assert is_venue_doi("doi:10.18653/v1/N18-3011")
    assert normalize_doi("10.1/short") is None
    assert clean_venue("arXiv.org") is None and clean_venue(" CoRR ") is None
    assert clean_venue("  ICLR   2026 ") == "ICLR 2026"
