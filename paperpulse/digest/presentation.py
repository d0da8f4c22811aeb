"""What a reader sees around the papers: links out of a digest, the footer, failures in words.

Pure. The delivery channel knows where the archive is served and how this reader unsubscribes;
it passes that as ``ReaderLinks`` to the renderer, which never invents a URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from paperpulse.core.kinds import Edition, RunStatus, Source
from paperpulse.core.models import Paper
from paperpulse.digest.archive_paths import daily_path
from paperpulse.digest.escaping import one_line, safe_url
from paperpulse.digest.models import DigestItem, PageLink, SourceHealth


@dataclass(frozen=True, slots=True, kw_only=True)
class ReaderLinks:
    """Where one rendering of a digest links besides the papers (None: nowhere, say nothing)."""

    digest_url: str | None = None  # this digest in the archive's web view ("more" links)
    archive_url: str | None = None  # the archive's index
    unsubscribe: str | None = None  # the List-Unsubscribe target shown in the footer
    topics: tuple[str, ...] = ()  # the reader's topics; empty: every topic
    manage: str | None = None  # the reader's signed manage page (topics, editions, pause)
    # Signed one-click feedback per paper: arxiv_id -> {"like": url, "hide": url}.
    feedback: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    paper_pages: str | None = None  # the web's base URL: a paper's page is {paper_pages}/paper/ID


def archive_links(web_url: str | None, relpath: str, index: str = "README.md") -> ReaderLinks:
    """Links to a digest file and the index under the archive's public web view, if any.

    ``web_url`` is where the archive's files are viewed, e.g.
    ``https://github.com/me/papers/blob/main``; a file's page is ``web_url/relpath``.
    """
    base = safe_url(web_url.rstrip("/")) if web_url else None
    if base is None:
        return ReaderLinks()
    return ReaderLinks(digest_url=f"{base}/{relpath}", archive_url=f"{base}/{index}")


@dataclass(frozen=True, slots=True, kw_only=True)
class DayPages:
    """Pages that exist and list every paper of a list date, for "…and N more" (rule 10): the
    archive's file of that date in its web view, else the sources' own day pages (Hugging
    Face's Daily Papers of the date; arXiv's catch-up page of a followed category, which
    arXiv keeps for 90 days). None / empty: that page is not there to link."""

    archive: str | None = None  # ``[archive] web_url``
    archived: frozenset[date] | None = None  # the dates with a file there (None: every date)
    hf: str | None = None  # Hugging Face's base URL, when its Daily Papers are followed
    arxiv: str | None = None  # arXiv's base URL, when categories are followed ...
    categories: tuple[str, ...] = ()  # ... these

    def page(self, item: DigestItem) -> PageLink | None:
        """Where ``item`` is listed with the rest of its day, or None (not linkable)."""
        day = item.listed
        if day is None:
            return None
        if self.archive and (self.archived is None or day in self.archived):
            return PageLink(label=f"{day:%a %d %b} in the archive", url=self.archive_url(day))
        if item.on_hf:
            return self._hf(day)
        paper = item.paper
        category = next(
            (c for c in (paper.primary_category, *paper.categories) if c in self.categories), None
        )
        if category is None or not self.arxiv:
            return None
        return PageLink(
            label=f"arXiv {category}, {day:%a %d %b}",
            url=f"{self.arxiv.rstrip('/')}/catchup/{category}/{day.isoformat()}",
        )

    def _hf(self, day: date) -> PageLink | None:
        if not self.hf:
            return None
        return PageLink(
            label=f"Hugging Face, {day:%a %d %b}",
            url=f"{self.hf.rstrip('/')}/papers/date/{day.isoformat()}",
        )

    def archive_url(self, day: date) -> str:
        return f"{(self.archive or '').rstrip('/')}/{daily_path(day)}"

    def links(self, items: Iterable[DigestItem]) -> tuple[PageLink, ...]:
        """The pages listing ``items`` (each once, by date); an unlinkable item adds none."""
        found = {page.url: page for item in items if (page := self.page(item)) is not None}
        return tuple(found.values())


def line_stat(item: DigestItem) -> str:
    """A one-line link's figures: "▲ 42", "▲ 60 (+42)" for a rising paper, "arXiv cs.CL"."""
    if item.upvotes is None:
        return one_line(f"arXiv {item.paper.primary_category or ''}".strip())
    if item.gain:
        return f"▲ {item.upvotes} ({item.gain:+d})"
    return f"▲ {item.upvotes}"


def paper_url(item: DigestItem) -> str:
    """The page the title links to: HF for papers HF listed, arXiv for arXiv-only papers."""
    return item.link


def pdf_url(paper: Paper) -> str:
    return f"https://arxiv.org/pdf/{paper.arxiv_id}"


def author_count(paper: Paper) -> str:
    """ "1 author", "12 authors" (HF's wording); empty when the listing named nobody."""
    n = len(paper.authors)
    return "" if n == 0 else f"{n} author" + ("" if n == 1 else "s")


SOURCE_NAMES: dict[str, str] = {
    Source.HF_DAILY: "Hugging Face Daily Papers",
    Source.HF_WEEK: "Hugging Face weekly papers",
    Source.HF_MONTH: "Hugging Face monthly papers",
    Source.HF_TRENDING: "Hugging Face trending papers",
    Source.HF_SEARCH: "the Hugging Face search",
    Source.HF_PAPER: "a Hugging Face paper page",
    Source.ARXIV_LISTING: "arXiv",
    Source.ARXIV_API: "the arXiv API",
    Source.ARXIV_AUTHOR: "arXiv papers by",
    Source.S2_PROFILE: "the Semantic Scholar profile of",
}


def source_label(source: str, period: str | None = None) -> str:
    """A source as a reader names it: "arXiv cs.CL", "Hugging Face Daily Papers"."""
    name = SOURCE_NAMES.get(source, source)
    if period is None:
        overall: dict[str, str] = {
            Source.ARXIV_AUTHOR: "arXiv author pages",
            Source.S2_PROFILE: "Semantic Scholar",
        }
        return overall.get(source, name)
    if source == Source.HF_TRENDING:
        return name
    if source in (Source.HF_DAILY, Source.HF_WEEK, Source.HF_MONTH):
        return f"{name} for {period}"
    if source == Source.HF_SEARCH:
        return f"{name} for “{period}”"
    return f"{name} {period}"


def failure_lines(
    health: tuple[SourceHealth, ...], edition: str = Edition.DAILY
) -> tuple[str, ...]:
    """One short line per failed listing; the technical detail stays in the run log."""
    when = "today" if edition == Edition.DAILY else "this week"
    lines = []
    for h in health:
        if h.status != RunStatus.FAILED:
            continue
        for period in h.periods or (None,):
            label = one_line(source_label(h.source, period))
            lines.append(f"{label} could not be fetched {when}; it will be retried.")
    return tuple(dict.fromkeys(lines))
