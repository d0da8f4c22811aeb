"""What each run was for, and when an email was handed to the mail server.

``runs.purpose``: "scheduled", "heal", "refresh" or "backfill" (NULL for runs recorded
before). ``deliveries.handed_at``: set just before the SMTP conversation of an attempt; a
claim that died before it may be taken over, one that died after it is unconfirmed and is
never sent again automatically.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("purpose", sa.String(16), nullable=True))
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("handed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("handed_at")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("purpose")
