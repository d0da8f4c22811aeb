"""How long saving one listing takes on SQLite (file, WAL) and PostgreSQL.

    python bench/save_listing.py [--papers 50] [--repeat 20] [--postgres URL]

Times three cases per backend: a listing of papers never seen (all inserts), the same
listing again in a new run (all no-op merges + sightings), and the same run re-saved
(idempotent). Prints the median and worst wall time of each. The PostgreSQL variant runs in
a throwaway schema when ``--postgres`` (or $PAPERPULSE_TEST_POSTGRES_URL) is given.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from paperpulse.core.models import Author, Listing, ListingItem, Paper
from paperpulse.storage import Repository, create_engine, upgrade

T0 = datetime(2026, 8, 3, 6, 0, tzinfo=UTC)


def listing(day: int, papers: int, period: str) -> Listing:
    items = tuple(
        ListingItem(
            paper=Paper(
                arxiv_id=f"26{day:02d}.{i:05d}",
                title=f"A paper about topic {i}",
                authors=tuple(Author(name=f"Author {i % 97} {j}") for j in range(5)),
                abstract="word " * 200,
                published_at=T0,
                list_date=date(2026, 8, 3),
                version=1,
                categories=("cs.LG", "cs.CL"),
                github_repo=f"https://github.com/org/repo{i}",
                ai_keywords=("a", "b", "c"),
            ),
            rank=i,
            upvotes=i * 3,
        )
        for i in range(1, papers + 1)
    )
    return Listing(source="hf-daily", period=period, url="https://x", fetched_at=T0, items=items)


def timed(repo: Repository, run_id: int, page: Listing) -> float:
    start = time.perf_counter()
    repo.save_listing(run_id, page, T0)
    return (time.perf_counter() - start) * 1000


def bench(name: str, url: str, papers: int, repeat: int) -> None:
    engine = create_engine(url)
    upgrade(engine)
    repo = Repository(engine)
    cases: dict[str, list[float]] = {"new papers": [], "same papers, new run": [], "same run": []}
    for day in range(1, repeat + 1):
        page = listing(day, papers, period=f"2026-08-{day:02d}")
        first = repo.start_exclusive_run("hf-daily", page.period, None, T0)
        assert first is not None
        cases["new papers"].append(timed(repo, first, page))
        second = repo.start_exclusive_run("hf-daily", page.period, None, T0 + timedelta(hours=1))
        assert second is not None
        cases["same papers, new run"].append(timed(repo, second, page))
        cases["same run"].append(timed(repo, second, page))
    for case, times in cases.items():
        print(
            f"{name:10} {papers:5d} papers  {case:22} "
            f"median {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms"
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres", default=os.environ.get("PAPERPULSE_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench("sqlite", f"sqlite:///{tmp}/bench.db", args.papers, args.repeat)
    if args.postgres:
        schema = f"pp_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        try:
            url = f"{args.postgres}?options=-csearch_path%3D{schema}"
            bench("postgresql", url, args.papers, args.repeat)
        finally:
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()


if __name__ == "__main__":
    main()
