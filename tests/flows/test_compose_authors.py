"""Followed authors in a digest: their new papers and how their profile changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from paperpulse.app.compose import build
from paperpulse.config.file import AuthorConfig, Config
from paperpulse.config.settings import Settings
from paperpulse.core.models import Author, AuthorProfile, Listing, ListingItem, Paper
from paperpulse.digest.calendar import period_for
from tests.contexts import context, repository
from tests.flows.month import SimClock
from tests.storage.builders import start_run

DAY = date(2026, 11, 20)
T = datetime(2026, 11, 20, 18, tzinfo=UTC)


def save(settings: Settings, source: str, period: str, papers: list[Paper], at: datetime) -> None:
    repo = repository(settings.database_url)
    listing = Listing(
        source=source,
        period=period,
        url="u",
        fetched_at=at,
        items=tuple(ListingItem(paper=p, rank=i + 1, upvotes=5) for i, p in enumerate(papers)),
    )
    run_id = start_run(repo, source, period, "u", at)
    repo.save_listing(run_id, listing, at, finished_at=at)


def test_followed_author_news_reaches_the_digest(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        archive_dir=tmp_path / "archive",
        clock=SimClock(T + timedelta(hours=1)),
    )
    config = Config(authors=(AuthorConfig(name="Hanze Dong"),))
    old = Paper(arxiv_id="2601.00001", title="Older work", authors=(Author(name="Hanze Dong"),))
    new = Paper(
        arxiv_id="2611.00009",
        title="Fresh work by a followed author",
        authors=(Author(name="Hanze Dong"),),
    )
    day_paper = Paper(arxiv_id="2611.00010", title="Listed that day", list_date=DAY)
    save(settings, "arxiv-author", "Hanze Dong", [old], T - timedelta(days=30))
    save(settings, "hf-daily", (DAY - timedelta(days=1)).isoformat(), [], T - timedelta(days=1))
    save(settings, "hf-daily", DAY.isoformat(), [day_paper], T)
    save(settings, "arxiv-author", "Hanze Dong", [old, new], T - timedelta(hours=1))
    repo = repository(settings.database_url)
    profile = AuthorProfile(
        author_id="42", name="Hanze Dong", h_index=35, paper_count=40, citation_count=2941
    )
    repo.save_author_profile(None, "Hanze Dong", profile, T - timedelta(days=2))
    repo.save_author_profile(
        None,
        "Hanze Dong",
        replace(profile, h_index=36, citation_count=3061),
        T - timedelta(hours=1),
    )

    digest = build(context(settings, config), period_for("daily", DAY))
    section = next(s for s in digest.sections if s.title == "Followed authors")
    assert [i.paper.arxiv_id for i in section.items] == ["2611.00009"]  # not the old one
    assert section.items[0].reason == "new paper by Hanze Dong"
    assert any("35" in line and "36" in line for line in section.details), section.details
    assert any("citations" in line for line in section.details), section.details
    assert "Hanze Dong: h-index 36 · 3,061 citations · 40 papers" in section.details


def test_an_arxiv_only_reader_gets_the_days_announcements_linked_to_arxiv(
    tmp_path: Path,
) -> None:
    """No HF source followed: the day's arXiv announcements are the papers of the day, they
    link to arXiv and carry no upvote marker, and the reader's email is due."""
    from paperpulse.app.compose import digest_periods, reader_period
    from paperpulse.app.jobs import Job
    from paperpulse.config.file import SourcesConfig
    from paperpulse.core.models import ListingItem
    from paperpulse.digest.render import render

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        archive_dir=tmp_path / "archive",
        clock=SimClock(T + timedelta(hours=1)),
    )
    config = Config(
        sources=SourcesConfig(hf_daily=False, hf_search=False, arxiv_categories=("cs.CL",))
    )
    announced = [
        Paper(
            arxiv_id=f"2611.0002{n}",
            title=f"Announced {n}",
            list_date=DAY,
            primary_category="cs.CL",
        )
        for n in range(3)
    ]
    older = Paper(
        arxiv_id="2611.00030", title="Announced the day before", list_date=DAY - timedelta(days=1)
    )
    repo = repository(settings.database_url)
    run_id = start_run(repo, "arxiv-listing", "cs.CL", "u", T)
    listing = Listing(
        source="arxiv-listing",
        period="cs.CL",
        url="u",
        fetched_at=T,
        items=tuple(ListingItem(paper=p, rank=i + 1) for i, p in enumerate([*announced, older])),
    )
    repo.save_listing(run_id, listing, T, finished_at=T)

    job = Job(source="arxiv-listing", period="cs.CL", target="cs.CL")
    from paperpulse.app.collect import SourceOutcome

    outcome = SourceOutcome(source="arxiv-listing", period="cs.CL", status="complete", fetched=4)
    assert [p.key for p in digest_periods(DAY, [job], [outcome])] == [DAY.isoformat()]
    assert reader_period(context(settings, config), "ada@example.org", DAY) is not None

    digest = build(context(settings, config), period_for("daily", DAY))
    day = next(s for s in digest.sections if s.title == "Papers of the day")
    assert {i.paper.arxiv_id for i in day.items} == {p.arxiv_id for p in announced}
    md = render(digest, "md")
    assert "https://arxiv.org/abs/2611.00020" in md and "huggingface.co/papers" not in md
    assert "▲" not in md and "No Daily Papers" not in md


def test_a_bare_id_then_v2_is_labelled_a_new_version_for_a_reader_who_saw_it(
    tmp_path: Path,
) -> None:
    """HF lists ids without a version (v1 until a source says otherwise); arXiv then lists v2:
    a reader who was shown the paper sees "new arXiv version v2 (was v1)"."""
    from paperpulse.app.compose import _updates

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    bare = Paper(arxiv_id="2611.00042", title="Versioned", list_date=DAY)
    save(settings, "hf-daily", DAY.isoformat(), [bare], T)
    repo = repository(settings.database_url)
    repo.record_shown("ada@example.org", f"daily/{DAY}", [(bare.arxiv_id, 5, True)], T)
    save(settings, "arxiv-listing", "cs.CL", [replace(bare, version=2)], T + timedelta(days=1))

    papers = repo.papers([bare.arxiv_id])
    shown = repo.shown("ada@example.org", [bare.arxiv_id], before="daily/2026-11-21")
    labels = _updates(repo, papers, shown, previous=T + timedelta(hours=1))
    assert labels == {bare.arxiv_id: ("new arXiv version v2 (was v1)",)}
