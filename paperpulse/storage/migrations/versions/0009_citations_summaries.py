"""Paper identities, citation watch and news, the once-only announcements ledger, TL;DRs.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "paper_identities",
        sa.Column("alias", sa.String(320), nullable=False),
        sa.Column("key", sa.String(320), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("alias", name="pk_paper_identities"),
    )
    op.create_index("ix_paper_identities_key", "paper_identities", ["key"])
    op.create_table(
        "citation_watch",
        sa.Column("key", sa.String(320), nullable=False),
        sa.Column("lookup", sa.String(320), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("follow_citations", sa.Boolean(), nullable=False),
        sa.Column("citation_count", sa.Integer(), nullable=True),
        sa.Column("venue", sa.Text(), nullable=True),
        sa.Column("venue_at", _AT, nullable=True),
        sa.Column("venue_baseline", sa.Boolean(), nullable=False),
        sa.Column("synced_at", _AT, nullable=True),
        sa.Column("wanted_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_citation_watch"),
    )
    op.create_index("ix_citation_watch_wanted_at", "citation_watch", ["wanted_at"])
    op.create_table(
        "citations",
        sa.Column("cited_key", sa.String(320), nullable=False),
        sa.Column("citing_key", sa.String(320), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("venue", sa.Text(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("found_at", _AT, nullable=False),
        sa.Column("baseline", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("cited_key", "citing_key", name="pk_citations"),
    )
    op.create_table(
        "announcements",
        sa.Column("reader", sa.String(320), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(320), nullable=False),
        sa.Column("digest_key", sa.String(255), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("reader", "kind", "key", name="pk_announcements"),
    )
    op.create_table(
        "summaries",
        sa.Column("arxiv_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(64), nullable=False),
        sa.Column("prompt", sa.String(16), nullable=False),
        sa.Column("tldr", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("arxiv_id", "language", "prompt", name="pk_summaries"),
    )
    op.create_index("ix_summaries_created_at", "summaries", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_summaries_created_at", table_name="summaries")
    op.drop_table("summaries")
    op.drop_table("announcements")
    op.drop_table("citations")
    op.drop_index("ix_citation_watch_wanted_at", table_name="citation_watch")
    op.drop_table("citation_watch")
    op.drop_index("ix_paper_identities_key", table_name="paper_identities")
    op.drop_table("paper_identities")
