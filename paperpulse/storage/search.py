"""Full-text search over stored papers and the archive's browse queries (the web's reads).

SQLite: an FTS5 table (``papers_fts``, porter stemming) kept by triggers on ``papers``, ranked
by BM25 with the title weighing ten times the abstract. PostgreSQL: a generated ``tsvector``
column (title weight A, abstract B) with a GIN index, ranked by ``ts_rank_cd``. Both made by
migrations 0008 and 0010; neither is in the ORM models (``is_search_object`` tells Alembic's
comparison to leave them be).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, text

from paperpulse.storage.base import RepositoryBase
from paperpulse.storage.schema import PaperRow, SightingRow

RANKED = 2000  # SQLite: matches ranked at most, the newest (see ``_sqlite_query``)
DAY = 1 << 24  # SQLite: FTS5 rowids per list date (migration 0010)
_JULIAN_OFFSET = 1_721_424  # date.toordinal() + this = SQLite's integer julianday()
MAX_TERMS = 12  # words of a query that count: a pasted abstract must not make a huge MATCH
_WORD = re.compile(r"\w+", re.UNICODE)
_SQLITE_FTS = "papers_fts"
# Words too common in titles to say what a paper is about ("more like this" matches any other).
_COMMON = frozenset(
    [
        "with",
        "from",
        "that",
        "this",
        "their",
        "into",
        "over",
        "under",
        "towards",
        "toward",
        "using",
        "based",
        "large",
        "model",
        "models",
        "learning",
        "data",
    ]
)


def is_search_object(name: str | None, kind: str) -> bool:
    """The search objects migration 0008 makes outside the ORM (FTS5 table and its shadow
    tables; PostgreSQL's generated column and its index)."""
    if name is None:
        return False
    if kind == "table":
        return name == _SQLITE_FTS or name.startswith(f"{_SQLITE_FTS}_")
    return (kind == "column" and name == "search") or (
        kind == "index" and name == "ix_papers_search"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    arxiv_id: str
    score: float  # larger is better, on either backend
    upvotes: int | None  # the highest count seen


@dataclass(frozen=True, slots=True, kw_only=True)
class DayCount:
    day: date
    papers: int


def terms(query: str) -> list[str]:
    return _WORD.findall(query.casefold())[:MAX_TERMS]


_UPVOTES = "(SELECT max(s.upvotes) FROM sightings s WHERE s.arxiv_id = {0}.arxiv_id)"


def _rowid(day: date) -> int:
    """The first FTS5 rowid of a list date's block: its Julian day number times ``DAY``
    (migration 0010 numbers papers so, which SQLite's ``julianday`` agrees with)."""
    return (day.toordinal() + _JULIAN_OFFSET) * DAY


def _sqlite_query(
    words: list[str],
    any_words: bool,
    start: date | None,
    end: date | None,
    min_upvotes: int | None,
    params: dict[str, object],
) -> str:
    # Each word quoted: FTS5 operators and column filters in the input are text. Whole
    # (stemmed) words only: a prefix query merges the posting lists of every word it starts,
    # seconds for a short one over 100,000 papers.
    params["match"] = (" OR " if any_words else " ").join(f'"{w}"' for w in words)
    # Rowids follow list dates, so a date range is a rowid range FTS5 seeks to, and rowid
    # DESC is newest first. BM25 is computed for every row it ranks: a word in most papers
    # ("model") would rank all of them, so the newest RANKED matches are ranked (FTS5 walks
    # them newest first and stops), which is all of them for a query that says what it
    # looks for.
    filters = ""
    if start is not None:
        filters += f" AND {_SQLITE_FTS}.rowid >= :first"
        params["first"] = _rowid(start)
    if end is not None:
        filters += f" AND {_SQLITE_FTS}.rowid < :after"
        params["after"] = _rowid(end) + DAY
    # The highest upvote count is kept beside the id (by triggers on sightings): one
    # primary-key lookup per candidate, not an aggregate over its sightings.
    upvoted = ""
    if min_upvotes is not None:
        upvoted = f" JOIN paper_search_ids u ON u.id = {_SQLITE_FTS}.rowid AND u.upvotes >= :min"
        params["min"] = min_upvotes
    params["pool"] = RANKED
    # The ids table is joined for the page kept only.
    return (
        "SELECT i.arxiv_id, -hit.rank, i.upvotes FROM ("
        "SELECT id, rank FROM ("
        f"SELECT {_SQLITE_FTS}.rowid AS id, bm25({_SQLITE_FTS}, 10.0, 1.0) AS rank "
        f"FROM {_SQLITE_FTS}{upvoted} WHERE {_SQLITE_FTS} MATCH :match{filters} "
        f"ORDER BY {_SQLITE_FTS}.rowid DESC LIMIT :pool"
        ") ORDER BY rank, id DESC LIMIT :limit) AS hit "
        "JOIN paper_search_ids i ON i.id = hit.id ORDER BY hit.rank, hit.id DESC"
    )


class PaperSearch(RepositoryBase):
    """Full-text search over stored papers (SQLite FTS5, PostgreSQL ``tsvector``)."""

    def search(
        self,
        query: str,
        *,
        start: date | None = None,
        end: date | None = None,
        min_upvotes: int | None = None,
        limit: int = 20,
        any_words: bool = False,
    ) -> list[Hit]:
        """Papers matching every word of ``query`` (stemmed), best first, within the list
        dates ``[start, end]`` and with at least ``min_upvotes``. ``any_words``: any of its
        longer words ("more like this")."""
        words = terms(query)
        if any_words:
            words = [w for w in words if len(w) > 3 and w not in _COMMON]
        if not words or limit < 1:
            return []
        params: dict[str, object] = {"limit": limit}
        with self._connect("searching papers") as conn:
            if conn.dialect.name == "sqlite":
                sql = _sqlite_query(words, any_words, start, end, min_upvotes, params)
            else:
                filters = ""
                if start is not None:
                    filters += " AND p.list_date >= :start"
                    params["start"] = start
                if end is not None:
                    filters += " AND p.list_date <= :end"
                    params["end"] = end
                if min_upvotes is not None:
                    filters += f" AND {_UPVOTES.format('p')} >= :min_upvotes"
                    params["min_upvotes"] = min_upvotes
                params["words"] = (" | " if any_words else " & ").join(words)
                sql = (
                    f"SELECT hit.arxiv_id, hit.score, {_UPVOTES.format('hit')} FROM ("
                    "SELECT p.arxiv_id AS arxiv_id, ts_rank_cd(p.search, q) AS score "
                    "FROM papers p, to_tsquery('english', :words) q "
                    f"WHERE p.search @@ q{filters} ORDER BY score DESC, p.arxiv_id "
                    "LIMIT :limit) AS hit ORDER BY hit.score DESC, hit.arxiv_id"
                )
            rows = conn.execute(text(sql), params).all()
        return [Hit(arxiv_id=r[0], score=float(r[1]), upvotes=r[2]) for r in rows]

    def days(self, limit: int = 60) -> list[DayCount]:
        """The latest list dates with how many papers each listed."""
        query = (
            select(PaperRow.list_date, func.count())
            .where(PaperRow.list_date.is_not(None))
            .group_by(PaperRow.list_date)
            .order_by(PaperRow.list_date.desc())
            .limit(limit)
        )
        with self._connect("reading the list dates") as conn:
            return [DayCount(day=d, papers=n) for d, n in conn.execute(query) if d is not None]

    def upvotes(self, ids: list[str]) -> dict[str, int]:
        """The highest upvote count seen of each paper (papers never upvoted are absent)."""
        if not ids:
            return {}
        query = (
            select(SightingRow.arxiv_id, func.max(SightingRow.upvotes))
            .where(SightingRow.arxiv_id.in_(ids), SightingRow.upvotes.is_not(None))
            .group_by(SightingRow.arxiv_id)
        )
        with self._connect("reading upvotes") as conn:
            return {i: n for i, n in conn.execute(query) if n is not None}
