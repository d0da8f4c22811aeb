"""Authors and bylines: one row per person (by ``author_key``), one per paper position, each
byline keeping the name as that paper prints it ("Zheng-Xin Yong" here, "Zheng Xin Yong" there)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from paperpulse.core.models import Author, Paper
from paperpulse.storage.bulk import among, chunks, insert_rows
from paperpulse.storage.merge import named_authors
from paperpulse.storage.schema import Base

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
    people = _upsert_authors(conn, [author for b in bylines.values() for author in b])
    stored: dict[str, list[tuple[int, str | None, str | None]]] = defaultdict(list)
    for chunk in chunks(sorted(bylines)):
        query = (
            select(
                _paper_authors.c.arxiv_id,
                _paper_authors.c.author_id,
                _paper_authors.c.affiliation,
                _paper_authors.c.name,
            )
            .where(among(conn.dialect, _paper_authors.c.arxiv_id, chunk))
            .order_by(_paper_authors.c.arxiv_id, _paper_authors.c.position)
        )
        for row in conn.execute(query):
            stored[row.arxiv_id].append((row.author_id, row.affiliation, row.name))

    replaced: list[str] = []
    inserts: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for arxiv_id, byline in bylines.items():
        wanted = [
            (people[key][0], author.affiliation, _own_spelling(people[key][1], author.name))
            for key, author in byline
        ]
        have = stored.get(arxiv_id, [])
        if [a for a, _, _ in have] != [a for a, _, _ in wanted]:
            if have:
                replaced.append(arxiv_id)
            inserts += [
                {"arxiv_id": arxiv_id, "position": i, "author_id": a, "affiliation": aff, "name": n}
                for i, (a, aff, n) in enumerate(wanted)
            ]
        else:  # the same people: affiliations fill in, the latest spelling wins
            changes += [
                {
                    "b_arxiv_id": arxiv_id,
                    "b_position": i,
                    "b_affiliation": new_aff if new_aff is not None else old_aff,
                    "b_name": new_name,
                }
                for i, ((_, old_aff, old_name), (_, new_aff, new_name)) in enumerate(
                    zip(have, wanted, strict=True)
                )
                if (new_aff is not None and new_aff != old_aff) or new_name != old_name
            ]
    for chunk in chunks(replaced):
        conn.execute(
            sa.delete(_paper_authors).where(among(conn.dialect, _paper_authors.c.arxiv_id, chunk))
        )
    insert_rows(conn, _paper_authors, inserts, lambda insert: insert.on_conflict_do_nothing())
    if changes:
        conn.execute(
            sa.update(_paper_authors)
            .where(
                _paper_authors.c.arxiv_id == bindparam("b_arxiv_id"),
                _paper_authors.c.position == bindparam("b_position"),
            )
            .values(affiliation=bindparam("b_affiliation"), name=bindparam("b_name")),
            changes,
        )


def load_authors(session: Session, ids: Sequence[str]) -> dict[str, tuple[Author, ...]]:
    """Each paper's byline in order; papers without one are absent."""
    authors: dict[str, list[Author]] = defaultdict(list)
    for chunk in chunks(ids):
        # Core columns, not ORM attributes: tens of thousands of plain tuples, no ORM loading.
        query = (
            select(
                _paper_authors.c.arxiv_id,
                sa.func.coalesce(_paper_authors.c.name, _authors.c.name),
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


def _upsert_authors(
    conn: Connection, people: Sequence[tuple[str, Author]]
) -> dict[str, tuple[int, str]]:
    """Insert unknown people (first spelling kept), learn HF user names; ``{key: (id, name)}``.

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
    ids: dict[str, tuple[int, str]] = {}
    stored_users: dict[str, str | None] = {}
    for chunk in chunks(keys):
        query = select(_authors.c.key, _authors.c.id, _authors.c.name, _authors.c.hf_user).where(
            among(conn.dialect, _authors.c.key, chunk)
        )
        # Plain tuples fetched at once: a first save reads ~10 authors a paper back.
        for key, author_id, name, hf_user in conn.execute(query).all():
            ids[key] = (author_id, name)
            stored_users[key] = hf_user
    missing = [key for key in keys if key not in ids]
    if missing:
        insert_rows(
            conn,
            _authors,
            [
                {"key": key, "name": firsts[key].name.strip(), "hf_user": hf_users.get(key)}
                for key in missing
            ],
            lambda insert: insert.on_conflict_do_nothing(index_elements=["key"]),
        )
        for chunk in chunks(missing):
            query = select(_authors.c.key, _authors.c.id, _authors.c.name).where(
                among(conn.dialect, _authors.c.key, chunk)
            )
            for key, author_id, name in conn.execute(query).all():
                ids[key] = (author_id, name)
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


def _own_spelling(known: str, printed: str) -> str | None:
    """The byline's own spelling when it really differs from the author's ("Zheng-Xin Yong" vs
    "Zheng Xin Yong"); None (show the author's) for mere case or spacing ("alan  TURING")."""
    printed = printed.strip()
    return None if known.casefold().split() == printed.casefold().split() else printed
