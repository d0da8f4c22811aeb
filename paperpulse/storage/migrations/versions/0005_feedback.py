"""Readers' likes and hides ("For you" feedback), one row per reader, paper and origin.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("reader", sa.String(320), nullable=False),
        sa.Column("arxiv_id", sa.String(64), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("signal", sa.String(8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("signal IN ('like', 'hide')", name="ck_feedback_signal"),
        sa.PrimaryKeyConstraint("reader", "arxiv_id", "origin", name="pk_feedback"),
    )


def downgrade() -> None:
    op.drop_table("feedback")
