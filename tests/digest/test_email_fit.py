"""Fitting a digest into one email (docs/digest-semantics.md, rule 10): nothing cut silently.

Every paper of the day reaches the reader as a full card or a one-line link, under the size
limit; only when even one-line links cannot fit are papers cut, into "…and N more" linked to
a page that exists and lists them. Tested on generated days of 0-80 papers (Hypothesis) and
on the busiest real Hugging Face days in ``/work/shared/data`` (skipped when absent).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from paperpulse.core.errors import DeliveryError
from paperpulse.core.kinds import Edition
from paperpulse.core.models import Author, Paper, Sighting
from paperpulse.digest.edition import DayListing, EditionInputs, build_edition, shown_items
from paperpulse.digest.email_fit import (
    Plan,
    apply,
    cut_papers,
    fit,
    ladder,
    line_count,
    stages,
)
from paperpulse.digest.email_message import build_message, message_size
from paperpulse.digest.foryou import ELSEWHERE
from paperpulse.digest.models import Digest, PageLink, Section
from paperpulse.digest.presentation import DayPages, archive_links
from paperpulse.digest.render import render, render_email
from paperpulse.digest.topics import Topic
from tests import real_days
from tests.digest.test_edition import check_snapshot

WEB_URL = "https://github.com/me/papers/blob/main"
HF = "https://huggingface.co"
ARXIV = "https://arxiv.org"
FIRST_DAY = date(2026, 11, 16)  # a Monday
TOPICS = (
    Topic(name="Agents", include=("agent",)),
    Topic(name="Decoding", include=("speculative decoding",)),
)
WORDS = ("model", "data", "training", "reasoning", "vision", "language", "scaling", "robust")


def paper(day: date, n: int, *, theme: str = "", long: bool = True, hf: bool = True) -> Paper:
    """A paper shaped like a 2026 HF listing's: long title, AI summary, abstract, authors."""
    words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(6 + n % 9))
    return Paper(
        arxiv_id=f"2611.{day.day:02d}{n:03d}",
        title=f"{theme} {words} number {n}".strip().capitalize(),
        authors=tuple(Author(name=f"Author {n}-{k} Lastname") for k in range(1 + n % 12)),
        abstract=("We study a hard problem and show a large gain. " * (12 if long else 2)),
        ai_summary=f"Paper {n} improves {words} with a simple method." if hf and long else None,
        list_date=day,
        primary_category="cs.CL",
        organization="Example Lab" if n % 3 == 0 else None,
        github_repo=f"https://github.com/example/repo-{n}" if n % 4 == 0 else None,
    )


def sighting(p: Paper, at: datetime, upvotes: int, source: str = "hf-daily") -> Sighting:
    return Sighting(
        arxiv_id=p.arxiv_id,
        source=source,
        period=p.list_date.isoformat() if p.list_date else "",
        run_id=1,
        observed_at=at,
        rank=1,
        upvotes=upvotes if source == "hf-daily" else None,
        comments=2 if source == "hf-daily" else None,
    )


def inputs(
    sizes: Sequence[int],
    *,
    themes: Sequence[str] = (),
    rising: int = 0,
    topics: tuple[Topic, ...] = TOPICS,
    arxiv_only: int = 0,
) -> EditionInputs:
    """An edition of ``len(sizes)`` list dates from FIRST_DAY with those many papers each
    (``themes`` cycled into titles so that topics match), ``rising`` papers of earlier dates
    that gained 20-40 upvotes, and the first ``arxiv_only`` papers of each day from arXiv."""
    days = [FIRST_DAY + timedelta(days=k) for k in range(len(sizes))]
    as_of = datetime.combine(days[-1] + timedelta(days=1), time(6), UTC)
    papers: dict[str, Paper] = {}
    sightings: dict[str, tuple[Sighting, ...]] = {}
    listings = []
    for day, size in zip(days, sizes, strict=True):
        ids = []
        for n in range(size):
            theme = themes[n % len(themes)] if themes else ""
            hf = n >= arxiv_only
            p = paper(day, n, theme=theme, hf=hf)
            papers[p.arxiv_id] = p
            at = datetime.combine(day, time(9), UTC)
            source = "hf-daily" if hf else "arxiv-listing"
            sightings[p.arxiv_id] = (sighting(p, at, 5 + (n * 37) % 90, source),)
            ids.append(p.arxiv_id)
        listings.append(DayListing(day=day, ids=tuple(ids), status="complete" if ids else "empty"))
    pool = []
    earlier = FIRST_DAY - timedelta(days=2)
    for n in range(rising):
        p = paper(earlier, 500 + n)
        papers[p.arxiv_id] = p
        first = datetime.combine(earlier, time(9), UTC)
        sightings[p.arxiv_id] = (sighting(p, first, 10), sighting(p, as_of, 30 + n))
        pool.append(p.arxiv_id)
    return EditionInputs(
        edition=Edition.DAILY,
        key=days[-1].isoformat(),
        title="Daily Papers",
        as_of=as_of,
        listings=tuple(listings),
        papers=papers,
        sightings=sightings,
        rising_pool=tuple(pool),
        topics=topics,
    )


