"""Editions for one reader: papers of the day, new, rising, counts, notes (pure, no database).

Rendered snapshots live in tests/fixtures/snapshots; after an intended template change refresh
them with ``PAPERPULSE_UPDATE_SNAPSHOTS=1 pytest tests/digest`` and review the diff.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from paperpulse.core.models import Author, AuthorProfile, Paper, Sighting
from paperpulse.digest.edition import (
    RISING,
    AuthorNews,
    Caps,
    DayListing,
    EditionInputs,
    Seen,
    build_edition,
    shown_items,
    weekend_note,
)
from paperpulse.digest.email_fit import Plan, apply
from paperpulse.digest.models import SourceHealth
from paperpulse.digest.presentation import DayPages
from paperpulse.digest.render import authors_short, render, render_all
from paperpulse.digest.topics import Topic
from paperpulse.scrapers import hf_daily

DAY = date(2026, 11, 20)
T1 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)  # first observation of the day's list
T2 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)  # the digest's moment, upvotes grown
EARLIER = date(2026, 11, 18)


def seen(
    paper: Paper,
    run_id: int,
    at: datetime,
    upvotes: int,
    rank: int,
    comments: int = 1,
    stars: int | None = None,
    period: str = "2026-11-20",
) -> Sighting:
    return Sighting(
        arxiv_id=paper.arxiv_id,
        source="hf-daily",
        period=period,
        run_id=run_id,
        observed_at=at,
        rank=rank,
        upvotes=upvotes,
        comments=comments,
        stars=stars,
    )


def fixture_papers(fixtures_dir: Path) -> tuple[Paper, Paper]:
    listing = hf_daily.parse_any(
        (fixtures_dir / "hf" / "daily_2026.json").read_bytes(),
        url="u",
        requested_date=DAY,
        fetched_at=T1,
    )
    return listing.papers[0], listing.papers[1]


def old_paper(n: int = 1) -> Paper:
    return Paper(
        arxiv_id=f"2611.0050{n}",
        title=f"An earlier paper number {n}",
        list_date=EARLIER,
        abstract="Earlier.",
    )


def fixture_inputs(fixtures_dir: Path, **changes: object) -> EditionInputs:
    """The day's two papers seen twice (upvotes 30 → 42 and 7 → 7) and one paper of 18 Nov
    that went from 20 to 55 upvotes."""
    spec, small = fixture_papers(fixtures_dir)
    old = old_paper()
    sightings = {
        spec.arxiv_id: (
            seen(spec, 1, T1, 30, 1, comments=3, stars=120),
            seen(spec, 2, T2, 42, 1, comments=3, stars=120),
        ),
        small.arxiv_id: (
            seen(small, 1, T1, 7, 2, comments=0),
            seen(small, 2, T2, 7, 2, comments=0),
        ),
        old.arxiv_id: (
            seen(old, 0, T1 - timedelta(days=2), 20, 3, period="2026-11-18"),
            seen(old, 2, T2, 55, 3, period="2026-11-18"),
        ),
    }
    values: dict[str, object] = dict(
        edition="daily",
        key=DAY.isoformat(),
        title=f"Daily Papers · {DAY:%A %d %B %Y}",
        as_of=T2,
        listings=(DayListing(day=DAY, ids=(spec.arxiv_id, small.arxiv_id)),),
        papers={p.arxiv_id: p for p in (spec, small, old)},
        sightings=sightings,
        rising_pool=(old.arxiv_id,),
        health=(SourceHealth(source="hf-daily", status="complete", fetched=2),),
    )
    values.update(changes)
    return EditionInputs(**values)  # type: ignore[arg-type]


def ids(section: object) -> list[str]:
    return [i.paper.arxiv_id for i in section.items]  # type: ignore[attr-defined]


def section(digest: object, title: str) -> object:
    return next(s for s in digest.sections if s.title == title)  # type: ignore[attr-defined]


def check_snapshot(name: str, text: str, fixtures_dir: Path) -> None:
    path = fixtures_dir / "snapshots" / name
    if os.environ.get("PAPERPULSE_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"snapshot {name} is missing or being rewritten in CI; commit it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_papers_of_the_day_are_exactly_the_listing_ranked_by_upvotes(fixtures_dir: Path) -> None:
    digest = build_edition(fixture_inputs(fixtures_dir))
    day = section(digest, "Papers of the day")
    assert ids(day) == ["2611.01234", "2611.00077"]
    assert [i.listed for i in day.items] == [DAY, DAY]  # type: ignore[attr-defined]
    assert [i.is_new for i in day.items] == [True, True]  # type: ignore[attr-defined]
    # A history that moved gets a sparkline; a flat one says nothing and gets none.
    assert [bool(i.sparkline) for i in day.items] == [True, False]  # type: ignore[attr-defined]
    assert "2611.00501" not in ids(day)  # another day's paper is never one of the day's


def test_a_paper_of_an_earlier_day_rises_by_its_gain_since_first_seen(fixtures_dir: Path) -> None:
    digest = build_edition(fixture_inputs(fixtures_dir))
    rising = section(digest, RISING)
    (item,) = rising.items  # type: ignore[attr-defined]
    assert item.paper.arxiv_id == "2611.00501" and item.gain == 35 and "rising" in item.labels
    assert item.reason == "+35 upvotes since first seen on Wed 18 Nov: 20 → 55"
    assert (digest.paper_count, digest.new_count, digest.rising_count) == (3, 3, 1)


def test_rising_is_measured_from_what_this_reader_last_saw(fixtures_dir: Path) -> None:
    seen_before = {
        "2611.00501": Seen(announced_new=True, at=T1, upvotes=40, digest="Thu 19 Nov"),
    }
    digest = build_edition(fixture_inputs(fixtures_dir, seen=seen_before))
    (item,) = section(digest, RISING).items  # type: ignore[attr-defined]
    assert item.reason == "+15 upvotes since your digest of Thu 19 Nov: 40 → 55"
    assert not item.is_new  # announced before: rising, not new
    # Shown at 50 last time: +5 is below the threshold, so it does not rise again (yet).
    again = {"2611.00501": Seen(announced_new=True, at=T1, upvotes=50)}
    digest = build_edition(fixture_inputs(fixtures_dir, seen=again))
    assert RISING not in [s.title for s in digest.sections]


def test_new_means_never_announced_to_this_reader(fixtures_dir: Path) -> None:
    told = {"2611.01234": Seen(announced_new=True, at=T1, upvotes=30)}
    digest = build_edition(fixture_inputs(fixtures_dir, seen=told))
    day = section(digest, "Papers of the day")
    assert [i.is_new for i in day.items] == [False, True]  # type: ignore[attr-defined]
    assert digest.new_count == 2  # the other day paper and the rising one never told
    assert shown_items(digest) == [
        ("2611.00501", 55, True),
        ("2611.01234", 42, False),
        ("2611.00077", 7, True),
    ]


def test_topics_take_their_papers_once_and_the_rest_stay_with_their_day(fixtures_dir: Path) -> None:
    topics = (
        Topic(name="Decoding", include=("speculative decoding",)),
        Topic(name="Robotics", include=("robot",)),
    )
    digest = build_edition(fixture_inputs(fixtures_dir, topics=topics))
    titles = [s.title for s in digest.sections]
    assert titles == ["Decoding", "Robotics", RISING, "Also listed today"]
    assert ids(section(digest, "Decoding")) == ["2611.01234"]
    robotics = section(digest, "Robotics")
    assert robotics.items == () and robotics.note  # type: ignore[attr-defined]
    assert ids(section(digest, "Also listed today")) == ["2611.00077"]
    everything = [i.paper.arxiv_id for s in digest.sections for i in s.items]
    assert len(everything) == len(set(everything))  # no paper twice


def test_a_topic_cap_leaves_the_rest_with_their_day(fixtures_dir: Path) -> None:
    topics = (Topic(name="All", include=("decoding", "abstract", "short")),)
    digest = build_edition(fixture_inputs(fixtures_dir, topics=topics, caps=Caps(top_trending=1)))
    assert len(section(digest, "All").items) == 1  # type: ignore[attr-defined]
    day_ids = {i for s in digest.sections if s.title != RISING for i in ids(s)}
    assert day_ids == {"2611.01234", "2611.00077"}


def test_counts_are_of_what_is_shown_even_after_capping(fixtures_dir: Path) -> None:
    digest = build_edition(fixture_inputs(fixtures_dir, caps=Caps(full_list=1)))
    day = section(digest, "Papers of the day")
    assert len(day.items) == 1 and day.more == 1  # type: ignore[attr-defined]
    assert "…and 1 more of this day are not shown." in render(digest, "md")
    full = build_edition(fixture_inputs(fixtures_dir))
    one_each = Plan(cards=(0,) * len(full.sections), kept=(1,) * len(full.sections))
    cut = apply(full, one_each, DayPages(archive="https://example.org/papers"))
    assert all(len(s.items) <= 1 for s in cut.sections)
    assert (cut.paper_count, cut.new_count) == (2, 2)
    assert shown_items(cut) == [("2611.00501", 55, True), ("2611.01234", 42, True)]
    markdown = render(cut, "md")
    assert "2 papers · 2 new · 1 rising" in markdown
    assert (
        "_…and 1 more, no room in this email:_ [Fri 20 Nov in the archive]"
        "(https://example.org/papers/2026/11/2026-11-20.md)" in markdown
    )


def test_ages_are_relative_to_the_edition_not_the_clock(fixtures_dir: Path) -> None:
    late = T2 + timedelta(days=700)  # the same day rebuilt two years later
    sightings = fixture_inputs(fixtures_dir).sightings
    topics = (Topic(name="Decoding", include=("speculative decoding",)),)
    digest = build_edition(
        fixture_inputs(fixtures_dir, as_of=late, sightings=sightings, topics=topics)
    )
    reason = section(digest, "Decoding").items[0].reason  # type: ignore[attr-defined]
    assert "new today" in reason and "days old" not in reason


def test_an_arxiv_only_paper_links_to_arxiv_without_an_upvote_marker() -> None:
    paper = Paper(
        arxiv_id="2611.09999",
        title="Only on arXiv",
        list_date=DAY,
        primary_category="cs.CL",
        comment="12 pages",
    )
    arxiv = Sighting(
        arxiv_id=paper.arxiv_id, source="arxiv-listing", period="cs.CL", run_id=1, observed_at=T1
    )
    digest = build_edition(
        EditionInputs(
            edition="daily",
            key=DAY.isoformat(),
            title="Daily",
            as_of=T2,
            listings=(DayListing(day=DAY, ids=(paper.arxiv_id,)),),
            papers={paper.arxiv_id: paper},
            sightings={paper.arxiv_id: (arxiv,)},
        )
    )
    md = render(digest, "md")
    assert "(https://arxiv.org/abs/2611.09999)" in md and "huggingface.co" not in md
    assert "▲" not in md and "arXiv cs.CL · 12 pages" in md


def test_a_catch_up_has_a_section_per_day_and_folds_the_weekend_into_a_note(
    fixtures_dir: Path,
) -> None:
    spec, small = fixture_papers(fixtures_dir)
    monday = date(2026, 11, 23)
    inputs = fixture_inputs(
        fixtures_dir,
        listings=(
            DayListing(day=DAY, ids=(spec.arxiv_id,)),
            DayListing(day=date(2026, 11, 21), status="empty"),
            DayListing(day=date(2026, 11, 22), status="empty"),
            DayListing(day=monday, ids=(small.arxiv_id,)),
        ),
        rising_pool=(),
    )
    digest = build_edition(inputs)
    assert [s.title for s in digest.sections] == ["Papers of Fri 20 Nov", "Papers of Mon 23 Nov"]
    assert digest.notes == (
        "No Daily Papers were listed for Sat 21 Nov, Sun 22 Nov: "
        "Hugging Face publishes none on weekends.",
    )


def test_followed_authors_show_their_profile_and_what_changed(fixtures_dir: Path) -> None:
    spec, _ = fixture_papers(fixtures_dir)
    profile = AuthorProfile(
        author_id="1", name="Ada Lovelace", h_index=36, citation_count=12345, paper_count=210
    )
    news = (
        AuthorNews(
            name="Ada Lovelace",
            profile=profile,
            papers=(spec, old_paper(7)),
            profile_changes=("h-index 35 → 36",),
        ),
    )
    digest = build_edition(fixture_inputs(fixtures_dir, authors=news))
    authors = section(digest, "Followed authors")
    assert authors.details == (  # type: ignore[attr-defined]
        "Ada Lovelace: h-index 36 · 12,345 citations · 210 papers",
        "Ada Lovelace: h-index 35 → 36",
    )
    # The day's own paper stays with its day; only the other one is shown here.
    assert ids(authors) == ["2611.00507"]
    assert authors.items[0].reason == "new paper by Ada Lovelace"  # type: ignore[attr-defined]


def test_weekend_note() -> None:
    assert "publishes none on weekends" in weekend_note(date(2026, 11, 21))
    assert "weekends" not in weekend_note(date(2026, 11, 19))


def test_authors_are_cut_to_three_with_et_al() -> None:
    names = tuple(Author(name=n) for n in ["A", "B", "C", "D"])
    assert authors_short(names) == "A, B, C et al."
    assert authors_short(names[:3]) == "A, B, C"


@given(
    upvotes=st.lists(st.integers(0, 500), min_size=1, max_size=6),
    last_seen=st.one_of(st.none(), st.integers(0, 500)),
    threshold=st.integers(1, 50),
)
def test_rising_property_numbers_agree_with_the_history(
    upvotes: list[int], last_seen: int | None, threshold: int
) -> None:
    """Whatever the history: a paper rises iff its gain since the baseline reaches the
    threshold, and its reason's numbers are the baseline, the latest count and their gap."""
    old, today = old_paper(), Paper(arxiv_id="2611.09998", title="Listed today", list_date=DAY)
    history = tuple(
        seen(old, n, T1 + timedelta(hours=n), u, 1, period="2026-11-18")
        for n, u in enumerate(upvotes)
    )
    seen_map = (
        {}
        if last_seen is None
        else {old.arxiv_id: Seen(announced_new=True, at=T1, upvotes=last_seen)}
    )
    digest = build_edition(
        EditionInputs(
            edition="daily",
            key=DAY.isoformat(),
            title="Daily",
            as_of=T2,
            listings=(DayListing(day=DAY, ids=(today.arxiv_id,)),),
            papers={old.arxiv_id: old, today.arxiv_id: today},
            sightings={old.arxiv_id: history},
            rising_pool=(old.arxiv_id,),
            seen=seen_map,
            rising_threshold=threshold,
        )
    )
    base = upvotes[0] if last_seen is None else last_seen
    gain = upvotes[-1] - base
    rising = [s for s in digest.sections if s.title == RISING]
    assert bool(rising) == (gain >= threshold)
    if rising:
        (item,) = rising[0].items
        assert item.reason.endswith(f"{base:,} → {upvotes[-1]:,}") and item.gain == gain
        assert digest.rising_count == 1 and digest.paper_count == 2  # and the day's paper


