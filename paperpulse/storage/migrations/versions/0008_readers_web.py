"""The reader's side on the web: suppression list, reader preferences, the link-signing key,
and full-text search over papers (SQLite FTS5 kept by triggers; PostgreSQL a generated
``tsvector`` column with a GIN index).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)

# The ids row exists before the text row; an unchanged title/abstract rewrites nothing.
_SQLITE_UP = (
    "CREATE VIRTUAL TABLE papers_fts USING fts5("
    "title, abstract, tokenize = 'porter unicode61 remove_diacritics 2')",
    "INSERT INTO paper_search_ids (arxiv_id) SELECT arxiv_id FROM papers ORDER BY arxiv_id",
    "INSERT INTO papers_fts (rowid, title, abstract) SELECT i.id, p.title, "
    "coalesce(p.abstract, '') FROM papers p JOIN paper_search_ids i ON i.arxiv_id = p.arxiv_id",
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
    """CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
        DELETE FROM papers_fts WHERE rowid =
            (SELECT id FROM paper_search_ids WHERE arxiv_id = old.arxiv_id);
        DELETE FROM paper_search_ids WHERE arxiv_id = old.arxiv_id;
    END""",
)
_SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS papers_fts_insert",
    "DROP TRIGGER IF EXISTS papers_fts_update",
    "DROP TRIGGER IF EXISTS papers_fts_delete",
    "DROP TABLE IF EXISTS papers_fts",
)
_POSTGRES_UP = (
    "ALTER TABLE papers ADD COLUMN search tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(abstract, '')), 'B')) STORED",
    "CREATE INDEX ix_papers_search ON papers USING gin (search)",
)
_POSTGRES_DOWN = ("DROP INDEX IF EXISTS ix_papers_search", "ALTER TABLE papers DROP COLUMN search")


def upgrade() -> None:
    op.create_table(
        "suppressions",
        sa.Column("reader", sa.String(320), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("reader", name="pk_suppressions"),
    )
    op.create_table(
        "reader_prefs",
        sa.Column("reader", sa.String(320), nullable=False),
        sa.Column("topics", _JSON, nullable=True),
        sa.Column("editions", _JSON, nullable=True),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reader", name="pk_reader_prefs"),
    )
    op.create_table(
        "web_keys",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_web_keys"),
    )
    op.create_table(
        "paper_search_ids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("arxiv_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_paper_search_ids"),
        sa.UniqueConstraint("arxiv_id", name="uq_paper_search_ids_arxiv_id"),
    )
    statements = _SQLITE_UP if op.get_bind().dialect.name == "sqlite" else _POSTGRES_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    statements = _SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else _POSTGRES_DOWN
    for statement in statements:
        op.execute(statement)
    op.drop_table("paper_search_ids")
    op.drop_table("web_keys")
    op.drop_table("reader_prefs")
    op.drop_table("suppressions")
