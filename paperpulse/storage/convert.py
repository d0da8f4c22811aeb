"""ORM rows to the values the rest of paperpulse uses (rows never leave ``storage/``)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any, cast

from paperpulse.core.kinds import DeliveryStatus, RunStatus
from paperpulse.core.models import Author, AuthorPaper, AuthorProfile, Paper, RunRecord, Sighting
from paperpulse.storage.records import DeliveryRecord
from paperpulse.storage.schema import DeliveryRow, PaperRow, RunRow, SightingRow


def to_paper(row: PaperRow, authors: tuple[Author, ...]) -> Paper:
    return Paper(
        arxiv_id=row.arxiv_id,
        title=row.title,
        authors=authors,
        abstract=row.abstract or "",
        published_at=row.published_at,
        list_date=row.list_date,
        version=row.version,
        primary_category=row.primary_category,
        categories=tuple(row.categories or ()),
        organization=row.organization,
        github_repo=row.github_repo,
        project_page=row.project_page,
        ai_summary=row.ai_summary,
        ai_keywords=tuple(row.ai_keywords or ()),
        comment=row.comment,
        journal_ref=row.journal_ref,
        doi=row.doi,
    )


def to_sighting(row: SightingRow) -> Sighting:
    return Sighting(
        arxiv_id=row.arxiv_id,
        source=row.source,
        period=row.period,
        run_id=row.run_id,
        observed_at=row.observed_at,
        rank=row.rank,
        upvotes=row.upvotes,
        comments=row.comments,
        stars=row.stars,
        section=row.section,
    )


def to_run_record(row: RunRow) -> RunRecord:
    return RunRecord(
        id=row.id,
        source=row.source,
        period=row.period,
        status=RunStatus(row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        fetched=row.fetched,
        new=row.new,
        updated=row.updated,
        declared=row.declared,
        error=row.error,
        owner=row.owner,
        purpose=row.purpose,
    )


def to_delivery(row: DeliveryRow) -> DeliveryRecord:
    return DeliveryRecord(
        digest_key=row.digest_key,
        channel=row.channel,
        recipient=row.recipient,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        claimed_at=row.claimed_at,
        sent_at=row.sent_at,
        message_id=row.message_id,
        error=row.error,
        handed_at=row.handed_at,
    )


def profile_to_json(profile: AuthorProfile) -> dict[str, object]:
    data = asdict(profile)
    for paper in data["recent_papers"]:
        published = paper["publication_date"]
        paper["publication_date"] = published.isoformat() if published else None
    return data


def profile_from_json(data: dict[str, object]) -> AuthorProfile:
    raw_papers = cast(list[dict[str, Any]], data.get("recent_papers") or [])
    papers = tuple(
        AuthorPaper(
            paper_id=str(p["paper_id"]),
            title=str(p["title"]),
            arxiv_id=p.get("arxiv_id"),
            publication_date=date.fromisoformat(p["publication_date"])
            if p.get("publication_date")
            else None,
            year=p.get("year"),
            citation_count=p.get("citation_count"),
        )
        for p in raw_papers
    )
    return AuthorProfile(
        author_id=str(data["author_id"]),
        name=str(data["name"]),
        h_index=data.get("h_index"),  # type: ignore[arg-type]
        paper_count=data.get("paper_count"),  # type: ignore[arg-type]
        citation_count=data.get("citation_count"),  # type: ignore[arg-type]
        affiliations=tuple(data.get("affiliations") or ()),  # type: ignore[arg-type]
        recent_papers=papers,
    )
