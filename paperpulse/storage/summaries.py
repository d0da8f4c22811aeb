"""The ``summaries`` table: each paper's TL;DR per language and prompt, made once and kept;
how many were made since a moment is the daily budget's count (shared by every worker)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from paperpulse.storage import bulk
from paperpulse.storage.base import RepositoryBase
from paperpulse.storage.schema import Base

_summaries = Base.metadata.tables["summaries"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredSummary:
    tldr: str
    title: str | None


class SummaryStore(RepositoryBase):
    def cached(
        self, arxiv_ids: Iterable[str], language: str, prompt: str
    ) -> dict[str, StoredSummary]:
        wanted = sorted(set(arxiv_ids))
        found: dict[str, StoredSummary] = {}
        cols = (_summaries.c.arxiv_id, _summaries.c.tldr, _summaries.c.title)
        with self._connect("reading summaries") as conn:
            for chunk in bulk.chunks(wanted):
                query = select(*cols).where(
                    _summaries.c.language == language,
                    _summaries.c.prompt == prompt,
                    bulk.among(conn.dialect, _summaries.c.arxiv_id, chunk),
                )
                found.update(
                    (r.arxiv_id, StoredSummary(tldr=r.tldr, title=r.title))
                    for r in conn.execute(query)
                )
        return found

    def made_since(self, since: datetime) -> int:
        query = select(func.count()).select_from(_summaries).where(_summaries.c.created_at >= since)
        with self._connect("counting summaries") as conn:
            return int(conn.execute(query).scalar() or 0)

    def save(
        self,
        arxiv_id: str,
        language: str,
        prompt: str,
        *,
        tldr: str,
        title: str | None,
        model: str,
        at: datetime,
    ) -> None:
        """Keep the first summary stored (another worker may have made one meanwhile)."""
        row = {
            "arxiv_id": arxiv_id,
            "language": language,
            "prompt": prompt,
            "tldr": tldr,
            "title": title,
            "model": model[:200],
            "created_at": at,
        }
        with self._write("saving a summary") as conn:
            conn.execute(bulk.insert(conn.dialect, _summaries).on_conflict_do_nothing(), [row])
