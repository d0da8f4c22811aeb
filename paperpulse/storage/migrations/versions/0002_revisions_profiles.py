"""Paper revisions, author profile snapshots, source families of papers, runs by start
time and by owning process.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("families", sa.String(64), nullable=True))
    op.create_table(
        "paper_revisions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("arxiv_id", sa.String(64), nullable=False),
        sa.Column("changed_at", UTC_TIME, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=True),
        sa.Column("github_repo", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["arxiv_id"], ["papers.arxiv_id"], ondelete="CASCADE",
            name="fk_paper_revisions_arxiv_id_papers",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_paper_revisions"),
    )
    op.create_index(
        "ix_paper_revisions_arxiv_id_changed_at", "paper_revisions", ["arxiv_id", "changed_at"]
    )
    op.create_table(
        "author_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("observed_at", UTC_TIME, nullable=False),
        sa.Column("author_id", sa.String(64), nullable=False),
        sa.Column("h_index", sa.Integer(), nullable=True),
        sa.Column("paper_count", sa.Integer(), nullable=True),
        sa.Column("citation_count", sa.Integer(), nullable=True),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_author_profiles_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_author_profiles"),
    )
    op.create_index(
        "ix_author_profiles_name_observed_at", "author_profiles", ["name", "observed_at"]
    )
    op.create_index("ix_runs_started_at", "runs", ["started_at"])
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("owner", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("owner")
    op.drop_index("ix_runs_started_at", table_name="runs")
    op.drop_index("ix_author_profiles_name_observed_at", table_name="author_profiles")
    op.drop_table("author_profiles")
    op.drop_index("ix_paper_revisions_arxiv_id_changed_at", table_name="paper_revisions")
    op.drop_table("paper_revisions")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("families")
