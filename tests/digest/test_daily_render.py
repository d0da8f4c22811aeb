"""The daily digest: ranking, gains, and the rendered Markdown/text/HTML (snapshot tests).

Snapshots live in tests/fixtures/snapshots; after an intended change to a template, refresh them
with ``PAPERPULSE_UPDATE_SNAPSHOTS=1 pytest tests/digest`` and review the diff.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from digest.daily import build_daily, upvote_gain
from digest.models import Digest, Sighting, SourceHealth
from digest.render import authors_short, render, render_all
from scrapers import hf_daily
from scrapers.models import Author, Paper

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
DAY = date(2026, 11, 20)


def sighting(paper: Paper, run_id: int, upvotes: int | None, rank: int = 1) -> Sighting:
    return Sighting(
        arxiv_id=paper.arxiv_id,
        source="hf-daily",
        period="2026-11-20",
        run_id=run_id,
        observed_at=NOW,
        rank=rank,
        upvotes=upvotes,
        comments=1,
    )


def fixture_digest(fixtures_dir: Path) -> Digest:
    listing = hf_daily.parse_any(
        (fixtures_dir / "hf" / "daily_2026.json").read_bytes(),
        url="u",
        requested_date=DAY,
        fetched_at=NOW,
    )
    low, high = listing.items[1], listing.items[0]
    items = [
        (
            low.paper,
            Sighting(
                arxiv_id=low.paper.arxiv_id,
                source="hf-daily",
                period="2026-11-20",
                run_id=2,
                observed_at=NOW,
                rank=2,
                upvotes=low.upvotes,
                comments=low.comments,
            ),
        ),
        (
            high.paper,
            Sighting(
                arxiv_id=high.paper.arxiv_id,
                source="hf-daily",
                period="2026-11-20",
                run_id=2,
                observed_at=NOW,
                rank=1,
                upvotes=high.upvotes,
                comments=high.comments,
                stars=high.stars,
            ),
        ),
    ]
    previous = {high.paper.arxiv_id: sighting(high.paper, 1, 30)}
    return build_daily(
        list_date=DAY,
        items=items,
        previous=previous,
        new_ids={low.paper.arxiv_id},
        updated=1,
        health=[SourceHealth(source="hf-daily", status="complete", fetched=2)],
        generated_at=NOW,
    )


def check_snapshot(name: str, text: str, fixtures_dir: Path) -> None:
    path = fixtures_dir / "snapshots" / name
    if os.environ.get("PAPERPULSE_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if os.environ.get("CI"):
            pytest.fail(f"snapshot {name} was missing in CI; commit it")
    assert text == path.read_text(encoding="utf-8")


def test_ranked_by_upvotes_with_gain_since_previous_run(fixtures_dir: Path) -> None:
    digest = fixture_digest(fixtures_dir)
    (section,) = digest.sections
    assert [i.paper.arxiv_id for i in section.items] == ["2611.01234", "2611.00077"]
    assert [i.gain for i in section.items] == [12, None]
    assert [i.is_new for i in section.items] == [False, True]
    assert (digest.fetched, digest.new, digest.updated) == (2, 1, 1)


def test_gain_needs_two_observations() -> None:
    paper = Paper(arxiv_id="2401.00001", title="t")
    assert upvote_gain(sighting(paper, 2, 10), None) is None
    assert upvote_gain(sighting(paper, 2, 10), sighting(paper, 1, None)) is None
    assert upvote_gain(sighting(paper, 2, 10), sighting(paper, 1, 4)) == 6


def test_authors_are_cut_to_three_with_et_al() -> None:
    names = tuple(Author(name=n) for n in ["A", "B", "C", "D"])
    assert authors_short(names) == "A, B, C et al."
    assert authors_short(names[:3]) == "A, B, C"
    assert authors_short(()) == ""


@pytest.mark.parametrize("fmt", ["md", "txt", "html"])
def test_snapshot(fmt: str, fixtures_dir: Path) -> None:
    check_snapshot(
        f"daily_2026-11-20.{fmt}", render(fixture_digest(fixtures_dir), fmt), fixtures_dir
    )


def test_markdown_item_carries_everything_a_reader_needs(fixtures_dir: Path) -> None:
    md = render(fixture_digest(fixtures_dir), "md")
    assert "[Speculative Decoding at Scale](https://huggingface.co/papers/2611.01234)" in md
    assert "Ada Lovelace, Grace Hopper, Alan Turing et al." in md
    assert "Example Lab" in md
    assert "▲ 42 (+12 since last run)" in md and "3 comments" in md and "120★" in md
    assert "(https://github.com/example/specdec)" in md
    assert "Speculative decoding made 3x faster with tree drafts." in md  # ai_summary first
    assert "> Short abstract without AI summary." in md  # else the abstract's first sentence
    assert "2 papers · 1 new · 1 updated" in md


def test_empty_day_says_why(fixtures_dir: Path) -> None:
    digest = build_daily(
        list_date=date(2026, 11, 21),
        items=[],
        previous={},
        new_ids=set(),
        updated=0,
        health=[],
        generated_at=NOW,
        notes=["No Daily Papers were listed for Saturday 21 November 2026."],
    )
    rendered = render_all(digest)
    assert "No Daily Papers were listed for Saturday 21 November 2026." in rendered.markdown
    assert "No Daily Papers were listed for this date." in rendered.text
    assert rendered.subject.endswith("no papers")


def test_hostile_title_cannot_inject_links_or_html() -> None:
    evil = Paper(
        arxiv_id="2401.00002",
        title="<script>alert(1)</script> [click](javascript:alert(1)) | x\r\nBcc: a@b",
        authors=(Author(name="<img src=x onerror=alert(1)>"),),
        github_repo="javascript:alert(1)",
    )
    digest = build_daily(
        list_date=DAY,
        items=[(evil, sighting(evil, 1, 3))],
        previous={},
        new_ids=set(),
        updated=0,
        health=[],
        generated_at=NOW,
    )
    rendered = render_all(digest)
    assert "<script>" not in rendered.html and "<img" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    assert 'href="javascript' not in rendered.html
    # What a reader's Markdown viewer would make of the archive file: no link, no raw HTML.
    as_html = MarkdownIt("commonmark").render(rendered.markdown)
    hrefs = re.findall(r'href="([^"]*)"', as_html) + re.findall(r'href="([^"]*)"', rendered.html)
    assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs), hrefs
    assert "<script" not in as_html and "<img" not in as_html
    assert "\r" not in rendered.subject and "\n" not in rendered.subject
