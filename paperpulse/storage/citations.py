"""Paper identities, the citation watch, citations found, and the once-only announcements.

- ``paper_identities``: every alias of a paper maps to one key. A new paper's key is its most
  stable alias (its arXiv id if any); when one answer names two papers we held apart (a DOI
  seen alone, then with its arXiv id), their keys are merged into the older one, and so are
  the announcements made under the other, so nothing is announced twice.
- ``citation_watch`` / ``citations``: what Semantic Scholar last said of each watched paper,
  and every citing paper found, flagged ``baseline`` when it was there at the first look.
- ``announcements``: (reader, kind, key) once, with the digest that carried it: a re-run of
  that digest shows it again; any later digest does not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from paperpulse.core.scholarly import CitingPaper, PaperIds, ScholarPaper, VenueNews
from paperpulse.storage import bulk
from paperpulse.storage.base import RepositoryBase
from paperpulse.storage.schema import Base

_identities = Base.metadata.tables["paper_identities"]
_watch = Base.metadata.tables["citation_watch"]
_citations = Base.metadata.tables["citations"]
_announcements = Base.metadata.tables["announcements"]
_shown = Base.metadata.tables["shown"]
_papers = Base.metadata.tables["papers"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Wanted:
    """A paper to watch: how S2 is asked, its title, whether its citations are followed."""

    lookup: str
    title: str
    citations: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Watched:
    key: str
    lookup: str
    title: str
    follow_citations: bool
    citation_count: int | None
    venue: str | None
    synced_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalPaper:
    """What the papers table knows of a paper (arXiv's journal_ref and DOI)."""

    arxiv_id: str
    title: str
    journal_ref: str | None
    doi: str | None


class CitationStore(RepositoryBase):
    """The tables above over one engine; one transaction per method."""

    # ------------------------------------------------------------ identities

    def resolve(self, papers: Sequence[PaperIds], at: datetime) -> list[str]:
        """The key of each paper, in order: known aliases decide it, new aliases join it."""
        with self._write("resolving paper identities") as conn:
            return [self._resolve_one(conn, ids, at) for ids in papers]

    def _resolve_one(self, conn: Connection, ids: PaperIds, at: datetime) -> str:
        aliases = ids.aliases
        if not aliases:
            raise ValueError("a paper needs at least one id")
        rows = conn.execute(
            select(_identities.c.alias, _identities.c.key, _identities.c.created_at).where(
                _identities.c.alias.in_(aliases)
            )
        ).all()
        keys: dict[str, datetime] = {str(row.key): row.created_at for row in rows}
        if keys:
            key = min(keys, key=lambda k: (keys[k], k))  # the oldest identity wins
            for other in set(keys) - {key}:
                self._merge(conn, other, into=key)
        else:
            key = aliases[0]
        known = {row.alias for row in rows}
        fresh = [{"alias": a, "key": key, "created_at": at} for a in aliases if a not in known]
        if fresh:
            conn.execute(
                bulk.insert(conn.dialect, _identities).on_conflict_do_nothing(
                    index_elements=["alias"]
                ),
                fresh,
            )
        return key

    @staticmethod
    def _merge(conn: Connection, old: str, *, into: str) -> None:
        conn.execute(update(_identities).where(_identities.c.key == old).values(key=into))
        moved = conn.execute(select(_announcements).where(_announcements.c.key == old)).all()
        if moved:
            conn.execute(
                bulk.insert(conn.dialect, _announcements).on_conflict_do_nothing(),
                [{**row._mapping, "key": into} for row in moved],
            )
            conn.execute(delete(_announcements).where(_announcements.c.key == old))

    # ------------------------------------------------------------ the watch

    def watch(self, wanted: Mapping[str, Wanted], at: datetime) -> None:
        """Watch these papers (by key) from now on; following citations is never turned off
        by a reader who only had it announced."""
        rows = [
            {
                "key": key,
                "lookup": w.lookup,
                "title": w.title,
                "follow_citations": w.citations,
                "venue_baseline": False,
                "wanted_at": at,
            }
            for key, w in sorted(wanted.items())
        ]
        with self._write("watching papers") as conn:
            for chunk in bulk.chunks(rows, 500):
                stmt = bulk.insert(conn.dialect, _watch)
                excluded = stmt.excluded
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["key"],
                        set_={
                            "wanted_at": excluded.wanted_at,
                            "follow_citations": sa.or_(
                                _watch.c.follow_citations, excluded.follow_citations
                            ),
                        },
                    ),
                    list(chunk),
                )

    def watched(self, keys: Iterable[str]) -> dict[str, Watched]:
        wanted = sorted(set(keys))
        found: dict[str, Watched] = {}
        with self._connect("reading the citation watch") as conn:
            for chunk in bulk.chunks(wanted):
                query = select(_watch).where(bulk.among(conn.dialect, _watch.c.key, chunk))
                for row in conn.execute(query):
                    found[row.key] = Watched(
                        key=row.key,
                        lookup=row.lookup,
                        title=row.title,
                        follow_citations=bool(row.follow_citations),
                        citation_count=row.citation_count,
                        venue=row.venue,
                        synced_at=row.synced_at,
                    )
        return found

    def record_answer(
        self,
        key: str,
        *,
        at: datetime,
        paper: ScholarPaper | None,
        venue: str | None,
        citation_count: int | None,
    ) -> None:
        """What S2 (and the papers table) said of a watched paper now. A venue first known
        at the first answer is the baseline; one appearing later is news."""
        with self._write("recording a watched paper") as conn:
            row = conn.execute(select(_watch).where(_watch.c.key == key)).first()
            if row is None:
                return
            values: dict[str, object] = {"synced_at": at}
            if paper is not None:
                values["lookup"] = paper.ids.lookup or row.lookup
                values["title"] = row.title or paper.title
            if citation_count is not None:
                values["citation_count"] = citation_count
            if venue and not row.venue:
                values.update(venue=venue, venue_at=at, venue_baseline=row.synced_at is None)
            conn.execute(update(_watch).where(_watch.c.key == key).values(**values))

    def local_papers(self, arxiv_ids: Iterable[str]) -> dict[str, LocalPaper]:
        wanted = sorted(set(arxiv_ids))
        found: dict[str, LocalPaper] = {}
        cols = (_papers.c.arxiv_id, _papers.c.title, _papers.c.journal_ref, _papers.c.doi)
        with self._connect("reading papers") as conn:
            for chunk in bulk.chunks(wanted):
                query = select(*cols).where(bulk.among(conn.dialect, _papers.c.arxiv_id, chunk))
                for row in conn.execute(query):
                    found[row.arxiv_id] = LocalPaper(
                        arxiv_id=row.arxiv_id,
                        title=row.title,
                        journal_ref=row.journal_ref,
                        doi=row.doi,
                    )
        return found

    def announced_papers(self, reader: str, since: datetime) -> list[str]:
        """arXiv ids announced as new to ``reader`` since ``since`` (their venue is watched)."""
        query = select(_shown.c.arxiv_id).where(
            _shown.c.recipient == reader, _shown.c.new_at >= since
        )
        with self._connect("reading what was announced") as conn:
            return sorted(conn.execute(query).scalars())

    # ------------------------------------------------------------ citations

    def citing_keys(self, cited_key: str) -> set[str]:
        query = select(_citations.c.citing_key).where(_citations.c.cited_key == cited_key)
        with self._connect("reading citations") as conn:
            return set(conn.execute(query).scalars())

    def add_citations(
        self,
        cited_key: str,
        citing: Sequence[tuple[str, ScholarPaper]],
        *,
        baseline: bool,
        at: datetime,
    ) -> int:
        rows = [
            {
                "cited_key": cited_key,
                "citing_key": key,
                "title": paper.title or "(untitled)",
                "url": paper.url,
                "venue": paper.venue,
                "year": paper.year,
                "found_at": at,
                "baseline": baseline,
            }
            for key, paper in citing
        ]
        with self._write("recording citations") as conn:
            for chunk in bulk.chunks(rows, 500):
                conn.execute(
                    bulk.insert(conn.dialect, _citations).on_conflict_do_nothing(),
                    list(chunk),
                )
        return len(rows)

    # ------------------------------------------------------------ news and the ledger

    def citing_news(
        self, reader: str, cited: Mapping[str, str], digest_key: str
    ) -> list[CitingPaper]:
        """Papers citing any of ``cited`` ({key: title as the reader knows it}) not baseline
        and not announced to ``reader`` by another digest; one entry per citing paper."""
        keys = sorted(cited)
        news: dict[str, CitingPaper] = {}
        with self._connect("reading citation news") as conn:
            for chunk in bulk.chunks(keys):
                query = (
                    select(_citations)
                    .where(bulk.among(conn.dialect, _citations.c.cited_key, chunk))
                    .where(_citations.c.baseline.is_(False))
                    .order_by(_citations.c.found_at, _citations.c.citing_key)
                )
                for row in conn.execute(query):
                    citing_key = self._current_key(conn, row.citing_key)
                    if citing_key in keys:
                        continue  # one of the reader's own papers citing another
                    before = news.get(citing_key)
                    names = (
                        (*before.cites, cited[row.cited_key]) if before else (cited[row.cited_key],)
                    )
                    news[citing_key] = CitingPaper(
                        key=citing_key,
                        title=row.title,
                        url=row.url,
                        venue=row.venue,
                        year=row.year,
                        cites=tuple(dict.fromkeys(names)),
                    )
            done = self._announced(conn, reader, "cites", list(news), digest_key)
        return [paper for key, paper in news.items() if key not in done]

    def venue_news(self, reader: str, keys: Mapping[str, str], digest_key: str) -> list[VenueNews]:
        """Watched papers of ``keys`` ({key: url}) that gained a venue after their first
        look and were not announced so to ``reader`` by another digest."""
        news: list[VenueNews] = []
        with self._connect("reading venue news") as conn:
            for chunk in bulk.chunks(sorted(keys)):
                query = (
                    select(_watch.c.key, _watch.c.title, _watch.c.venue)
                    .where(bulk.among(conn.dialect, _watch.c.key, chunk))
                    .where(_watch.c.venue_at.is_not(None), _watch.c.venue_baseline.is_(False))
                    .order_by(_watch.c.venue_at, _watch.c.key)
                )
                news += [
                    VenueNews(key=r.key, title=r.title or r.key, url=keys[r.key], venue=r.venue)
                    for r in conn.execute(query)
                ]
            done = self._announced(conn, reader, "venue", [n.key for n in news], digest_key)
        return [n for n in news if n.key not in done]

    def record_announced(
        self, reader: str, digest_key: str, items: Iterable[tuple[str, str]], at: datetime
    ) -> None:
        """Mark ``(kind, key)`` items told to ``reader`` in ``digest_key``: never again."""
        rows = [
            {"reader": reader, "kind": kind, "key": key, "digest_key": digest_key, "at": at}
            for kind, key in sorted(set(items))
        ]
        if not rows:
            return
        with self._write(f"recording announcements to {reader}") as conn:
            conn.execute(bulk.insert(conn.dialect, _announcements).on_conflict_do_nothing(), rows)

    @staticmethod
    def _announced(
        conn: Connection, reader: str, kind: str, keys: Sequence[str], digest_key: str
    ) -> set[str]:
        found: set[str] = set()
        for chunk in bulk.chunks(list(keys)):
            query = select(_announcements.c.key).where(
                _announcements.c.reader == reader,
                _announcements.c.kind == kind,
                _announcements.c.digest_key != digest_key,
                bulk.among(conn.dialect, _announcements.c.key, chunk),
            )
            found.update(conn.execute(query).scalars())
        return found

    @staticmethod
    def _current_key(conn: Connection, key: str) -> str:
        """A key merged into another since it was stored answers as the one it joined."""
        now = conn.execute(select(_identities.c.key).where(_identities.c.alias == key)).scalar()
        return now or key
