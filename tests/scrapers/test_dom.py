"""parse_html: bytes as fetched and the text they decode to give the same tree."""

from __future__ import annotations

import pytest

from paperpulse.scrapers.dom import parse_html

PAGE = '<div id="x" data-props="{&quot;t&quot;:&quot;Café ∑&quot;}"><p>Łukasz  Kaiser</p></div>'


def outline(content: bytes | str) -> tuple[str | None, str, str]:
    tree = parse_html(content)
    div, para = tree.css_first("#x"), tree.css_first("p")
    assert div is not None and para is not None
    return div.attributes.get("data-props"), para.text(), tree.html or ""


def test_utf8_bytes_parse_like_their_text() -> None:
    assert outline(PAGE.encode("utf-8")) == outline(PAGE)
    assert outline(PAGE)[0] == '{"t":"Café ∑"}'


@pytest.mark.parametrize("bad", [b"\xff\xfe", b"caf\xc3", b"\xed\xa0\x80"])
def test_invalid_utf8_becomes_replacement_characters(bad: bytes) -> None:
    content = PAGE.encode("utf-8").replace(b"Kaiser", b"Kai" + bad + b"ser")
    assert outline(content) == outline(content.decode("utf-8", "replace"))
    assert "\ufffd" in outline(content)[1]
