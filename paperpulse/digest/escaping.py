"""Make untrusted text (titles, abstracts, author names, URLs) safe for one output context.

Every string that reaches a digest came from a third-party page, so each output context gets
its own filter: Markdown inline text (``md_escape``), link targets (``safe_url``), mail headers
(``header_safe``). ``TEMPLATE_FILTERS`` registers them with Jinja under these names; the
built-in ``truncate`` filter is left alone, ours is ``truncate_text``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

# Bidi overrides/isolates reorder what a reader sees ("Trojan Source"); titles never need them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_WHITESPACE_RUN = re.compile(r"\s+")
_ENCODED_WORD_BREAK = "=\u2060?"
# ASCII punctuation that can start inline markup: links/images ([]), emphasis (*_), code (`),
# raw HTML and autolinks (<>), table cells (|), headings (#), strikethrough (~), entities (&).
# "(", ")" and "!" only matter next to "[" or "]", which are always escaped, so titles such as
# "Foo (ICLR 2024)" stay readable in the raw archive.
_MD_SPECIAL = frozenset("\\`*_[]<>#|~&")
_MD_ESCAPES = str.maketrans({char: "\\" + char for char in _MD_SPECIAL})
# A line that starts like a list item, heading underline or ordered list would become a block.
_MD_BLOCK_START = re.compile(r"^(?:[-+=]|\d{1,9}[.)])")
_URL_SCHEMES = frozenset({"http", "https"})
# Characters legal in a URL but that end a Markdown link target or an unquoted attribute.
_URL_UNSAFE = "()<>\"'`\\[]{}|^"


def _is_dropped(char: str) -> bool:
    """Control characters (except whitespace, which is collapsed), bidi controls, and lone
    surrogates (a JSON escape can decode to one; no UTF-8 output can hold it)."""
    category = unicodedata.category(char)
    return (category == "Cc" and not char.isspace()) or category == "Cs" or char in _BIDI_CONTROLS


# Exactly the characters ``_is_dropped`` names (a test checks every code point): a regex keeps
# a megabyte title fast, where a per-character loop took seconds.
_DROPPED = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]"
)


# A URL holding whitespace (``\s`` is ``str.isspace``) or a dropped character is refused.
_URL_REFUSED = re.compile(r"\s|" + _DROPPED.pattern)
_URL_QUOTED = re.compile("[" + re.escape(_URL_UNSAFE) + "]")


def printable(text: str) -> str:
    """``text`` without control characters (whitespace kept), bidi controls or lone surrogates."""
    return _DROPPED.sub("", text)


def one_line(text: str) -> str:
    """Collapse every run of whitespace (newlines, tabs, U+2028...) to one space; drop controls."""
    return _WHITESPACE_RUN.sub(" ", printable(text)).strip()


def header_safe(text: str) -> str:
    """One line fit for a mail header value: no CR/LF, no control characters, no edge spaces,
    and no RFC 2047 encoded-word.

    Python's email package decodes an encoded-word it finds in a header value it is given
    ("=?utf-8?b?...?=") and, before CPython 3.11.10 (CVE-2024-6923), writes the decoded text,
    CR/LF included, verbatim: a paper title could add headers or replace the body. A word
    joiner (U+2060, invisible) after each "=" of "=?" keeps the text as it reads while no
    encoded-word can start. Folding long values is the email library's job.
    """
    return one_line(text).replace("=?", _ENCODED_WORD_BREAK)


def truncate(text: str, n: int) -> str:
    """At most ``n`` characters; a cut text ends in "…", at a word boundary when one is near."""
    if n < 1:
        raise ValueError(f"truncate needs a length of at least 1, got {n}")
    if len(text) <= n:
        return text
    cut = text[: n - 1]
    space = cut.rfind(" ")
    # Prefer whole words, but not at the price of losing more than a fifth of the room.
    if space >= (n - 1) * 4 // 5:
        cut = cut[:space]
    return cut.rstrip() + "…"


def md_escape(text: str) -> str:
    """Text safe to place inline in Markdown: one line, every markup character escaped.

    The result renders as exactly the input text (after ``one_line``) in any CommonMark
    renderer: no links, emphasis, code spans, raw HTML, table cells or headings can appear.
    """
    flat = one_line(text)
    escaped = flat.translate(_MD_ESCAPES)
    block_marker = _MD_BLOCK_START.match(escaped)
    if block_marker:
        # Escape the marker's last character: "\-", "1\.", "\=".
        end = block_marker.end()
        escaped = escaped[: end - 1] + "\\" + escaped[end - 1 :]
    return escaped


def safe_url(url: str) -> str | None:
    """The URL if it is an absolute http(s) URL with a host, made safe to embed; else None.

    Rejects other schemes (javascript:, data:, vbscript:, file:), relative URLs, credentials in
    the authority (``https://good.com@evil.com``), and any whitespace or control character inside
    (browsers drop tabs/newlines, so ``java\\tscript:`` would run). Characters that could end a
    Markdown link or an HTML attribute are percent-encoded.
    """
    candidate = url.strip(" ")
    if not candidate or _URL_REFUSED.search(candidate):
        return None
    try:
        parts = urlsplit(candidate)
        hostname = parts.hostname
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in _URL_SCHEMES or not hostname:
        return None
    if "@" in parts.netloc or "\\" in parts.netloc or not _is_host(hostname):
        return None
    return urlunsplit(
        (
            parts.scheme.lower(),
            parts.netloc,
            _quote_unsafe(parts.path),
            _quote_unsafe(parts.query),
            _quote_unsafe(parts.fragment),
        )
    )


def _is_host(hostname: str) -> bool:
    if ":" in hostname:  # an IPv6 literal; urlsplit has already checked the brackets
        return all(char in "0123456789abcdefABCDEF:." for char in hostname)
    if not all(char.isalnum() or char in "-._" for char in hostname):
        return False
    try:
        hostname.encode("idna")  # label lengths, no empty labels
    except UnicodeError:
        return False
    return not hostname.startswith(".")


def _quote_unsafe(component: str) -> str:
    return _URL_QUOTED.sub(_percent_encoded, component)


def _percent_encoded(match: re.Match[str]) -> str:
    return quote(match.group(), safe="")


TEMPLATE_FILTERS: Mapping[str, Callable[..., Any]] = {
    "md_escape": md_escape,
    "safe_url": safe_url,
    "header_safe": header_safe,
    "one_line": one_line,
    "printable": printable,
    "truncate_text": truncate,
}
