"""Initial schema: papers, authors, runs, sightings, deliveries, sent ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Written out (not imported from storage.schema) so this migration stays what it was when later
ones change the models; tests/storage check the two agree at head.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)
JSON_LIST = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("arxiv_id", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=True),
        sa.Column("published_at", UTC_TIME, nullable=True),
        sa.Column("list_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("primary_category", sa.String(64), nullable=True),
        sa.Column("categories", JSON_LIST, nullable=True),
        sa.Column("organization", sa.Text(), nullable=True),
        sa.Column("github_repo", sa.Text(), nullable=True),
        sa.Column("project_page", sa.Text(), nullable=True),
        sa.Column("ai_summary", sa.Text(), nullable=True),
        sa.Column("ai_keywords", JSON_LIST, nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("journal_ref", sa.Text(), nullable=True),
        sa.Column("doi", sa.Text(), nullable=True),
        sa.Column("first_seen_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("arxiv_id", name="pk_papers"),
    )
    op.create_index("ix_papers_list_date", "papers", ["list_date"])

    op.create_table(
        "authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("hf_user", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_authors"),
        sa.UniqueConstraint("key", name="uq_authors_key"),
    )

    op.create_table(
        "paper_authors",
        sa.Column("arxiv_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("affiliation", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("arxiv_id", "position", name="pk_paper_authors"),
        sa.ForeignKeyConstraint(
            ["arxiv_id"],
            ["papers.arxiv_id"],
            name="fk_paper_authors_arxiv_id_papers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["authors.id"], name="fk_paper_authors_author_id_authors"
        ),
    )
    op.create_index("ix_paper_authors_author_id", "paper_authors", ["author_id"])

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("period", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("declared", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.CheckConstraint(
            "status IN ('running', 'complete', 'empty', 'failed')", name="ck_runs_status"
        ),
    )
    op.create_index("ix_runs_source_period_status", "runs", ["source", "period", "status"])

    op.create_table(
        "sightings",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("arxiv_id", sa.String(64), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("period", sa.String(128), nullable=False),
        sa.Column("observed_at", UTC_TIME, nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("upvotes", sa.Integer(), nullable=True),
        sa.Column("comments", sa.Integer(), nullable=True),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("section", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sightings"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_sightings_run_id_runs"),
        sa.ForeignKeyConstraint(
            ["arxiv_id"], ["papers.arxiv_id"], name="fk_sightings_arxiv_id_papers"
        ),
        sa.UniqueConstraint("run_id", "arxiv_id", name="uq_sightings_run_id_arxiv_id"),
    )
    op.create_index(
        "ix_sightings_arxiv_id_observed_at", "sightings", ["arxiv_id", "observed_at"]
    )
    op.create_index("ix_sightings_source_period", "sightings", ["source", "period"])

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest_key", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", UTC_TIME, nullable=True),
        sa.Column("sent_at", UTC_TIME, nullable=True),
        sa.Column("message_id", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.UniqueConstraint(
            "digest_key",
            "channel",
            "recipient",
            name="uq_deliveries_digest_key_channel_recipient",
        ),
        sa.CheckConstraint(
            "status IN ('sending', 'sent', 'failed')", name="ck_deliveries_status"
        ),
    )

    op.create_table(
        "sent_ledger",
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("edition", sa.String(64), nullable=False),
        sa.Column("arxiv_id", sa.String(64), nullable=False),
        sa.Column("sent_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("recipient", "edition", "arxiv_id", name="pk_sent_ledger"),
    )
    op.create_index(
        "ix_sent_ledger_recipient_edition_sent_at",
        "sent_ledger",
        ["recipient", "edition", "sent_at"],
    )


def downgrade() -> None:
    for table in (
        "sent_ledger",
        "deliveries",
        "sightings",
        "runs",
        "paper_authors",
        "authors",
        "papers",
    ):
        op.drop_table(table)
