"""Values the storage tests build: plausible papers and listings, and a whole run cycle."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from paperpulse.core.kinds import RunStatus, Source
from paperpulse.core.models import Author, Listing, ListingItem, Paper
from paperpulse.storage import Repository, SaveResult

T0 = datetime(2026, 8, 3, 6, 0, tzinfo=UTC)
SAVED_AFTER = timedelta(seconds=5)  # save() observes the listing this long after the run starts
TABLES = (
    "suppressions",
    "reader_prefs",
    "web_keys",
    "paper_search_ids",
    "summaries",
    "announcements",
    "citations",
    "citation_watch",
    "paper_identities",
    "term_counts",
    "feedback",
    "author_profiles",
    "paper_revisions",
    "shown",
    "deliveries",
    "sightings",
    "runs",
    "paper_authors",
    "authors",
    "papers",
)


def make_paper(arxiv_id: str, **changes: Any) -> Paper:
    """A plausible paper; ``changes`` override any attribute."""
    paper = Paper(
        arxiv_id=arxiv_id,
        title=f"Paper {arxiv_id}",
        authors=(Author(name="Ada Lovelace"), Author(name="Alan Turing")),
        abstract=f"We study {arxiv_id}.",
        published_at=datetime(2026, 7, 30, 17, 59, tzinfo=UTC),
        list_date=date(2026, 8, 3),
        version=1,
        primary_category="cs.LG",
        categories=("cs.LG", "cs.CL"),
    )
    return replace(paper, **changes)


def make_listing(
    papers: list[Paper],
    *,
    source: str = "hf-daily",
    period: str = "2026-08-03",
    upvotes: int | None = 10,
) -> Listing:
    items = tuple(
        ListingItem(paper=p, rank=i + 1, upvotes=None if upvotes is None else upvotes + i)
        for i, p in enumerate(papers)
    )
    return Listing(
        source=source,
        period=period,
        url=f"https://huggingface.co/papers/date/{period}",
        fetched_at=T0,
        items=items,
        declared_count=len(items),
    )


def start_run(repo: Repository, source: str, period: str, url: str | None, at: datetime) -> int:
    """A new run of a listing no other run holds (the tests never race for one)."""
    run_id = repo.start_exclusive_run(source, period, url, at)
    assert run_id is not None, f"a {source} run for {period} is already in flight"
    return run_id


def save(
    repo: Repository, listing: Listing, at: datetime = T0, *, status: RunStatus = RunStatus.COMPLETE
) -> tuple[int, SaveResult]:
    """Run the whole run life cycle for ``listing``: start, save, finish."""
    run_id = start_run(repo, listing.source, listing.period, listing.url, at)
    result = repo.save_listing(run_id, listing, at + SAVED_AFTER)
    repo.finish_run(
        run_id,
        status=status,
        fetched=result.fetched,
        new=result.new,
        updated=result.updated,
        finished_at=at + timedelta(seconds=6),
    )
    return run_id, result


def save_a_digest_day(repo: Repository) -> list[Paper]:
    """What a day's digest reads, stored: five papers listed on T0's date (three found by an HF
    search for "agents", two by the followed author Ada Lovelace) and one the day before."""
    day, hour = T0.date(), timedelta(hours=1)
    papers = [make_paper(f"2608.{n:05d}") for n in range(1, 6)]
    yesterday = [make_paper("2608.00100", list_date=day - timedelta(days=1))]
    save(
        repo, make_listing(yesterday, period=(day - timedelta(days=1)).isoformat()), T0 - 24 * hour
    )
    save(repo, make_listing(papers[:3], source=Source.HF_SEARCH, period="agents"), T0)
    save(repo, make_listing(papers[:2], source=Source.ARXIV_AUTHOR, period="Ada Lovelace"), T0)
    save(repo, make_listing(papers, upvotes=5), T0)
    return papers
