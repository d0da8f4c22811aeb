"""Placeholder escaping filters (replaced by the delivery branch's full version)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")


def one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def md_escape(text: str | None) -> str:
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


def header_safe(text: str | None) -> str:
    return one_line(text)


def safe_url(url: str | None) -> str | None:
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None
