"""Hostile strings a source could hand us, by what they try to do.

Every one must come out of every output as inert text: escaped, flattened to one line, or (for
link targets) refused. ``HOSTILE`` holds valid Unicode text; byte-level damage (invalid UTF-8,
lone surrogates from JSON escapes) belongs to the parsers and is in ``INVALID_BYTES``.
"""

from __future__ import annotations

HOSTILE: dict[str, str] = {
    # HTML and script injection
    "<script> element": "<script>alert('xss')</script>",
    "<ScRiPt> in mixed case": "<ScRiPt>alert(1)</sCrIpT>",
    "<img onerror>": '<img src=x onerror="alert(1)">',
    "<svg onload>": "<svg/onload=alert(1)>",
    "attribute break-out (double quote)": '" onmouseover="alert(1)" x="',
    "attribute break-out (single quote)": "' onfocus='alert(1)' autofocus='",
    "closing tags": "</a></div></p></title></style></textarea></li><b>bold</b>",
    "<style> block": "<style>body{display:none}</style>",
    "<iframe srcdoc>": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "HTML comment": "<!-- hidden --> visible",
    "CDATA end": "]]><evil/>",
    "entity text": "&lt;script&gt; &amp; &quot; &#x3C;b&#x3E;",
    # URL schemes that run code
    "javascript: URL": "javascript:alert(document.cookie)",
    "javascript: URL, mixed case, leading space": " JaVaScRiPt:alert(1)",
    "javascript: URL split by a tab": "java\tscript:alert(1)",
    "javascript: URL entity-encoded": "&#106;avascript:alert(1)",
    "data: URL": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript: URL": "vbscript:msgbox(1)",
    "credentials in URL": "https://huggingface.co@evil.example/",
    "URL breaking out of Markdown": "https://x.example/a)](javascript:alert(1)",
    # Markdown injection
    "Markdown link to javascript:": "[click me](javascript:alert(1))",
    "Markdown image beacon": "![pixel](https://evil.example/track.png)",
    "Markdown autolink": "<https://evil.example/phish>",
    "Markdown reference link": "[x][1]\n\n[1]: javascript:alert(1)",
    "Markdown table": "| a | b |\n|---|---|\n| <script>x</script> | [y](javascript:z) |",
    "Markdown heading and rule": "\n# Fake heading\n\n---\n",
    "Markdown emphasis, code, strike": "**bold** _it_ `code` ~~strike~~",
    "Markdown code fence": "```\nfenced\n```",
    "Markdown list and quote": "- item\n> quote\n1. one",
    "Markdown leading list marker": "1. looks like a list",
    "Jinja expression": "{{ 7*7 }} {% if true %}x{% endif %}",
    # Header and line injection
    "CRLF header injection": "Hi\r\nBcc: victim@example.org\r\nX-Injected: 1",
    "CRLF body injection": "Hi\r\n\r\n<script>alert(1)</script>",
    "LF + Content-Type": "Hi\nContent-Type: text/html\n\n<b>x</b>",
    "Unicode line separators": "a\u2028b\u2029c\x85d",
    "encoded-word in a header": "=?utf-8?b?QmNjOiB2aWN0aW1AZXhhbXBsZS5vcmc=?=",
    # Invisible and control characters
    "control characters and ANSI escape": "nul\x00 bell\x07 esc\x1b[31m red\x1b[0m del\x7f",
    "bidi override (Trojan Source)": "abc\u202etxt.exe\u202c",
    "zero-width and BOM": "zero\u200bwidth\ufeff",
    "lone surrogate": "half an emoji \ud83d here",
    # Must survive untouched in meaning
    "non-Latin text": "Über 検索 — مرحبا ✓ 🚀",
    "long word (10 kB)": "x" * 10_000,
}

# API bytes a parser must refuse (ParseError) or repair (U+FFFD), never crash on.
INVALID_BYTES: dict[str, bytes] = {
    "invalid UTF-8 byte 0xFF": b"bad \xff byte",
    "overlong UTF-8 '/'": b"overlong \xc0\xaf slash",
    "truncated UTF-8 sequence": b"cut \xe2\x82",
    "UTF-8-encoded surrogate": b"surrogate \xed\xa0\x80 here",
}

# JSON escapes that decode to lone surrogates: valid JSON, invalid Unicode (JavaScript's
# JSON.stringify writes them for a string cut inside an emoji).
SURROGATE_ESCAPES: dict[str, str] = {
    "lone high surrogate escape": "broken \\ud83d emoji",
    "lone low surrogate escape": "broken \\ude80 emoji",
    "reversed surrogate pair escape": "swapped \\ude80\\ud83d",
}

ONE_MEGABYTE = 2**20
