"""One way into an HTML tree for every page parser."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser


def parse_html(content: bytes | str) -> LexborHTMLParser:
    """Parse a page given as fetched (bytes) or as text; bytes that are not UTF-8 are decoded
    with replacement characters first, so every page parses the same way."""
    if isinstance(content, bytes):
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return LexborHTMLParser(content.decode("utf-8", "replace"))
        # Valid UTF-8 goes to lexbor as is: handing it a str makes selectolax encode the whole
        # page back to UTF-8, which cost a fifth of a Daily Papers parse (bench.parse).
        return LexborHTMLParser(content)
    return LexborHTMLParser(content)
