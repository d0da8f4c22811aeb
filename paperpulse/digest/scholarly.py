"""News about a reader's own papers, as digest sections (pure): "Cites your work" and "Now
published", and TL;DRs laid onto a digest's items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from paperpulse.core.scholarly import CitingPaper, VenueNews
from paperpulse.digest.models import Digest, Notice, Section

CITES_TITLE = "Cites your work"
VENUE_TITLE = "Now published"
FOR_YOU_TITLE = "For you"
MAX_NAMED = 3  # the reader's papers named on one line ("cites A, B, C and 2 more")


def cites_line(cites: Sequence[str]) -> str:
    named = [f"“{t}”" for t in cites[:MAX_NAMED]]
    more = len(cites) - len(named)
    if more:
        return f"cites {', '.join(named)} and {more} more of yours"
    if len(named) > 1:
        return f"cites {', '.join(named[:-1])} and {named[-1]}"
    return f"cites {named[0]}" if named else "cites your work"


def scholarly_sections(
    citing: Sequence[CitingPaper], published: Sequence[VenueNews], *, cap: int
) -> tuple[tuple[Section, ...], tuple[tuple[str, str], ...]]:
    """The two sections (each only when it has news) and what they announce. Past ``cap``
    lines the rest wait for the next digest: they are not announced yet."""
    cites = [
        (
            ("cites", p.key),
            Notice(
                title=p.title,
                url=p.url,
                detail=" · ".join(
                    x for x in (p.venue, str(p.year) if p.year else "", cites_line(p.cites)) if x
                ),
            ),
        )
        for p in citing
    ]
    venues = [
        (("venue", n.key), Notice(title=n.title, url=n.url, detail=f"now published at {n.venue}"))
        for n in published
    ]
    sections: list[Section] = []
    told: list[tuple[str, str]] = []
    for title, news in ((CITES_TITLE, cites), (VENUE_TITLE, venues)):
        if news:
            more = len(news) - cap
            sections.append(
                Section(
                    title=title,
                    notices=tuple(notice for _, notice in news[:cap]),
                    note=f"{more} more in the next digest" if more > 0 else None,
                )
            )
            told += [what for what, _ in news[:cap]]
    return tuple(sections), tuple(told)


def with_scholarly(
    digest: Digest, sections: Sequence[Section], told: Sequence[tuple[str, str]]
) -> Digest:
    """The digest with the sections after "For you" (or first), and their announcements."""
    if not sections:
        return digest
    existing = list(digest.sections)
    at = next((i + 1 for i, s in enumerate(existing) if s.title == FOR_YOU_TITLE), 0)
    return replace(
        digest,
        sections=(*existing[:at], *sections, *existing[at:]),
        announcements=(*digest.announcements, *told),
    )


def with_summaries(digest: Digest, summaries: Mapping[str, tuple[str, str | None]]) -> Digest:
    """Each item whose paper has a summary ({arxiv_id: (tldr, translated title)}) carries it."""
    if not summaries:
        return digest
    sections = []
    for section in digest.sections:
        items = tuple(
            replace(item, tldr=found[0], translated_title=found[1])
            if (found := summaries.get(item.paper.arxiv_id))
            else item
            for item in section.items
        )
        sections.append(replace(section, items=items))
    return replace(digest, sections=tuple(sections))
