"""SQLite search ids that follow list dates, and each paper's highest upvote count beside them.

A paper's ``paper_search_ids.id`` (the rowid of its ``papers_fts`` row) becomes its list
date's Julian day number times 2**24 plus a count within that day, so FTS5 rowid order is
list-date order and a date range is a rowid range FTS5 seeks to (before: ids in insertion
order, and a date filter joined every match to ``papers``). ``paper_search_ids.upvotes``
(kept by triggers on ``sightings``) lets a minimum of upvotes be checked without aggregating
sightings per match. PostgreSQL gains only the (unused) column.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DAY = 1 << 24  # ids per list date; storage/search.py derives rowid ranges from it


def _day(list_date: str) -> str:
    """The first id of a list date's block (papers without a date: the oldest block)."""
    return f"(coalesce(CAST(julianday({list_date}) AS INTEGER), 0) * {DAY})"


def _next_id(list_date: str) -> str:
    """One past the highest id of the date's block."""
    first = _day(list_date)
    # ORDER BY … LIMIT 1 seeks; max(id) under a WHERE would scan the day's block.
    return (
        f"(coalesce((SELECT id FROM paper_search_ids WHERE id BETWEEN {first} "
        f"AND {first} + {DAY - 1} ORDER BY id DESC LIMIT 1), {first}) + 1)"
    )


_MAX_UPVOTES = "(SELECT max(s.upvotes) FROM sightings s WHERE s.arxiv_id = {0})"
_FTS = (
    "CREATE VIRTUAL TABLE papers_fts USING fts5("
    "title, abstract, tokenize = 'porter unicode61 remove_diacritics 2')"
)
_FILL = (
    "INSERT INTO papers_fts (rowid, title, abstract) SELECT i.id, p.title, "
    "coalesce(p.abstract, '') FROM papers p JOIN paper_search_ids i ON i.arxiv_id = p.arxiv_id"
)
_UNINDEX = """DELETE FROM papers_fts WHERE rowid =
            (SELECT id FROM paper_search_ids WHERE arxiv_id = {0}.arxiv_id);
        DELETE FROM paper_search_ids WHERE arxiv_id = {0}.arxiv_id;"""
_UNINDEX_OLD = _UNINDEX.format("old")
# A stale row of the same paper (a REPLACE fires no delete trigger) is dropped first.
_INDEX_NEW = _UNINDEX.format("new") + """
        INSERT INTO paper_search_ids (id, arxiv_id, upvotes)
            VALUES ({id}, new.arxiv_id, {upvotes});
        INSERT INTO papers_fts (rowid, title, abstract)
            SELECT id, new.title, coalesce(new.abstract, '') FROM paper_search_ids
            WHERE arxiv_id = new.arxiv_id;""".format(
    id=_next_id("new.list_date"), upvotes=_MAX_UPVOTES.format("new.arxiv_id")
)
_TRIGGERS = ("papers_fts_insert", "papers_fts_update", "papers_fts_delete", "papers_fts_redate")
_UPVOTE_TRIGGERS = (
    "sightings_upvotes_insert",
    "sightings_upvotes_update",
    "sightings_upvotes_delete",
)

