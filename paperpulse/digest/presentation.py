"""What a reader sees around the papers: links out of a digest, the footer, failures in words.

Pure. The delivery channel knows where the archive is served and how this reader unsubscribes;
it passes that as ``ReaderLinks`` to the renderer, which never invents a URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from paperpulse.core.models import Paper
from paperpulse.digest.escaping import one_line, safe_url
from paperpulse.digest.models import DigestItem, SourceHealth


@dataclass(frozen=True, slots=True, kw_only=True)
class ReaderLinks:
    """Where one rendering of a digest links besides the papers (None: nowhere, say nothing)."""

    digest_url: str | None = None  # this digest in the archive's web view ("more" links)
    archive_url: str | None = None  # the archive's index
    unsubscribe: str | None = None  # the List-Unsubscribe target shown in the footer
    topics: tuple[str, ...] = ()  # the reader's topics; empty: every topic


def archive_links(web_url: str | None, relpath: str, index: str = "README.md") -> ReaderLinks:
    """Links to a digest file and the index under the archive's public web view, if any.

    ``web_url`` is where the archive's files are viewed, e.g.
    ``https://github.com/me/papers/blob/main``; a file's page is ``web_url/relpath``.
    """
    base = safe_url(web_url.rstrip("/")) if web_url else None
    if base is None:
        return ReaderLinks()
    return ReaderLinks(digest_url=f"{base}/{relpath}", archive_url=f"{base}/{index}")


def paper_url(item: DigestItem) -> str:
    """The page the title links to: HF for papers HF listed, arXiv for arXiv-only papers."""
    return item.link


def pdf_url(paper: Paper) -> str:
    return f"https://arxiv.org/pdf/{paper.arxiv_id}"


def author_count(paper: Paper) -> str:
    """ "1 author", "12 authors" (HF's wording); empty when the listing named nobody."""
    n = len(paper.authors)
    return "" if n == 0 else f"{n} author" + ("" if n == 1 else "s")


SOURCE_NAMES = {
    "hf-daily": "Hugging Face Daily Papers",
    "hf-week": "Hugging Face weekly papers",
    "hf-month": "Hugging Face monthly papers",
    "hf-trending": "Hugging Face trending papers",
    "hf-search": "the Hugging Face search",
    "hf-paper": "a Hugging Face paper page",
    "arxiv-listing": "arXiv",
    "arxiv-api": "the arXiv API",
    "arxiv-author": "arXiv papers by",
    "s2-profile": "the Semantic Scholar profile of",
}


def source_label(source: str, period: str | None = None) -> str:
    """A source as a reader names it: "arXiv cs.CL", "Hugging Face Daily Papers"."""
    name = SOURCE_NAMES.get(source, source)
    if period is None:
        return {"arxiv-author": "arXiv author pages", "s2-profile": "Semantic Scholar"}.get(
            source, name
        )
    if source == "hf-trending":
        return name
    if source in ("hf-daily", "hf-week", "hf-month"):
        return f"{name} for {period}"
    if source == "hf-search":
        return f"{name} for “{period}”"
    return f"{name} {period}"


def failure_lines(health: tuple[SourceHealth, ...], edition: str = "daily") -> tuple[str, ...]:
    """One short line per failed listing; the technical detail stays in the run log."""
    when = "today" if edition == "daily" else "this week"
    lines = []
    for h in health:
        if h.status != "failed":
            continue
        for period in h.periods or (None,):
            label = one_line(source_label(h.source, period))
            lines.append(f"{label} could not be fetched {when}; it will be retried.")
    return tuple(dict.fromkeys(lines))
