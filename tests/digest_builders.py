"""Digests for tests: a daily one from (paper, sighting) pairs through the real edition builder,
and a rendered sample shaped like ours (``render_sample``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

from paperpulse.core.models import Paper, Sighting
from paperpulse.digest.edition import DayListing, EditionInputs, build_edition
from paperpulse.digest.models import Digest, RenderedDigest, SourceHealth


def build_daily(
    *,
    list_date: date,
    items: Sequence[tuple[Paper, Sighting]],
    generated_at: datetime,
    previous: Mapping[str, Sighting] | None = None,
    new_ids: Collection[str] = (),
    updated: int = 0,
    health: Sequence[SourceHealth] = (),
    notes: Sequence[str] = (),
) -> Digest:
    """The day's edition as the pipeline would build it from these observations."""
    del new_ids, updated  # derived by the builder from the reader's ledger, as in production
    earlier = previous or {}
    inputs = EditionInputs(
        edition="daily",
        key=list_date.isoformat(),
        title=f"Daily Papers · {list_date:%A %d %B %Y}",
        as_of=generated_at,
        listings=(
            DayListing(
                day=list_date,
                ids=tuple(paper.arxiv_id for paper, _ in items),
                status="complete" if items else "empty",
            ),
        ),
        papers={paper.arxiv_id: paper for paper, _ in items},
        sightings={
            paper.arxiv_id: tuple(s for s in (earlier.get(paper.arxiv_id), sighting) if s)
            for paper, sighting in items
        },
        health=tuple(health),
        notes=tuple(notes),
    )
    return build_edition(inputs)


SECTIONS = ("Language models", "Vision", "Robotics")
STYLE = """
body { font-family: Helvetica, Arial, sans-serif; color: #222222; }
h2.section { font-size: 18px; border-bottom: 1px solid #dddddd; }
a.title { color: #1a0dab; font-weight: bold; text-decoration: none; }
p.abstract { font-size: 13px; line-height: 1.4; margin: 4px 0 12px 0; }
p.more { font-style: italic; }
"""


def _abstract(section: int, paper: int) -> str:
    words = [f"w{(section * 7919 + paper * 104729 + i * 31) % 9973}" for i in range(80)]
    return "We study " + " ".join(words) + "."


def render_sample(papers_per_section: int, cap: int | None) -> RenderedDigest:
    """A digest shaped like ours: sections of papers, capped with a link to the archive."""
    html = [f"<html><head><style>{STYLE}</style></head><body>"]
    text = ["paperpulse daily — 2024-08-01", ""]
    markdown = ["# paperpulse daily — 2024-08-01", ""]
    for s, section in enumerate(SECTIONS):
        shown = papers_per_section if cap is None else min(cap, papers_per_section)
        html.append(f'<h2 class="section">{section}</h2>')
        text += [section, "=" * len(section)]
        markdown += [f"## {section}", ""]
        for p in range(shown):
            url = f"https://arxiv.org/abs/2408.{s:02d}{p:03d}"
            html.append(
                f'<div><a class="title" href="{url}">Paper {s}.{p}</a>'
                f'<p class="abstract">{_abstract(s, p)}</p></div>'
            )
            text += [f"* Paper {s}.{p}", f"  {url}", f"  {_abstract(s, p)}", ""]
            markdown.append(f"- [Paper {s}.{p}]({url})")
        hidden = papers_per_section - shown
        if hidden:
            archive = "https://example.org/archive/2024/08/2024-08-01.md"
            html.append(f'<p class="more"><a href="{archive}">{hidden} more in the archive</a></p>')
            text += [f"{hidden} more in the archive: {archive}", ""]
    html.append("</body></html>")
    return RenderedDigest(
        key="daily/2024-08-01",
        subject="paperpulse daily — 2024-08-01",
        markdown="\n".join(markdown),
        html="".join(html),
        text="\n".join(text),
    )