@pytest.mark.parametrize("fmt", ["md", "txt", "html"])
def test_snapshot(fmt: str, fixtures_dir: Path) -> None:
    topics = (Topic(name="Decoding", include=("speculative decoding",)),)
    digest = build_edition(fixture_inputs(fixtures_dir, topics=topics))
    check_snapshot(f"daily_2026-11-20.{fmt}", render(digest, fmt), fixtures_dir)


def test_markdown_item_carries_everything_a_reader_needs(fixtures_dir: Path) -> None:
    md = render(build_edition(fixture_inputs(fixtures_dir)), "md")
    assert "[Speculative Decoding at Scale](https://huggingface.co/papers/2611.01234)" in md
    assert "Ada Lovelace, Grace Hopper, Alan Turing et al." in md
    assert "Example Lab" in md
    assert "▲ 42" in md and "3 comments" in md and "120★" in md
    assert "(https://github.com/example/specdec)" in md
    assert "Speculative decoding made 3x faster with tree drafts." in md  # ai_summary first
    assert "> Short abstract without AI summary." in md  # else the abstract's first sentence
    assert "3 papers · 3 new · 1 rising" in md


def test_an_empty_day_says_why() -> None:
    inputs = EditionInputs(
        edition="daily",
        key="2026-11-21",
        title="Daily Papers",
        as_of=T2,
        listings=(DayListing(day=date(2026, 11, 21), status="empty"),),
        papers={},
        sightings={},
    )
    rendered = render_all(build_edition(inputs))
    assert "Hugging Face publishes none on weekends" in rendered.markdown
    assert "Hugging Face publishes none on weekends" in rendered.text
    assert rendered.subject.endswith("no papers")


