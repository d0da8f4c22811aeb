"""The reader's ledger: ``shown`` replaces ``sent_ledger``.

A paper is new to a reader once, whatever the edition (the old ledger was per edition and
forgot after 30 days), and a reader's "rising" is measured from the numbers their last digest
showed. Old announcements carry over as ``new_at`` (the earliest per reader and paper).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "shown",
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("arxiv_id", sa.String(64), nullable=False),
        sa.Column("new_at", UTC_TIME, nullable=True),
        sa.Column("new_digest", sa.String(255), nullable=True),
        sa.Column("seen_at", UTC_TIME, nullable=False),
        sa.Column("seen_digest", sa.String(255), nullable=True),
        sa.Column("seen_upvotes", sa.Integer(), nullable=True),
        sa.Column("prev_at", UTC_TIME, nullable=True),
        sa.Column("prev_digest", sa.String(255), nullable=True),
        sa.Column("prev_upvotes", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("recipient", "arxiv_id", name="pk_shown"),
    )
    op.execute(
        "INSERT INTO shown (recipient, arxiv_id, new_at, seen_at) "
        "SELECT recipient, arxiv_id, MIN(sent_at), MAX(sent_at) FROM sent_ledger "
        "GROUP BY recipient, arxiv_id"
    )
    op.drop_index("ix_sent_ledger_recipient_edition_sent_at", table_name="sent_ledger")
    op.drop_table("sent_ledger")
    op.create_index("ix_deliveries_recipient_channel", "deliveries", ["recipient", "channel"])
    op.create_index("ix_runs_status", "runs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_recipient_channel", table_name="deliveries")
    op.drop_index("ix_runs_status", table_name="runs")
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
    op.execute(
        "INSERT INTO sent_ledger (recipient, edition, arxiv_id, sent_at) "
        "SELECT recipient, 'daily', arxiv_id, new_at FROM shown WHERE new_at IS NOT NULL"
    )
    op.drop_table("shown")
