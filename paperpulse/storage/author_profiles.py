"""Followed authors' profile snapshots (h-index, paper and citation counts) as runs saw them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import select

from paperpulse.core.models import AuthorProfile
from paperpulse.storage.base import RepositoryBase, aware
from paperpulse.storage.convert import profile_from_json, profile_to_json
from paperpulse.storage.schema import AuthorProfileRow, Base

_profiles = Base.metadata.tables["author_profiles"]


class AuthorProfiles(RepositoryBase):
    """One row per observation, so a digest can say what changed since the last one."""

    def save_author_profile(
        self, run_id: int | None, name: str, profile: AuthorProfile, observed_at: datetime
    ) -> None:
        row = {
            "run_id": run_id,
            "name": name,
            "observed_at": aware(observed_at, "observed_at"),
            "author_id": profile.author_id,
            "h_index": profile.h_index,
            "paper_count": profile.paper_count,
            "citation_count": profile.citation_count,
            "profile": profile_to_json(profile),
        }
        with self._write(f"saving the profile of {name}") as conn:
            conn.execute(sa.insert(_profiles), [row])

    def author_profiles(
        self, name: str, *, until: datetime, limit: int = 2
    ) -> list[tuple[datetime, AuthorProfile]]:
        """The newest profile snapshots of a followed author up to ``until``, newest first."""
        query = (
            select(AuthorProfileRow)
            .where(
                AuthorProfileRow.name == name,
                AuthorProfileRow.observed_at <= aware(until, "until"),
            )
            .order_by(AuthorProfileRow.observed_at.desc(), AuthorProfileRow.id.desc())
            .limit(limit)
        )
        with self._read(f"reading the profiles of {name}") as session:
            return [
                (row.observed_at, profile_from_json(row.profile)) for row in session.scalars(query)
            ]