_SQLITE_UP = (
    *(f"DROP TRIGGER IF EXISTS {t}" for t in _TRIGGERS),
    "DROP TABLE IF EXISTS papers_fts",
    "DELETE FROM paper_search_ids",
    # Ids by date, then arxiv id; upvotes aggregated once rather than per paper.
    f"""INSERT INTO paper_search_ids (id, arxiv_id, upvotes)
    SELECT {_day("p.list_date")} + row_number() OVER (PARTITION BY p.list_date
        ORDER BY p.arxiv_id), p.arxiv_id, u.upvotes
    FROM papers p LEFT JOIN (SELECT arxiv_id, max(upvotes) AS upvotes FROM sightings
        GROUP BY arxiv_id) u ON u.arxiv_id = p.arxiv_id""",
    _FTS,
    _FILL,
    f"""CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
        {_INDEX_NEW}
    END""",
    # Same date: the row keeps its id. A new date moves it to that date's block.
    """CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract ON papers
    WHEN (old.title IS NOT new.title OR old.abstract IS NOT new.abstract)
        AND old.list_date IS new.list_date BEGIN
        DELETE FROM papers_fts WHERE rowid =
            (SELECT id FROM paper_search_ids WHERE arxiv_id = old.arxiv_id);
        INSERT INTO papers_fts (rowid, title, abstract)
            SELECT id, new.title, coalesce(new.abstract, '') FROM paper_search_ids
            WHERE arxiv_id = new.arxiv_id;
    END""",
    f"""CREATE TRIGGER papers_fts_redate AFTER UPDATE OF list_date ON papers
    WHEN old.list_date IS NOT new.list_date BEGIN
        {_UNINDEX_OLD}
        {_INDEX_NEW}
    END""",
    f"""CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
        {_UNINDEX_OLD}
    END""",
    """CREATE TRIGGER sightings_upvotes_insert AFTER INSERT ON sightings
    WHEN new.upvotes IS NOT NULL BEGIN
        UPDATE paper_search_ids SET upvotes = new.upvotes
        WHERE arxiv_id = new.arxiv_id AND (upvotes IS NULL OR upvotes < new.upvotes);
    END""",
    f"""CREATE TRIGGER sightings_upvotes_update AFTER UPDATE OF upvotes, arxiv_id ON sightings
    WHEN old.upvotes IS NOT new.upvotes OR old.arxiv_id IS NOT new.arxiv_id BEGIN
        UPDATE paper_search_ids SET upvotes = {_MAX_UPVOTES.format("old.arxiv_id")}
        WHERE arxiv_id = old.arxiv_id;
        UPDATE paper_search_ids SET upvotes = {_MAX_UPVOTES.format("new.arxiv_id")}
        WHERE arxiv_id = new.arxiv_id;
    END""",
    f"""CREATE TRIGGER sightings_upvotes_delete AFTER DELETE ON sightings
    WHEN old.upvotes IS NOT NULL BEGIN
        UPDATE paper_search_ids SET upvotes = {_MAX_UPVOTES.format("old.arxiv_id")}
        WHERE arxiv_id = old.arxiv_id;
    END""",
)

# Back to 0008's index: ids in arxiv-id order, kept in insertion order by its triggers.
_SQLITE_DOWN = (
    *(f"DROP TRIGGER IF EXISTS {t}" for t in (*_TRIGGERS, *_UPVOTE_TRIGGERS)),
    "DROP TABLE IF EXISTS papers_fts",
    "DELETE FROM paper_search_ids",
    "INSERT INTO paper_search_ids (arxiv_id) SELECT arxiv_id FROM papers ORDER BY arxiv_id",
    _FTS,
    _FILL,
    """CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
        INSERT OR IGNORE INTO paper_search_ids (arxiv_id) VALUES (new.arxiv_id);
        INSERT INTO papers_fts (rowid, title, abstract)
            SELECT id, new.title, coalesce(new.abstract, '') FROM paper_search_ids
            WHERE arxiv_id = new.arxiv_id;
    END""",
    """CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract ON papers
    WHEN old.title IS NOT new.title OR old.abstract IS NOT new.abstract BEGIN
        DELETE FROM papers_fts WHERE rowid =
            (SELECT id FROM paper_search_ids WHERE arxiv_id = old.arxiv_id);
        INSERT INTO papers_fts (rowid, title, abstract)
            SELECT id, new.title, coalesce(new.abstract, '') FROM paper_search_ids
            WHERE arxiv_id = new.arxiv_id;
    END""",
    f"""CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
        {_UNINDEX_OLD}
    END""",
)


def upgrade() -> None:
    op.add_column("paper_search_ids", sa.Column("upvotes", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_DOWN:
            op.execute(statement)
    op.drop_column("paper_search_ids", "upvotes")