def test_hostile_fields_cannot_inject_links_or_html(fixtures_dir: Path) -> None:
    evil = Paper(
        arxiv_id="2401.00002",
        title="<script>alert(1)</script> [click](javascript:alert(1)) | x\r\nBcc: a@b",
        authors=(Author(name="<img src=x onerror=alert(1)>"),),
        github_repo="javascript:alert(1)",
    )
    inputs = fixture_inputs(
        fixtures_dir,
        listings=(DayListing(day=DAY, ids=(evil.arxiv_id,)),),
        papers={evil.arxiv_id: evil},
        sightings={evil.arxiv_id: (seen(evil, 1, T1, 3, 1),)},
        rising_pool=(),
    )
    rendered = render_all(build_edition(inputs))
    assert "<script>" not in rendered.html and "<img" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    as_html = MarkdownIt("commonmark").render(rendered.markdown)
    assert "<script" not in as_html and "<img" not in as_html
    hrefs = re.findall(r'href="([^"]*)"', as_html) + re.findall(r'href="([^"]*)"', rendered.html)
    assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs), hrefs
    assert "\r" not in rendered.subject and "\n" not in rendered.subject


def test_an_empty_day_has_no_rising_section_the_next_listed_day_does(fixtures_dir: Path) -> None:
    """A weekend healed in Monday's run must not take Monday's rising papers."""
    empty = fixture_inputs(fixtures_dir, listings=(DayListing(day=DAY, status="empty"),))
    digest = build_edition(empty)
    assert RISING not in [s.title for s in digest.sections]
    assert shown_items(digest) == []  # nothing recorded as seen: the baseline stays put
    assert RISING in [s.title for s in build_edition(fixture_inputs(fixtures_dir)).sections]
