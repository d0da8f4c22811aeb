"""Benchmark 2, upsert: saving listings with our bulk statements vs a per-row ORM merge.

    python -m bench.upsert [--papers N] [--runs R] [--per-listing L] [--baseline-share F]
                           [--postgres URL | --no-postgres] [--rounds N] [--quick] [--json PATH]

The work is what a backfill and its daily refreshes write: ``--papers`` synthetic papers
(``bench.corpus``: realistic fields, ~10 authors each) in HF-daily listings of
``--per-listing`` papers, each listing observed ``--runs`` times. Two cases per database:

- **first run**: every paper is new (a papers row, its byline, its authors, one sighting);
- **re-observations**: runs 2..R of the same listings (every paper merged again, one sighting
  each), on top of a first run written in the untimed setup (and, on PostgreSQL, ANALYZEd
  there: the statistics autovacuum would have gathered; the first-run case starts from empty
  tables without any, as a new database does).

Ours is ``Repository.save_listing`` (bulk ``INSERT .. ON CONFLICT`` / executemany, a handful of
statements per listing, all merge rules included). The baseline (``bench.naive``) writes the
same rows one ORM call at a time; it is so slow that it processes only ``--baseline-share`` of
the listings, and both are compared per paper or per sighting (rates are flat in size: each
row costs the baseline its own round trips). Before timing, both write one listing twice into
empty databases and must leave the same row counts. Every round starts from an empty database.
The full size of the issue is ``--papers 100000 --runs 10`` (1M sightings).
"""

from __future__ import annotations

import argparse
import functools
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.corpus import corpus_listings, corpus_papers
from bench.databases import (
    BenchDatabase,
    postgres_database,
    postgres_url_from_env,
    sqlite_database,
)
from bench.harness import (
    BenchmarkError,
    Case,
    Competitor,
    Result,
    arguments,
    machine,
    main_guard,
    measure,
    per_unit,
    report,
)
from bench.naive import naive_save, row_counts
from paperpulse.core.models import Listing
from paperpulse.storage import Repository

OURS = "paperpulse save_listing (bulk)"
PREPARED_FIX = "d6f7755"  # storage: no server-side prepared statements on PostgreSQL
PREPARED = f"save_listing, psycopg prepares (before {PREPARED_FIX})"
NAIVE = "per-row ORM merge"
LIBRARIES = ("sqlalchemy", "psycopg")
T0 = datetime(2024, 8, 1, 6, 0, tzinfo=UTC)
DEFAULTS = {"papers": 10_000, "runs": 3, "per_listing": 500, "baseline_share": 0.1}
QUICK = {"papers": 120, "runs": 2, "per_listing": 40, "baseline_share": 0.34}


@dataclass(frozen=True, slots=True, kw_only=True)
class Workload:
    """The listings of every observation: ``observations[k]`` is run k+1 of every listing."""

    papers: int
    per_listing: int
    observations: tuple[tuple[Listing, ...], ...]
    share: int  # listings the baseline processes per observation

    @property
    def runs(self) -> int:
        return len(self.observations)

    def papers_in(self, listings: int) -> int:
        return sum(len(listing.items) for listing in self.observations[0][:listings])


def workload(papers: int, runs: int, per_listing: int, baseline_share: float) -> Workload:
    corpus = corpus_papers(papers)
    observations = tuple(
        tuple(
            corpus_listings(
                corpus,
                per_listing=per_listing,
                fetched_at=T0 + timedelta(hours=k),
                observation=k,
            )
        )
        for k in range(runs)
    )
    count = len(observations[0])
    share = min(count, max(1, round(count * baseline_share)))
    return Workload(papers=papers, per_listing=per_listing, observations=observations, share=share)


def save_ours(repo: Repository, listings: Sequence[Listing]) -> None:
    for listing in listings:
        run_id = repo.start_exclusive_run(
            listing.source, listing.period, listing.url, listing.fetched_at
        )
        assert run_id is not None
        repo.save_listing(run_id, listing, listing.fetched_at, finished_at=listing.fetched_at)