def compose(digest: Digest, links: bool = True) -> EmailMessage:
    reader = archive_links(WEB_URL, f"{digest.days[0]:%Y/%m/%Y-%m-%d}.md") if links else None
    return build_message(
        render_email(digest, reader),
        sender="paperpulse <digest@example.org>",
        recipient="ada@example.org",
        list_id="daily.paperpulse.example.org",
        unsubscribe="https://example.org/unsubscribe",
        message_id_domain="example.org",
        date=datetime(2026, 11, 21, 6, tzinfo=UTC),
    )


def fitted(
    digest: Digest, limit: int = 100_000, pages: DayPages | None = None
) -> tuple[Digest, EmailMessage]:
    return fit(
        digest,
        limit=limit,
        pages=pages or DayPages(archive=WEB_URL),
        build=compose,
        size=message_size,
    )


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def shown_ids(html: str) -> set[str]:
    return set(
        re.findall(r'href="https://(?:huggingface\.co/papers|arxiv\.org/abs)/([\d.]+)"', html)
    )


def ids_of(digest: Digest) -> set[str]:
    return {item.paper.arxiv_id for s in digest.sections for item in s.items}


def by_kind(digest: Digest, kind: str) -> list[Section]:
    return [s for s in digest.sections if s.kind == kind]


# --- the steps ----------------------------------------------------------------------------


def test_a_day_that_fits_stays_all_cards_in_one_render() -> None:
    digest = build_edition(inputs([12], themes=("Agent",), rising=2))
    renders: list[Digest] = []

    def build(d: Digest) -> EmailMessage:
        renders.append(d)
        return compose(d)

    shown, message = fit(
        digest, limit=100_000, pages=DayPages(archive=WEB_URL), build=build, size=message_size
    )
    assert len(renders) == 1 and shown == digest
    assert all(s.cards is None and s.cut == 0 for s in shown.sections)
    assert "<li>" not in html_of(message)


def test_the_days_papers_become_lines_first_then_rising_topics_for_you_and_cuts_come_last() -> None:
    digest = build_edition(inputs([60, 40], themes=("Agent", "", ""), rising=6))
    for_you = Section(title="For you", kind="for_you", items=digest.sections[0].items[:2])
    digest = replace(digest, sections=(for_you, *digest.sections))
    plans = ladder(digest, DayPages(archive=WEB_URL))
    kinds = [s.kind for s in digest.sections]

    def first(test: object) -> int:
        return next(i for i, p in enumerate(plans) if test(p))  # type: ignore[operator]

    def lines(kind: str) -> object:
        return lambda p: any(
            c is not None for c, k in zip(p.cards, kinds, strict=True) if k == kind
        )

    def cuts(kind: str) -> object:
        return lambda p: any(c is not None for c, k in zip(p.kept, kinds, strict=True) if k == kind)

    order = [
        first(lines("day")),
        first(lines("rising")),
        first(lines("topic")),
        first(lines("for_you")),
        first(cuts("day")),
        first(cuts("topic")),
        first(cuts("rising")),
    ]
    assert order == sorted(order) and len(set(order)) == len(order)
    assert not any(first_kept is not None for p in plans for first_kept in p.kept[:1])  # For you
    # Within a stage each step is smaller than the one before (the search relies on it).
    for stage in stages(digest, DayPages(archive=WEB_URL)):
        sizes = [message_size(compose(apply(digest, p, DayPages(archive=WEB_URL)))) for p in stage]
        assert all(a > b for a, b in itertools.pairwise(sizes)), sizes


def test_a_busy_day_keeps_its_top_papers_as_cards_and_the_rest_as_lines() -> None:
    digest = build_edition(inputs([80], themes=("Agent", "", "", "")))
    shown, message = fitted(digest)
    (day,) = by_kind(shown, "day")
    assert 0 < len(day.card_items) < len(day.items) and day.cut == 0
    assert all(s.cards is None for s in by_kind(shown, "topic"))  # the topics stay cards
    html = html_of(message)
    assert shown_ids(html) == ids_of(digest) and html.count("<li>") == len(day.line_items)
    assert "80 papers · 80 new · 0 rising" in html
    assert len(shown_items(shown)) == 80  # a line reached the reader: it counts as shown


