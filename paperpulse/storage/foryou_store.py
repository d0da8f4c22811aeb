"""What "For you" reads and keeps: the pool of recent papers to rank, and the hashed term
counts of texts already tokenised (``storage/terms.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from sqlalchemy import select

from paperpulse.core.models import Paper
from paperpulse.storage import terms
from paperpulse.storage.base import RepositoryBase, aware
from paperpulse.storage.papers import load_papers
from paperpulse.storage.schema import PaperRow


class ForYouStore(RepositoryBase):
    """Reads for ranking: many papers at once, and a cache shared by every worker."""

    def papers_listed(self, start: date, end: date) -> list[Paper]:
        """Papers whose list date is in ``[start, end]``, by list date then id (a pool of
        recent papers to rank; ``ix_papers_list_date`` serves it)."""
        query = (
            select(PaperRow.arxiv_id)
            .where(PaperRow.list_date >= start, PaperRow.list_date <= end)
            .order_by(PaperRow.list_date, PaperRow.arxiv_id)
        )
        with self._read("reading papers by list date") as session:
            ids = list(session.scalars(query))
            found = load_papers(session, ids)
        return [found[i] for i in ids if i in found]

    def term_counts(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Stored term counts of the texts among ``keys`` (``storage/terms.py``)."""
        with self._read("reading cached term counts") as session:
            return terms.load(session, keys)

    def save_term_counts(self, counts: Mapping[str, bytes], *, at: datetime) -> None:
        if counts:
            with self._write("caching term counts") as conn:
                terms.save(conn, counts, aware(at, "at"))

    def prune_term_counts(self, before: datetime) -> int:
        with self._write("pruning cached term counts") as conn:
            return terms.prune(conn, aware(before, "before"))