def save_naive(database: BenchDatabase, listings: Sequence[Listing]) -> None:
    for listing in listings:
        naive_save(database.plain_engine, listing, listing.fetched_at)


def check_same_rows(database: BenchDatabase, work: Workload) -> None:
    """Both competitors, one listing observed twice, each from empty: the same row counts."""
    repo = Repository(database.engine)
    sample = [obs[:1] for obs in work.observations[:2]]
    counts = []
    savers: list[Callable[[Sequence[Listing]], None]] = [
        lambda listings: save_ours(repo, listings),
        lambda listings: save_naive(database, listings),
    ]
    for save in savers:
        database.reset()
        for listings in sample:
            save(listings)
        counts.append(row_counts(database.engine))
    if counts[0] != counts[1]:
        raise BenchmarkError(
            f"{database.label}: {OURS} and {NAIVE} wrote different rows for the same listing "
            f"({counts[0]} vs {counts[1]}); fix bench/naive.py before timing"
        )


def build_cases(
    database: BenchDatabase,
    work: Workload,
    *,
    analyze: bool = True,
    variants: Sequence[tuple[str, Repository]] = (),
) -> tuple[list[Case], dict[tuple[str, str], int]]:
    """Per database: the new-papers case and (with 2+ runs) the papers-seen-again case.

    ``variants`` are further save_listing competitors (another engine: a before/after), timed
    on the whole work like ours.
    """
    repo = Repository(database.engine)
    first, later = work.observations[0], work.observations[1:]
    share = work.share

    def fresh() -> None:
        database.reset()

    def after_first_run(listings: Sequence[Listing]) -> Callable[[], None]:
        def setup() -> None:
            database.reset()
            save_ours(repo, listings)
            if analyze:
                database.analyze()

        return setup

    def each(save: Callable[[Sequence[Listing]], None], count: int) -> Callable[[], None]:
        def run() -> None:
            for listings in later:
                save(listings[:count])

        return run

    ours_papers, naive_papers = work.papers, work.papers_in(share)
    savers = [(OURS, repo), *variants]
    first_case = f"{database.label}: new papers"
    cases = [
        Case(
            name=first_case,
            unit="paper",
            baseline=NAIVE,
            warmup=False,
            competitors=(
                *(
                    Competitor(
                        name=name,
                        setup=fresh,
                        run=functools.partial(save_ours, saver, first),
                        extra=(("work per round", f"{ours_papers:,} papers"),),
                    )
                    for name, saver in savers
                ),
                Competitor(
                    name=NAIVE,
                    setup=fresh,
                    run=lambda: save_naive(database, first[:share]),
                    extra=(("work per round", f"{naive_papers:,} papers"),),
                ),
            ),
        )
    ]
    units = {(first_case, name): ours_papers for name, _ in savers}
    units[(first_case, NAIVE)] = naive_papers
    if later:
        again = f"{database.label}: papers seen again"
        ours_sightings, naive_sightings = ours_papers * len(later), naive_papers * len(later)
        cases.append(
            Case(
                name=again,
                unit="sighting",
                baseline=NAIVE,
                warmup=False,
                competitors=(
                    *(
                        Competitor(
                            name=name,
                            setup=after_first_run(first),
                            run=each(functools.partial(save_ours, saver), len(first)),
                            extra=(("work per round", f"{ours_sightings:,} sightings"),),
                        )
                        for name, saver in savers
                    ),
                    Competitor(
                        name=NAIVE,
                        setup=after_first_run(first[:share]),
                        run=each(lambda listings: save_naive(database, listings), share),
                        extra=(("work per round", f"{naive_sightings:,} sightings"),),
                    ),
                ),
            )
        )
        units |= {(again, name): ours_sightings for name, _ in savers}
        units[(again, NAIVE)] = naive_sightings
    return cases, units