def test_a_cut_links_each_papers_own_day_and_the_ledger_leaves_it_unseen() -> None:
    digest = build_edition(inputs([80, 80, 80], themes=("", "", "Agent")))
    shown, message = fitted(digest, limit=40_000)
    html, text = html_of(message), text_of(message)
    assert message_size(message) <= 40_000
    cut = cut_papers(shown)
    assert cut > 0
    visible = shown_ids(html)
    assert len(visible) + cut == 240
    assert {i for i, _, _ in shown_items(shown)} == visible  # cut papers stay unseen
    assert f"{len(visible)} papers · {len(visible)} new" in html  # rule 6: what is shown
    for section in shown.sections:
        if section.cut:
            days = {i.listed for i in digest_section(digest, section.title).items} - {
                i.listed for i in section.items
            }
            urls = {f"{WEB_URL}/{d:%Y/%m/%Y-%m-%d}.md" for d in days if d}
            assert {link.url for link in section.cut_links} >= urls
            cut_line = f"and {section.cut} more, no room in this email:"
            assert f"…{cut_line}" in html and f"...{cut_line}" in text
            for link in section.cut_links:
                assert f'href="{link.url}"' in html and f"  {link.label}: {link.url}" in text


def digest_section(digest: Digest, title: str) -> Section:
    return next(s for s in digest.sections if s.title == title)


def test_without_a_web_view_a_cut_links_the_sources_own_day_pages() -> None:
    digest = build_edition(inputs([80], arxiv_only=40, topics=()))
    pages = DayPages(hf=HF, arxiv=ARXIV, categories=("cs.CL",))
    shown, _ = fitted(digest, limit=25_000, pages=pages)
    (day,) = by_kind(shown, "day")
    assert day.cut > 0
    urls = {link.url for link in day.cut_links}
    cut = [i for i in digest_section(digest, day.title).items if i not in day.items]
    expected = set()
    if any(i.on_hf for i in cut):
        expected.add(f"{HF}/papers/date/2026-11-16")
    if any(not i.on_hf for i in cut):
        expected.add(f"{ARXIV}/catchup/cs.CL/2026-11-16")
    assert urls == expected
    # A date the archive has no file for (never delivered to it) links the source's page.
    item = next(i for i in digest.sections[0].items if i.on_hf)
    elsewhere = DayPages(archive=WEB_URL, archived=frozenset(), hf=HF)
    assert (
        elsewhere.links([item])
        == pages.links([item])
        == (PageLink(label="Hugging Face, Mon 16 Nov", url=f"{HF}/papers/date/2026-11-16"),)
    )
    archived = DayPages(archive=WEB_URL, archived=frozenset({FIRST_DAY}), hf=HF)
    assert archived.links([item])[0].url == f"{WEB_URL}/2026/11/2026-11-16.md"
    # No page for an arXiv paper of an unfollowed category: its section is never cut.
    nowhere = DayPages(hf=HF)
    assert all(p.kept == (None,) for p in ladder(digest, nowhere))
    with pytest.raises(DeliveryError, match=r"max_bytes = 25000; raise max_bytes"):
        fitted(digest, limit=25_000, pages=nowhere)


def test_for_you_says_how_many_of_its_other_papers_are_still_below() -> None:
    digest = build_edition(inputs([80], topics=()))
    (day,) = digest.sections
    others = tuple(i.paper.arxiv_id for i in day.items[-5:])  # the day's least upvoted
    for_you = Section(
        title="For you",
        kind="for_you",
        items=day.items[:1],
        more=5,
        more_says=ELSEWHERE,
        elsewhere=others,
    )
    digest = replace(digest, sections=(for_you, replace(day, items=day.items[1:])))
    assert f"…and 5 more {ELSEWHERE}." in render(digest, "md")
    shown, message = fitted(digest, limit=25_000)
    (cut_day,) = by_kind(shown, "day")
    assert cut_day.cut >= 5  # the least upvoted went first
    assert by_kind(shown, "for_you")[0].more == 0
    assert ELSEWHERE not in html_of(message)  # nothing below to point to: not said


# --- the property -------------------------------------------------------------------------


@st.composite
def editions(draw: st.DrawFn) -> tuple[EditionInputs, int, bool]:
    days = draw(st.lists(st.integers(0, 80), min_size=1, max_size=3))
    themes = draw(st.lists(st.sampled_from(["Agent", "Speculative decoding", ""]), max_size=4))
    chosen = draw(st.lists(st.sampled_from(TOPICS), unique=True, max_size=2))
    made = inputs(
        days,
        themes=themes,
        rising=draw(st.integers(0, 12)),
        topics=tuple(chosen),
        arxiv_only=draw(st.integers(0, 10)),
    )
    return made, draw(st.sampled_from([20_000, 35_000, 60_000, 100_000])), draw(st.booleans())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(editions())
