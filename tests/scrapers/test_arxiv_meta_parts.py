"""The one-query lookup of an entry's parts finds the nodes a query per part would."""

from __future__ import annotations

from pathlib import Path

import pytest
from selectolax.lexbor import LexborNode

from paperpulse.scrapers.arxiv_listing import (
    _AUTHOR_LINKS,
    _DESCRIPTOR,
    _META_PARTS,
    _first_meta,
    _meta_parts,
)
from paperpulse.scrapers.dom import parse_html

# Parts out of the usual order, nested, repeated, with extra classes and a <p> in a comment.
TRICKY_META = """<div class="meta">
  <div class="list-comments"><span class="descriptor">Comments:</span> 9 pages <p>inner</p></div>
  <div class="mathjax list-title extra"><b><span class="descriptor">Title:</span></b> A title</div>
  <div class="list-title">Second title</div>
  <div class="list-journal-ref">No label here <a href="/j">J. Phys.</a></div>
  <div class="list-authors"><span class="descriptor">Authors:</span>
    <a href="/a/1">Ada  Lovelace</a>, <b><a href="/a/2">Grace Hopper</a></b></div>
  <div class="list-subjects"><span class="descriptor">Subjects:</span>
    <span class="primary-subject">Computation and Language (cs.CL)</span>; Other (cs.LG)</div>
  <p>The abstract.</p>
</div>"""


def metas(content: bytes | str) -> list[LexborNode]:
    return parse_html(content).css("div.meta")


def assert_same_as_css_first(meta: LexborNode) -> None:
    parts = _meta_parts(meta)
    for selector in _META_PARTS:
        expected = meta.css_first(selector)
        found = parts.first.get(selector)
        assert (found.html if found else None) == (expected.html if expected else None), selector
        if expected is not None and found is not None:
            label, expected_label = parts.descriptor_in(found), expected.css_first(_DESCRIPTOR)
            assert (label.html if label else None) == (
                expected_label.html if expected_label else None
            ), selector
    assert [a.html for a in parts.author_links] == [a.html for a in meta.css(_AUTHOR_LINKS)]


def test_tricky_meta_finds_the_first_node_of_each_part() -> None:
    (meta,) = metas(TRICKY_META)
    assert_same_as_css_first(meta)
    parts = _meta_parts(meta)
    assert parts.first["p"].text() == "inner"  # document order: the comment's <p> comes first
    assert parts.text("div.list-title") == "A title"  # its label sits one level deeper
    assert parts.text("div.list-journal-ref") == "No label here J. Phys."
    assert parts.text("div.list-comments") == "9 pages inner"
    assert [a.text() for a in parts.author_links] == ["Ada  Lovelace", "Grace Hopper"]


@pytest.mark.parametrize(
    "name",
    sorted(
        p.name for p in (Path(__file__).parent.parent / "fixtures" / "arxiv").glob("list_*.html")
    ),
)
def test_fixture_pages(fixtures_dir: Path, name: str) -> None:
    for meta in metas((fixtures_dir / "arxiv" / name).read_bytes()):
        assert_same_as_css_first(meta)


def test_real_pages(shared_data: Path) -> None:
    pages = sorted((shared_data / "pages" / "arxiv_listing").glob("*.html"))
    assert pages
    checked = 0
    for page in pages:
        for meta in metas(page.read_bytes()):
            assert_same_as_css_first(meta)
            checked += 1
    assert checked >= 50 + 72


@pytest.mark.parametrize(
    "dd",
    [
        '<dd><div class="meta">first</div><div class="meta">second</div></dd>',
        '<dd>\n  <!-- c --> <div class="x meta">first</div></dd>',
        '<dd><div class="other"><div class="meta">nested</div></div></dd>',
        '<dd><span class="meta">no</span><div class="meta">yes</div></dd>',
        '<dd><div class="x\x0bmeta">no</div><p><div class="meta">yes</div></p></dd>',
        '<dd><div class="META">no</div></dd>',
        "<dd>only text</dd>",
    ],
)
def test_first_meta_is_what_css_first_finds(dd: str) -> None:
    node = parse_html(f"<dl>{dd}</dl>").css_first("dd")
    assert node is not None
    found, expected = _first_meta(node), node.css_first("div.meta")
    assert (found.mem_id if found else None) == (expected.mem_id if expected else None)
