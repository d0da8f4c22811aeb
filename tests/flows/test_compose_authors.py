"""Followed authors in a digest: their new papers and how their profile changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from paperpulse.core.models import Author, AuthorProfile, Listing, ListingItem, Paper
from paperpulse.flows.compose import build, period_for
from paperpulse.flows.config import AuthorConfig, Config
from paperpulse.flows.context import repository
from paperpulse.flows.settings import Settings
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
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", archive_dir=tmp_path / "archive"
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

    digest = build(settings, config, period_for("daily", DAY)).digest
    section = next(s for s in digest.sections if s.title == "Followed authors")
    assert [i.paper.arxiv_id for i in section.items] == ["2611.00009"]  # not the old one
    assert section.items[0].reason == "new paper by Hanze Dong"
    assert any("35" in line and "36" in line for line in section.details), section.details
    assert any("citations" in line for line in section.details), section.details