def _extra_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--papers", type=int, help=f"default {DEFAULTS['papers']:,}")
    parser.add_argument(
        "--runs", type=int, help=f"observations of each listing (default {DEFAULTS['runs']})"
    )
    parser.add_argument(
        "--per-listing", type=int, help=f"papers per listing (default {DEFAULTS['per_listing']})"
    )
    parser.add_argument(
        "--baseline-share",
        type=float,
        help="fraction of the listings the per-row baseline writes "
        f"(default {DEFAULTS['baseline_share']})",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL server to measure too (default: $PAPERPULSE_BENCH_POSTGRES_URL, else "
        "$PAPERPULSE_TEST_POSTGRES_URL); a database of our own is created there and dropped",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="PostgreSQL: no ANALYZE before the re-observations (a server without autovacuum)",
    )
    parser.add_argument(
        "--prepared-too",
        action="store_true",
        help=f"PostgreSQL: also time save_listing on an engine that lets psycopg prepare "
        f"statements, as paperpulse did before {PREPARED_FIX}",
    )


def run(argv: Sequence[str] | None = None) -> str:
    options = arguments(
        __doc__.splitlines()[0] if __doc__ else "upsert benchmark",
        argv,
        extra=_extra_options,
        default_rounds=5,
    )
    more = options.more
    sizes = dict(QUICK if options.quick else DEFAULTS)
    for key in sizes:
        if getattr(more, key) is not None:
            sizes[key] = getattr(more, key)
    if not 0 < sizes["baseline_share"] <= 1:
        raise BenchmarkError("--baseline-share must be in (0, 1]")
    if sizes["runs"] < 1 or sizes["papers"] < 1 or sizes["per_listing"] < 1:
        raise BenchmarkError("--papers, --runs and --per-listing must be at least 1")
    work = workload(
        int(sizes["papers"]),
        int(sizes["runs"]),
        int(sizes["per_listing"]),
        float(sizes["baseline_share"]),
    )
    server = None if more.no_postgres else (more.postgres or postgres_url_from_env())
    host = machine(LIBRARIES)
    results: list[Result] = []
    if more.no_sqlite and not server:
        raise BenchmarkError("--no-sqlite needs a PostgreSQL server (--postgres URL)")
    with tempfile.TemporaryDirectory(prefix="pp-bench-upsert-") as tmp:
        databases = [] if more.no_sqlite else [sqlite_database(Path(tmp), "upsert")]
        try:
            if server:
                databases.append(postgres_database(server, "upsert"))
            for database in databases:
                check_same_rows(database, work)
                variants = (
                    [(PREPARED, Repository(database.plain_engine))]
                    if more.prepared_too and database.dialect == "postgresql"
                    else []
                )
                cases, units = build_cases(
                    database, work, analyze=not more.no_analyze, variants=variants
                )
                timed = measure(cases, rounds=options.rounds)
                first = [r for r in timed if r.unit == "paper"]
                rest = [r for r in timed if r.unit == "sighting"]
                results += per_unit(first, units, "row") + per_unit(rest, units, "row")
        finally:
            for database in databases:
                database.close()
    share = work.share / len(work.observations[0])
    return report(
        "upsert",
        results,
        options,
        host=host,
        notes=[
            f"Work: {work.papers:,} papers in {len(work.observations[0])} listings of "
            f"{work.per_listing}, {work.runs} run(s) each "
            f"({work.papers * work.runs:,} sightings); the per-row baseline writes "
            f"{work.share} of the listings ({share:.0%}) in every run. Each round starts from an "
            "empty database; the re-observation case writes the first run in its setup.",
            "Rates are per paper (first run: papers row, byline, authors, sighting) and per "
            "sighting (re-observation: the paper merged again and one sighting).",
            *([] if server else ["PostgreSQL not measured: no server configured."]),
            *(
                ["PostgreSQL: no ANALYZE before the re-observations (no planner statistics)."]
                if more.no_analyze and server
                else []
            ),
        ],
    )


def main(argv: Sequence[str] | None = None) -> int:
    return main_guard(run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
