"""The pipeline's steps as plain functions: fetch -> store -> digest -> archive.

Prefect tasks in ``flows/daily.py`` are thin wrappers over these, so every step also runs (and is
tested) without Prefect. Each step takes settings and plain values and opens its own client or
database connection: nothing unpicklable crosses a task boundary.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from digest.daily import build_daily
from digest.models import Digest, RenderedDigest, SourceHealth
from digest.render import render_all
from flows.settings import Settings
from scrapers import hf_daily
from scrapers.errors import PaperpulseError, StorageError
from scrapers.http import HttpClient, default_settings
from scrapers.models import Listing
from storage.db import create_engine
from storage.migrate import upgrade
from storage.repository import Repository


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceOutcome:
    """What one source did for one period: the line of the run summary."""

    source: str
    period: str
    run_id: int
    status: str  # "complete" | "empty" | "failed"
    fetched: int = 0
    new: int = 0
    updated: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DailySummary:
    list_date: date
    outcomes: tuple[SourceOutcome, ...]
    archive: str | None = None  # where the digest went

    @property
    def failures(self) -> list[str]:
        return [f"{o.source} failed: {o.error}" for o in self.outcomes if o.status == "failed"]

    def line(self) -> str:
        """The one line `paperpulse run` prints."""
        fetched = sum(o.fetched for o in self.outcomes)
        new = sum(o.new for o in self.outcomes)
        updated = sum(o.updated for o in self.outcomes)
        where = f"digest: {self.archive}" if self.archive else "no digest written"
        return (
            f"{self.list_date.isoformat()}: {fetched} papers fetched, {new} new, "
            f"{updated} updated; {where}"
        )


def now_utc() -> datetime:
    return datetime.now(UTC)


def open_repository(settings: Settings) -> Repository:
    """Connect and bring the schema up to date (users never run migrations by hand)."""
    return _repository(settings.database_url)


@cache
def _repository(database_url: str) -> Repository:
    # One engine (and one migration check) per database per process, shared by all steps.
    engine = create_engine(database_url)
    upgrade(engine)
    return Repository(engine)


def http_client(settings: Settings) -> HttpClient:
    return HttpClient(
        default_settings(
            hf_url=settings.hf_url,
            arxiv_url=settings.arxiv_url,
            arxiv_api_url=settings.arxiv_api_url,
            semantic_scholar_url=settings.semantic_scholar_url,
            contact=settings.contact,
            hf_token=settings.hf_token,
        )
    )


def begin_run(settings: Settings, source: str, list_date: date) -> int:
    url = hf_daily.api_url(settings.hf_url, date=list_date.isoformat())
    return open_repository(settings).start_run(source, list_date.isoformat(), url, now_utc())


def fetch_listing(settings: Settings, list_date: date) -> Listing:
    with http_client(settings) as client:
        return hf_daily.fetch_daily(
            client, base_url=settings.hf_url, list_date=list_date, via=settings.hf_via
        )


def store_listing(settings: Settings, run_id: int, listing: Listing) -> SourceOutcome:
    """Save the listing and close its run in the ledger; nothing is written if saving fails."""
    repo = open_repository(settings)
    result = repo.save_listing(run_id, listing, observed_at=listing.fetched_at)
    status = "complete" if listing.items else "empty"
    repo.finish_run(
        run_id,
        status=status,
        fetched=result.fetched,
        new=result.new,
        updated=result.updated,
        declared=listing.declared_count,
        finished_at=now_utc(),
    )
    return SourceOutcome(
        source=listing.source,
        period=listing.period,
        run_id=run_id,
        status=status,
        fetched=result.fetched,
        new=result.new,
        updated=result.updated,
    )


def fail_run(
    settings: Settings, run_id: int, source: str, period: str, error: BaseException
) -> SourceOutcome:
    message = (
        str(error) if isinstance(error, PaperpulseError) else f"{type(error).__name__}: {error}"
    )
    with contextlib.suppress(StorageError):  # the original error is the one worth reporting
        open_repository(settings).finish_run(
            run_id, status="failed", error=message, finished_at=now_utc()
        )
    return SourceOutcome(
        source=source, period=period, run_id=run_id, status="failed", error=message
    )


def build_daily_digest(
    settings: Settings, list_date: date, outcomes: list[SourceOutcome]
) -> Digest:
    """The daily digest from what the database holds for ``list_date``."""
    repo = open_repository(settings)
    period = list_date.isoformat()
    run = repo.latest_complete_run(hf_daily.SOURCE, period)
    items = repo.listing_items(run.id) if run else []
    previous = repo.previous_sightings(hf_daily.SOURCE, period, run.id) if run else {}
    history = repo.sightings([paper.arxiv_id for paper, _ in items])
    # New = first ever seen in this run (a paper listed on two dates is new only once).
    new_ids = {
        arxiv_id for arxiv_id, seen in history.items() if run and seen and seen[0].run_id == run.id
    }
    notes = []
    if run is not None and not items:
        notes.append(f"No Daily Papers were listed for {list_date:%A %d %B %Y}.")
    health = [
        SourceHealth(source=o.source, status=o.status, fetched=o.fetched, error=o.error)
        for o in outcomes
    ]
    return build_daily(
        list_date=list_date,
        items=items,
        previous=previous,
        new_ids=new_ids,
        updated=run.updated if run else 0,
        health=health,
        generated_at=now_utc(),
        notes=notes,
    )


def archive_path(archive_dir: Path, digest: Digest) -> Path:
    day = date.fromisoformat(digest.period)
    return archive_dir / f"{day:%Y}" / f"{day:%m}" / f"{day.isoformat()}.md"


def render_digest(digest: Digest) -> RenderedDigest:
    return render_all(digest)


def write_archive(settings: Settings, digest: Digest, rendered: RenderedDigest) -> Path:
    """Write (never append) the day's Markdown file atomically."""
    path = archive_path(settings.archive_dir, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(rendered.markdown, encoding="utf-8")
    tmp.replace(path)
    return path
