"""Escaping filters: examples for each trick, properties over arbitrary text."""

from __future__ import annotations

import re
import string
import unicodedata
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from paperpulse.digest.escaping import (
    TEMPLATE_FILTERS,
    header_safe,
    md_escape,
    one_line,
    printable,
    safe_url,
    truncate,
)

markdown_it = pytest.importorskip("markdown_it")

MUST_BE_ESCAPED = "[]|<>`*_#~&\\"
BACKSLASH_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: any ASCII punctuation
# Text rich in the characters that matter, plus anything else unicode has.
tricky_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            list("[]()|<>`*_#~&!\\-+=.:/ \t\r\n\x00\x0b\x0c\x1b\x7f\u2028\u2029\u202e")
        ),
        st.characters(),
    ),
    max_size=80,
)


def _unescaped(text: str, char: str) -> list[int]:
    """Positions of ``char`` not preceded by an odd number of backslashes."""
    positions = []
    for index, found in enumerate(text):
        if found != char:
            continue
        backslashes = len(text[:index]) - len(text[:index].rstrip("\\"))
        if backslashes % 2 == 0:
            positions.append(index)
    return positions


@given(tricky_text)
@example("[a](javascript:alert(1)) | <img src=x onerror=y> `code`\n# heading")
def test_md_escape_leaves_no_markup_and_no_line_break(text: str) -> None:
    out = md_escape(text)

    for char in "[]|<>`":
        assert _unescaped(out, char) == [], (char, out)
    assert len(out.splitlines()) <= 1 and "\n" not in out and "\r" not in out
    assert not any(unicodedata.category(c) == "Cc" for c in out)


@given(tricky_text)
def test_md_escape_is_lossless_for_the_visible_text(text: str) -> None:
    assert BACKSLASH_ESCAPE.sub(r"\1", md_escape(text)) == one_line(text)


@given(tricky_text)
@example("- item")
@example("12. item")
@example("***")
@example("&amp; &#60;b&#62;")
@example("a  \\")
def test_md_escape_renders_as_plain_text_in_commonmark(text: str) -> None:
    renderer = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    out = md_escape(text)

    tokens = renderer.parse(out)

    if not one_line(text):
        assert tokens == []
        return
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    children = tokens[1].children or []
    assert {child.type for child in children} <= {"text", "text_special"}
    assert "".join(child.content for child in children) == one_line(text)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://arxiv.org/abs/2408.01234", "https://arxiv.org/abs/2408.01234"),
        ("HTTP://Example.org/a?b=c#d", "http://Example.org/a?b=c#d"),
        ("https://en.wikipedia.org/wiki/A_(b)", "https://en.wikipedia.org/wiki/A_%28b%29"),
        ('https://x.org/"><script>', "https://x.org/%22%3E%3Cscript%3E"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("  https://x.org/  ", "https://x.org/"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("\x01javascript:alert(1)", None),
        ("data:text/html;base64,PHNjcmlwdD4=", None),
        ("vbscript:msgbox(1)", None),
        ("file:///etc/passwd", None),
        ("/relative/path", None),
        ("//evil.example.org/x", None),
        ("https:evil.example.org", None),
        ("https://", None),
        ("https://good.org@evil.org/", None),
        ("https://evil.org\\@good.org/", None),
        ("https://x.org/a b", None),
        ("https://x.org/a\nb", None),
        ("https://x.org:99999/", None),
        ("https://a..b/", None),
        ("", None),
    ],
)
def test_safe_url(url: str, expected: str | None) -> None:
    assert safe_url(url) == expected


@given(
    st.one_of(
        st.text(max_size=60),
        st.builds(
            lambda scheme, sep, rest: scheme + sep + rest,
            st.sampled_from(["http", "https", "HTTPS", "javascript", "data", "vbscript", "ftp"]),
            st.sampled_from(["://", ":", ":/", ":\\\\", "://\t", " ://"]),
            st.text(alphabet=string.printable + "\u2028\x00é", max_size=40),
        ),
    )
)
def test_safe_url_only_ever_returns_http_urls_with_a_host(url: str) -> None:
    result = safe_url(url)
    if result is None:
        return
    parts = urlsplit(result)
    assert parts.scheme in ("http", "https")
    assert parts.hostname
    assert not any(c.isspace() or unicodedata.category(c) == "Cc" for c in result)
    assert not set("<>\"'`()") & set(result)


