"""Author keys follow the one name rule (``paperpulse.core.names.author_key``): "Dong, Hanze"
and "Hanze Dong" become one author; their bylines point at the oldest row and keep the name
as each paper printed it (a new ``paper_authors.name``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from paperpulse.core.names import author_key

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

authors = sa.table(
    "authors", sa.column("id", sa.Integer), sa.column("key", sa.String), sa.column("name", sa.Text)
)
paper_authors = sa.table(
    "paper_authors", sa.column("author_id", sa.Integer), sa.column("name", sa.Text)
)


def upgrade() -> None:
    with op.batch_alter_table("paper_authors") as batch:
        batch.add_column(sa.Column("name", sa.Text(), nullable=True))
    conn = op.get_bind()
    groups: dict[str, list[int]] = defaultdict(list)
    old_keys: dict[int, str] = {}
    names: dict[int, str] = {}
    for author_id, key, name in conn.execute(
        sa.select(authors.c.id, authors.c.key, authors.c.name)
    ):
        names[author_id] = name
        new = author_key(name) or key  # a name with no letters keeps its old key
        groups[new].append(author_id)
        old_keys[author_id] = key
    for new, ids in groups.items():
        keep, *merged = sorted(ids)
        if merged:
            # Each merged byline keeps the spelling its row had (NULL: the kept author's own).
            for author_id in merged:
                conn.execute(
                    paper_authors.update()
                    .where(paper_authors.c.author_id == author_id)
                    .values(name=names[author_id])
                )
            conn.execute(
                paper_authors.update()
                .where(paper_authors.c.author_id.in_(merged))
                .values(author_id=keep)
            )
            conn.execute(authors.delete().where(authors.c.id.in_(merged)))
        if old_keys[keep] != new:
            conn.execute(authors.update().where(authors.c.id == keep).values(key=new))


def downgrade() -> None:
    """Keys stay merged (the old rule's split cannot be recovered); the spelling column goes."""
    with op.batch_alter_table("paper_authors") as batch:
        batch.drop_column("name")
