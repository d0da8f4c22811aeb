"""Editions built from run histories: sections, ranking, gains, notes, caps (pure, no database).

Rendered snapshots live in tests/fixtures/snapshots; after an intended template change refresh
them with ``PAPERPULSE_UPDATE_SNAPSHOTS=1 pytest tests/digest`` and review the diff.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from paperpulse.core.kinds import RunStatus
from paperpulse.core.models import Author, Paper, RunRecord, Sighting
from paperpulse.digest.diff import DiffWindow, PaperHistory
from paperpulse.digest.edition import (
    AuthorNews,
    Caps,
    EditionInputs,
    build_edition,
    cap_sections,
    upvote_gain,
    weekend_note,
)
from paperpulse.digest.models import SourceHealth
from paperpulse.digest.render import authors_short, render, render_all
from paperpulse.digest.topics import Topic
from paperpulse.scrapers import hf_daily

DAY = date(2026, 11, 20)
T1 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)  # first observation of the day's list
T2 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)  # second one, upvotes grown
WINDOW = DiffWindow(start=datetime(2026, 11, 19, 18, 0, tzinfo=UTC), end=T2)


def run(run_id: int, at: datetime, period: str = "2026-11-20") -> RunRecord:
    return RunRecord(
        id=run_id,
        source="hf-daily",
        period=period,
        status=RunStatus.COMPLETE,
        started_at=at,
        finished_at=at,
        fetched=2,
    )


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


def fixture_inputs(fixtures_dir: Path, **changes: object) -> EditionInputs:
    spec, small = fixture_papers(fixtures_dir)
    histories = (
        PaperHistory(
            paper=spec,
            first_seen_at=T1,
            sightings=(
                seen(spec, 1, T1, 30, 1, comments=3, stars=120),
                seen(spec, 2, T2, 42, 1, comments=3, stars=120),
            ),
        ),
        PaperHistory(
            paper=small,
            first_seen_at=T1,
            sightings=(seen(small, 1, T1, 7, 2, comments=0), seen(small, 2, T2, 7, 2, comments=0)),
        ),
    )
    values: dict[str, object] = dict(
        edition="daily",
        period=DAY.isoformat(),
        title=f"Daily Papers · {DAY:%A %d %B %Y}",
        window=WINDOW,
        histories=histories,
        runs=(run(1, T1), run(2, T2)),
        primary=tuple(h.sightings[-1] for h in histories),
        health=(SourceHealth(source="hf-daily", status="complete", fetched=2),),
    )
    values.update(changes)
    return EditionInputs(**values)  # type: ignore[arg-type]


def check_snapshot(name: str, text: str, fixtures_dir: Path) -> None:
    path = fixtures_dir / "snapshots" / name
    if os.environ.get("PAPERPULSE_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"snapshot {name} is missing or being rewritten in CI; commit it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_full_list_ranked_by_upvotes_with_gain_since_last_run(fixtures_dir: Path) -> None:
    digest = build_edition(fixture_inputs(fixtures_dir)).digest
    full = next(s for s in digest.sections if s.title == "Papers of the day")
    assert [i.paper.arxiv_id for i in full.items] == ["2611.01234", "2611.00077"]
    assert [i.gain for i in full.items] == [12, 0]
    assert [i.is_new for i in full.items] == [True, True]
    # A history that moved gets a sparkline; a flat one says nothing and gets none.
    assert [bool(i.sparkline) for i in full.items] == [True, False]
    assert (digest.fetched, digest.new) == (2, 2)


def test_without_topics_a_trending_section_explains_each_item(fixtures_dir: Path) -> None:
    digest = build_edition(fixture_inputs(fixtures_dir)).digest
    trending = next(s for s in digest.sections if s.title == "Trending")
    assert trending.items[0].paper.arxiv_id == "2611.01234"
    assert trending.items[0].reason and "+42 upvotes" in trending.items[0].reason


def test_topic_sections_then_other_notable(fixtures_dir: Path) -> None:
    topics = (
        Topic(name="Decoding", include=("speculative decoding",)),
        Topic(name="Robotics", include=("robot",)),
    )
    digest = build_edition(fixture_inputs(fixtures_dir, topics=topics)).digest
    titles = [s.title for s in digest.sections]
    assert titles[:2] == ["Decoding", "Robotics"]
    decoding, robotics = digest.sections[0], digest.sections[1]
    assert [i.paper.arxiv_id for i in decoding.items] == ["2611.01234"]
    assert robotics.items == () and robotics.note == "Nothing matched this topic in this window."
    # The unmatched paper is not rising, so "Other notable" stays out.
    assert "Other notable" not in titles


def test_caps_keep_counts_for_the_archive_link(fixtures_dir: Path) -> None:
    digest = build_edition(fixture_inputs(fixtures_dir, caps=Caps(full_list=1))).digest
    full = next(s for s in digest.sections if s.title == "Papers of the day")
    assert len(full.items) == 1 and full.more == 1
    capped = cap_sections(digest, 1)
    assert all(len(s.items) <= 1 for s in capped.sections)
    assert "more in the archive" in render(capped, "md")


def test_followed_authors_section(fixtures_dir: Path) -> None:
    spec, _ = fixture_papers(fixtures_dir)
    news = (AuthorNews(name="Ada Lovelace", papers=(spec,), profile_changes=("h-index 35 → 36",)),)
    digest = build_edition(fixture_inputs(fixtures_dir, authors=news)).digest
    section = next(s for s in digest.sections if s.title == "Followed authors")
    assert section.items[0].reason == "new paper by Ada Lovelace"
    assert section.details == ("Ada Lovelace: h-index 35 → 36",)


def test_weekend_note() -> None:
    assert "publishes none on weekends" in weekend_note(date(2026, 11, 21))
    assert "weekends" not in weekend_note(date(2026, 11, 19))


def test_gain_needs_two_observations() -> None:
    paper = Paper(arxiv_id="2401.00001", title="t")
    assert upvote_gain(seen(paper, 2, T2, 10, 1), None) is None
    assert upvote_gain(seen(paper, 2, T2, 10, 1), seen(paper, 1, T1, 4, 1)) == 6


def test_authors_are_cut_to_three_with_et_al() -> None:
    names = tuple(Author(name=n) for n in ["A", "B", "C", "D"])
    assert authors_short(names) == "A, B, C et al."
    assert authors_short(names[:3]) == "A, B, C"
    assert authors_short(()) == ""


@pytest.mark.parametrize("fmt", ["md", "txt", "html"])
def test_snapshot(fmt: str, fixtures_dir: Path) -> None:
    topics = (Topic(name="Decoding", include=("speculative decoding",)),)
    digest = build_edition(fixture_inputs(fixtures_dir, topics=topics)).digest
    check_snapshot(f"daily_2026-11-20.{fmt}", render(digest, fmt), fixtures_dir)


def test_markdown_item_carries_everything_a_reader_needs(fixtures_dir: Path) -> None:
    md = render(build_edition(fixture_inputs(fixtures_dir)).digest, "md")
    assert "[Speculative Decoding at Scale](https://huggingface.co/papers/2611.01234)" in md
    assert "Ada Lovelace, Grace Hopper, Alan Turing et al." in md
    assert "Example Lab" in md
    assert "▲ 42 (+12 since last run)" in md and "3 comments" in md and "120★" in md
    assert "(https://github.com/example/specdec)" in md
    assert "Speculative decoding made 3x faster with tree drafts." in md  # ai_summary first
    assert "> Short abstract without AI summary." in md  # else the abstract's first sentence
    assert "2 papers · 2 new · 0 updated" in md


def test_an_empty_day_says_why() -> None:
    inputs = EditionInputs(
        edition="daily",
        period="2026-11-21",
        title="Daily Papers",
        window=WINDOW,
        histories=(),
        runs=(),
        notes=(weekend_note(date(2026, 11, 21)),),
    )
    rendered = render_all(build_edition(inputs).digest)
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
    history = PaperHistory(paper=evil, first_seen_at=T1, sightings=(seen(evil, 1, T1, 3, 1),))
    inputs = fixture_inputs(
        fixtures_dir, histories=(history,), runs=(run(1, T1),), primary=history.sightings
    )
    rendered = render_all(build_edition(inputs).digest)
    assert "<script>" not in rendered.html and "<img" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    as_html = MarkdownIt("commonmark").render(rendered.markdown)
    assert "<script" not in as_html and "<img" not in as_html
    hrefs = re.findall(r'href="([^"]*)"', as_html) + re.findall(r'href="([^"]*)"', rendered.html)
    assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs), hrefs
    assert "\r" not in rendered.subject and "\n" not in rendered.subject


def test_window_defaults_to_one_day_for_the_first_digest(fixtures_dir: Path) -> None:
    inputs = fixture_inputs(fixtures_dir, window=DiffWindow(start=None, end=T2))
    digest = build_edition(inputs).digest
    assert digest.generated_at == T2 and digest.new == 2
    assert T2 - timedelta(days=1) < T1
