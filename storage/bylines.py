"""Authors and bylines: one row per person (by normalized name), one per paper position."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from scrapers.models import Author, Paper
from storage.bulk import among, chunks, insert
from storage.merge import named_authors
from storage.schema import Base

_authors = Base.metadata.tables["authors"]
_paper_authors = Base.metadata.tables["paper_authors"]


def save_bylines(conn: Connection, papers: Sequence[Paper]) -> None:
    """Upsert the authors of ``papers`` and their bylines, in bulk.

    A paper without authors keeps its stored byline (unknown never erases). The same list
    of people adds no rows (affiliations may fill in); a different list replaces the byline.
    """
    bylines = {p.arxiv_id: b for p in papers if (b := named_authors(p.authors))}
    if not bylines:
        return
    author_ids = _upsert_authors(conn, [author for b in bylines.values() for author in b])
    stored: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
    for chunk in chunks(sorted(bylines)):
        query = (
            select(
                _paper_authors.c.arxiv_id, _paper_authors.c.author_id, _paper_authors.c.affiliation
            )
            .where(among(conn.dialect, _paper_authors.c.arxiv_id, chunk))
            .order_by(_paper_authors.c.arxiv_id, _paper_authors.c.position)
        )
        for row in conn.execute(query):
            stored[row.arxiv_id].append((row.author_id, row.affiliation))

    replaced: list[str] = []
    inserts: list[dict[str, Any]] = []
    affiliations: list[dict[str, Any]] = []
    for arxiv_id, byline in bylines.items():
        wanted = [(author_ids[key], author.affiliation) for key, author in byline]
        have = stored.get(arxiv_id, [])
        if [a for a, _ in have] != [a for a, _ in wanted]:
            if have:
                replaced.append(arxiv_id)
            inserts += [
                {"arxiv_id": arxiv_id, "position": i, "author_id": a, "affiliation": aff}
                for i, (a, aff) in enumerate(wanted)
            ]
        else:
            affiliations += [
                {"b_arxiv_id": arxiv_id, "b_position": i, "b_affiliation": new}
                for i, ((_, old), (_, new)) in enumerate(zip(have, wanted, strict=True))
                if new is not None and new != old
            ]
    for chunk in chunks(replaced):
        conn.execute(
            sa.delete(_paper_authors).where(among(conn.dialect, _paper_authors.c.arxiv_id, chunk))
        )
    if inserts:
        conn.execute(insert(conn.dialect, _paper_authors).on_conflict_do_nothing(), inserts)
    if affiliations:
        conn.execute(
            sa.update(_paper_authors)
            .where(
                _paper_authors.c.arxiv_id == bindparam("b_arxiv_id"),
                _paper_authors.c.position == bindparam("b_position"),
            )
            .values(affiliation=bindparam("b_affiliation")),
            affiliations,
        )


def load_authors(session: Session, ids: Sequence[str]) -> dict[str, tuple[Author, ...]]:
    """Each paper's byline in order; papers without one are absent."""
    authors: dict[str, list[Author]] = defaultdict(list)
    for chunk in chunks(ids):
        # Core columns, not ORM attributes: tens of thousands of plain tuples, no ORM loading.
        query = (
            select(
                _paper_authors.c.arxiv_id,
                _authors.c.name,
                _authors.c.hf_user,
                _paper_authors.c.affiliation,
            )
            .join(_authors, _authors.c.id == _paper_authors.c.author_id)
            .where(among(session.get_bind().dialect, _paper_authors.c.arxiv_id, chunk))
            .order_by(_paper_authors.c.arxiv_id, _paper_authors.c.position)
        )
        for arxiv_id, name, hf_user, affiliation in session.execute(query):
            authors[arxiv_id].append(Author(name=name, hf_user=hf_user, affiliation=affiliation))
    return {arxiv_id: tuple(byline) for arxiv_id, byline in authors.items()}


def _upsert_authors(conn: Connection, people: Sequence[tuple[str, Author]]) -> dict[str, int]:
    """Insert unknown people (first spelling kept), learn HF user names; ``{key: id}``.

    Reads before writing: a re-observed listing names people already stored, and one
    ``SELECT`` per chunk costs far less than an upsert per author. Saves hold the write lock
    (SQLite) or the save lock (PostgreSQL), so nobody inserts between the read and the write;
    the insert still ignores conflicts.
    """
    firsts: dict[str, Author] = {}
    hf_users: dict[str, str] = {}
    for key, author in people:
        firsts.setdefault(key, author)
        if author.hf_user:
            hf_users.setdefault(key, author.hf_user)
    keys = sorted(firsts)  # one lock order for every writer
    ids: dict[str, int] = {}
    stored_users: dict[str, str | None] = {}
    for chunk in chunks(keys):
        query = select(_authors.c.key, _authors.c.id, _authors.c.hf_user).where(
            among(conn.dialect, _authors.c.key, chunk)
        )
        for row in conn.execute(query):
            ids[row.key] = row.id
            stored_users[row.key] = row.hf_user
    missing = [key for key in keys if key not in ids]
    if missing:
        conn.execute(
            insert(conn.dialect, _authors).on_conflict_do_nothing(index_elements=["key"]),
            [
                {"key": key, "name": firsts[key].name.strip(), "hf_user": hf_users.get(key)}
                for key in missing
            ],
        )
        for chunk in chunks(missing):
            query = select(_authors.c.key, _authors.c.id).where(
                among(conn.dialect, _authors.c.key, chunk)
            )
            ids.update((row.key, row.id) for row in conn.execute(query))
    learned = [
        {"b_key": key, "b_hf_user": user}
        for key, user in sorted(hf_users.items())
        if key in stored_users and stored_users[key] != user
    ]
    if learned:
        conn.execute(
            sa.update(_authors)
            .where(_authors.c.key == bindparam("b_key"))
            .values(hf_user=bindparam("b_hf_user")),
            learned,
        )
    return ids