def test_every_paper_of_the_day_is_a_card_or_a_line_unless_linked_behind_more(
    drawn: tuple[EditionInputs, int, bool],
) -> None:
    made, limit, web_view = drawn
    digest = build_edition(made)
    pages = (
        DayPages(archive=WEB_URL)
        if web_view
        else DayPages(hf=HF, arxiv=ARXIV, categories=("cs.CL",))
    )
    try:
        shown, message = fitted(digest, limit=limit, pages=pages)
        event("cut" if cut_papers(shown) else "lines" if line_count(shown.sections) else "cards")
    except DeliveryError:
        event("too large")
        # Only when even the smallest step is over: the cards that are never cut (topics'
        # rising's and For you's one-line links are cut last; a 20 KB limit with 3 days).
        floor = apply(digest, ladder(digest, pages)[-1], pages)
        assert message_size(compose(floor)) > limit
        return
    assert message_size(message) <= limit
    html = html_of(message)
    visible = shown_ids(html)
    of_the_day = {i for listing in made.listings for i in listing.ids}
    missing = of_the_day - visible
    assert len(missing) == cut_papers(shown) - sum(
        s.cut for s in shown.sections if s.kind == "rising"
    )
    if missing:
        existing = {
            (f"{WEB_URL}/{d:%Y/%m/%Y-%m-%d}.md" if web_view else f"{HF}/papers/date/{d}")
            for d in (listing.day for listing in made.listings)
        } | {f"{ARXIV}/catchup/cs.CL/{listing.day}" for listing in made.listings}
        for section in shown.sections:
            if section.cut:
                links = {link.url for link in section.cut_links}
                assert links and links <= existing
                assert all(f'href="{url}"' in html for url in links)
        for arxiv_id in missing:  # its own day's page is linked
            day = made.papers[arxiv_id].list_date
            assert any(
                str(day) in link.url or f"{day:%Y/%m/%Y-%m-%d}" in link.url
                for s in shown.sections
                for link in s.cut_links
            )
    # Header counts and the reader's ledger are exactly what is visible.
    assert shown.paper_count == len(visible)
    assert {i for i, _, _ in shown_items(shown)} == visible
    assert f"{shown.paper_count} paper" in html


# --- snapshots ----------------------------------------------------------------------------


def email_digest() -> Digest:
    """A reader's email of a busy day: For you (one of it rising), a topic, Rising, the day
    as cards and one-line links, and a cut behind the sources' day pages."""
    made = inputs([40], themes=("Agent", "", "", "", ""), rising=3, topics=TOPICS[:1])
    digest = build_edition(made)
    rising = by_kind(digest, "rising")[0]
    top = replace(
        rising.items[0],
        reason=f"{rising.items[0].reason} · close to “Agents at scale” in your library",
    )
    for_you = Section(
        title="For you",
        kind="for_you",
        items=(top,),
        more=1,
        more_says=ELSEWHERE,
        elsewhere=(rising.items[1].paper.arxiv_id,),
    )
    rest = tuple(
        replace(s, items=s.items[1:]) if s.kind == "rising" else s for s in digest.sections
    )
    return replace(digest, sections=(for_you, *rest))


@pytest.mark.parametrize("fmt", ["md", "txt", "html"])
def test_snapshot_of_an_email_with_cards_lines_and_a_cut(fmt: str, fixtures_dir: Path) -> None:
    digest = email_digest()
    pages = DayPages(hf=HF, arxiv=ARXIV, categories=("cs.CL",))
    # The day's top 3 as cards, the rest as lines, its last 5 cut; the rest as built.
    day = [s.kind == "day" for s in digest.sections]
    size = len(digest.sections[day.index(True)].items)
    chosen = Plan(
        cards=tuple(3 if d else None for d in day), kept=tuple(size - 5 if d else None for d in day)
    )
    shown = apply(digest, chosen, pages)
    check_snapshot(f"email_2026-11-16.{fmt}", render(shown, fmt), fixtures_dir)


# --- real days ----------------------------------------------------------------------------

real = pytest.mark.skipif(
    not real_days.available(), reason=f"{real_days.DATA} not present (shared real data)"
)


@real
@pytest.mark.parametrize("days", [pytest.param(real_days.CATCH_UP, id="catch-up-week")], ids=str)
def test_a_real_catch_up_week_cuts_no_paper(days: tuple[date, ...]) -> None:
    check_real(days)


@real
def test_the_busiest_real_days_cut_no_paper() -> None:
    busy = real_days.busy_days()
    assert len(busy) >= 10
    for day in busy:
        check_real((day,))


def check_real(days: tuple[date, ...]) -> None:
    digest = real_days.real_digest(days)
    shown, message = fitted(digest, pages=DayPages(archive=WEB_URL, hf=HF))
    listed = real_days.listed_ids(days)
    assert message_size(message) <= 100_000
    assert cut_papers(shown) == 0
    assert shown_ids(html_of(message)) == listed, days
