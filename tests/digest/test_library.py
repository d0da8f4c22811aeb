"""Reading a reader's library: every format from files of ours, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperpulse.digest.library import LibraryEntry, LibraryError, find_arxiv_id, parse_library

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "library"


def read(name: str) -> tuple[LibraryEntry, ...]:
    path = FIXTURES / name
    library = parse_library(path.read_text(encoding="utf-8"), str(path))
    assert library.warnings == ()
    return library.entries


def test_bibtex_reads_eprints_urls_and_titles_without_latex_braces() -> None:
    entries = read("library.bib")
    assert [(e.arxiv_id, e.title) for e in entries] == [
        ("2407.21018", "ThinK: Thinner Key Cache by Query-Driven Pruning"),
        ("2310.01889", "Ring Attention with Blockwise Transformers for Near-Infinite Context"),
        (
            None,
            "KVQuant: Towards 10 Million Context Length LLM Inference with KV Cache Quantization",
        ),
    ]
    assert entries[2].abstract.startswith("Quantizing the key value cache")


def test_ris_reads_records_continuations_and_doi_ids() -> None:
    entries = read("library.ris")
    assert [e.arxiv_id for e in entries] == ["2407.21018", "2310.01889", None]
    assert entries[0].abstract.endswith("cutting KV cache memory for long context inference.")
    assert entries[2].title.startswith("Heavy-Hitter Oracle")


def test_zotero_csl_json_export() -> None:
    entries = read("zotero.json")
    assert [e.arxiv_id for e in entries] == ["2407.21018", None]
    assert entries[0].abstract.startswith("We prune")


def test_plain_text_of_ids_urls_and_titles() -> None:
    entries = read("ids.txt")
    assert [e.arxiv_id for e in entries] == [
        "2407.21018",
        "2310.01889",
        "2309.17453",
        "2402.02750",
        None,
    ]
    assert entries[-1].title.startswith("Heavy-Hitter Oracle")


def test_a_broken_bibtex_entry_is_a_warning_and_the_rest_is_kept() -> None:
    path = FIXTURES / "broken.bib"
    library = parse_library(path.read_text(encoding="utf-8"), str(path))
    assert library.entries[0].arxiv_id == "2309.17453"
    assert any("Key Value Cache Eviction" in e.title for e in library.entries)
    [warning] = library.warnings
    assert warning.startswith(f"{path}:6: unreadable BibTeX entry skipped")
    assert "braces" in warning and "\n" not in warning


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("all_broken.bib", "the library is empty"),
        ("empty.txt", "the library is empty"),
    ],
)
def test_a_library_with_nothing_usable_is_one_line_error(name: str, message: str) -> None:
    path = FIXTURES / name
    with pytest.raises(LibraryError) as caught:
        parse_library(path.read_text(encoding="utf-8"), str(path))
    text = str(caught.value)
    assert text.startswith(f"{path}: {message}") and "\n" not in text
    assert ".bib (BibTeX)" in text  # says what to do


def test_an_unknown_format_names_the_formats_we_read() -> None:
    with pytest.raises(LibraryError, match=r"papers.docx: unknown library format '\.docx'; use"):
        parse_library("whatever", "papers.docx")


def test_broken_json_names_the_line() -> None:
    with pytest.raises(LibraryError, match=r"lib.json:2: not valid JSON"):
        parse_library('[\n{"title": }]', "lib.json")


def test_zotero_api_items_skip_attachments_and_read_archive_ids() -> None:
    items = [
        {"data": {"itemType": "preprint", "title": "Paper", "archiveID": "arXiv:2401.00001"}},
        {"data": {"itemType": "attachment", "title": "Full Text PDF"}},
        {"data": {"itemType": "journalArticle", "title": "Other", "extra": "arXiv: 2312.12345"}},
    ]
    text = json.dumps(items)
    entries = parse_library(text, "api.json").entries
    assert [(e.title, e.arxiv_id) for e in entries] == [
        ("Paper", "2401.00001"),
        ("Other", "2312.12345"),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://arxiv.org/pdf/2407.21018v2.pdf", "2407.21018"),
        ("10.48550/arXiv.2407.21018", "2407.21018"),
        ("arXiv:hep-th/9901001v1", "hep-th/9901001"),
        ("2407.21018", "2407.21018"),
        ("10.1145/3292500.3330701", None),
        ("Attention Is All You Need", None),
    ],
)
def test_find_arxiv_id(value: str, expected: str | None) -> None:
    assert find_arxiv_id(value) == expected


def test_dois_are_read_from_every_format() -> None:
    from paperpulse.digest.library import parse_library

    bib = "@article{k, title={Published}, doi={10.1145/ABC.1}}\n"
    assert parse_library(bib, "l.bib").entries[0].doi == "10.1145/abc.1"
    ris = "TY  - JOUR\nTI  - Published\nDO  - 10.1145/ABC.1\nER  - \n"
    assert parse_library(ris, "l.ris").entries[0].doi == "10.1145/abc.1"
    csl = '[{"title": "Published", "DOI": "10.1145/ABC.1"}]'
    assert parse_library(csl, "l.json").entries[0].doi == "10.1145/abc.1"
    text = parse_library("https://doi.org/10.1145/ABC.1\n10.5 reasons to read\n", "l.txt")
    assert [(e.doi, e.title) for e in text.entries] == [
        ("10.1145/abc.1", ""),
        (None, "10.5 reasons to read"),
    ]
