"""A digest shaped like a busy day, with the awkward cases a reader's screen meets (tests only):
a 120-character word in a title (a card's and a one-line link's), a long URL in a failed
source's error, an arXiv-only paper, one upvote, as many papers of the day as asked, and a
reader with two topics."""

from __future__ import annotations

from datetime import UTC, datetime

from paperpulse.core.models import Author, Paper
from paperpulse.digest.models import Digest, DigestItem, Section, SourceHealth
from paperpulse.digest.presentation import ReaderLinks, archive_links

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
WEB_URL = "https://github.com/example/papers/blob/main"
UNSUBSCRIBE = "https://example.org/unsubscribe?list=daily&reader=r-7f3a"
LONG_WORD = "Supercalifragilistic" * 6
LONG_URL = "https://export.arxiv.org/api/query?search_query=" + "cat:cs.CL+OR+" * 30 + "x"
ERROR = f"cs.CL: ConnectError [Errno -2] Name or service not known while fetching {LONG_URL}"


def paper(n: int, *, authors: int = 4, hf: bool = True, title: str | None = None) -> Paper:
    return Paper(
        arxiv_id=f"2611.{n:05d}",
        title=title or f"Scaling test-time compute for model number {n} with tree search",
        authors=tuple(Author(name=f"Author {n}-{k} Lastname") for k in range(authors)),
        abstract=f"We study problem {n}. " + "It matters because it is hard. " * 6,
        ai_summary=f"Paper {n} makes decoding faster with drafts." if hf else None,
        organization="Example Lab" if n % 2 else None,
        github_repo=f"https://github.com/example/repo-{n}" if n % 3 == 0 else None,
    )


def item(n: int, **kwargs: object) -> DigestItem:
    upvotes = 1 if n == 1 else max(2, 100 - n)
    return DigestItem(
        paper=paper(n, **kwargs),  # type: ignore[arg-type]
        upvotes=None if kwargs.get("hf") is False else upvotes,
        gain=3 if n % 2 else None,
        comments=n % 4,
        is_new=n % 2 == 0,
        reason=f"+{upvotes} upvote{'' if upvotes == 1 else 's'} since listed" if n % 5 else None,
        sparkline="▁▃▅█" if n % 3 else None,
        on_hf=kwargs.get("hf") is not False,
        listed=NOW.date(),
    )


def sample_digest(day_papers: int = 30) -> Digest:
    """Topics, then the day's papers (the 26th with a title no phone fits on one line)."""
    llm = (
        item(1),
        item(2, title=f"A {LONG_WORD} title that no phone can fit on one line"),
        item(3, authors=1),
        item(4, hf=False),  # arXiv only: the title links to arXiv
    )
    return Digest(
        edition="daily",
        period="2026-11-20",
        title="Daily Papers · Friday 20 November 2026",
        generated_at=NOW,
        sections=(
            Section(title="Language models", kind="topic", items=llm),
            Section(
                title="Robotics", kind="topic", note="Nothing matched this topic in this window."
            ),
            Section(
                title="Papers of the day",
                kind="day",
                items=tuple(
                    item(n, title=f"Long {LONG_WORD} in a one-line link" if n == 35 else None)
                    for n in range(10, 10 + day_papers)
                ),
            ),
        ),
        health=(
            SourceHealth(source="hf-daily", status="complete", fetched=50),
            SourceHealth(source="arxiv-listing", status="failed", error=ERROR, periods=("cs.CL",)),
        ),
        notes=("Hugging Face lists papers through the US morning; this is the list at 18:00.",),
    )


def reader_links(topics: tuple[str, ...] = ("Language models", "Robotics")) -> ReaderLinks:
    links = archive_links(WEB_URL, "2026/11/2026-11-20.md")
    return ReaderLinks(
        digest_url=links.digest_url,
        archive_url=links.archive_url,
        unsubscribe=UNSUBSCRIBE,
        topics=topics,
    )
