"""Hashed term counts of texts ranked for "For you", so a run tokenises only new texts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "term_counts",
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("counts", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_term_counts"),
    )
    op.create_index("ix_term_counts_created_at", "term_counts", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_term_counts_created_at", table_name="term_counts")
    op.drop_table("term_counts")