@given(st.text(max_size=200))
def test_header_safe_is_one_clean_line(text: str) -> None:
    out = header_safe(text)
    assert "\r" not in out and "\n" not in out and len(out.splitlines()) <= 1
    assert not any(unicodedata.category(c) == "Cc" for c in out)
    assert out == out.strip()


def test_one_line_collapses_whitespace_and_drops_controls() -> None:
    assert one_line("  A\r\n\tstudy\u2028of\x00 \u202eevil  ") == "A study of evil"


def test_printable_keeps_lines_but_drops_controls_bidi_and_lone_surrogates() -> None:
    assert printable("A\nstudy\x00 of\x1b[31m \u202eevil\ud83d \U0001f680") == (
        "A\nstudy of[31m evil \U0001f680"
    )
    assert one_line("broken \ude80 emoji") == "broken emoji"


def test_safe_url_percent_encodes_exactly_the_link_ending_characters() -> None:
    from urllib.parse import quote

    from paperpulse.digest.escaping import _URL_UNSAFE

    for char in _URL_UNSAFE + "a-._~%:@!$&*+,;=":
        kept = quote(char, safe="") if char in _URL_UNSAFE else char
        assert safe_url(f"https://e.org/p{char}q?x{char}y#f{char}g") == (
            f"https://e.org/p{kept}q?x{kept}y#f{kept}g"
        ), char


def test_safe_url_refuses_exactly_whitespace_and_dropped_characters() -> None:
    from paperpulse.digest.escaping import _is_dropped

    # Whitespace, like every control, surrogate and bidi character, lies in the BMP.
    for code in range(0x10000):
        char = chr(code)
        refused = safe_url(f"https://example.org/a{char}b") is None
        assert refused == (char.isspace() or _is_dropped(char)), hex(code)


def test_printable_drops_exactly_what_is_dropped_everywhere_else() -> None:
    from paperpulse.digest.escaping import _is_dropped

    # Every control, surrogate and bidi character lies in the Basic Multilingual Plane.
    for code in range(0x10000):
        char = chr(code)
        assert (printable(char) == "") == _is_dropped(char), hex(code)


def test_html_output_holds_no_control_bidi_or_surrogate_character() -> None:
    from datetime import UTC, datetime

    from paperpulse.digest.models import Digest, Section
    from paperpulse.digest.render import render

    hostile = "evil\u202etxt.exe\x00\x1b\ud800"
    digest = Digest(
        edition="daily",
        period="2024-08-01",
        title=hostile,
        generated_at=datetime(2024, 8, 1, tzinfo=UTC),
        sections=(Section(title=hostile, note=hostile),),
    )
    html = render(digest, "html")
    assert "eviltxt.exe" in html
    assert not any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n" for c in html)
    assert "\u202e" not in html and html.encode("utf-8")


@given(st.text(max_size=120), st.integers(min_value=1, max_value=100))
def test_truncate_never_exceeds_n_and_keeps_short_text(text: str, n: int) -> None:
    out = truncate(text, n)
    assert len(out) <= n
    if len(text) <= n:
        assert out == text
    else:
        assert out.endswith("…") and text.startswith(out[:-1].rstrip())


def test_truncate_prefers_a_word_boundary() -> None:
    assert truncate("Attention is all you need", 20) == "Attention is all…"
    assert truncate("Supercalifragilistic", 8) == "Superca…"
    with pytest.raises(ValueError, match="at least 1"):
        truncate("x", 0)


def test_template_filters_are_registered_by_name() -> None:
    assert TEMPLATE_FILTERS["md_escape"] is md_escape
    assert TEMPLATE_FILTERS["safe_url"] is safe_url
    assert TEMPLATE_FILTERS["truncate_text"] is truncate
