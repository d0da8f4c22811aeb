"""Search latency of ``paperpulse web`` over 100,000 stored papers on SQLite (issue 23's goal:
p95 under 50 ms).

The corpus: deterministic papers whose words follow a Zipf law over a 30,000-word vocabulary
plus the field's common words ("diffusion", "agent", …), saved through the repository as 100
daily listings of 1,000 papers with upvotes (the FTS5 index filled by its triggers, as in
production). The queries a reader types: two or three words remembered from a stored title,
one common field word alone (thousands of matches: the slow case), and each with a date range
or a minimum of upvotes. Each query is timed as the storage call (``PaperSearch.search``) and
as the whole page through the ASGI app (``GET /search``, rendered, headers and all).

    python -m bench.web_search                 # 100,000 papers, 1,000 queries (build ~30 s once)
    python -m bench.web_search --quick         # 1,000 papers, 40 queries

The database is built once per size under ``--workdir`` (default: the system's temp folder)
and reused. Prints percentiles; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path

import httpx

from bench.harness import machine
from paperpulse.config.file import Config, WebConfig
from paperpulse.config.settings import Settings
from paperpulse.storage.schema import Base
from paperpulse.storage.search import PaperSearch
from paperpulse.web.app import create_app
from tests.contexts import repository

START = date(2024, 1, 1)
PER_DAY = 1000
FIELD = [
    "diffusion",
    "transformer",
    "agent",
    "reasoning",
    "vision",
    "video",
    "benchmark",
    "alignment",
    "reward",
    "policy",
    "scaling",
    "sparse",
    "attention",
    "memory",
    "retrieval",
    "multimodal",
    "generation",
    "evaluation",
    "robust",
    "inference",
    "token",
    "context",
    "graph",
    "neural",
    "physics",
    "protein",
    "code",
    "math",
    "planning",
    "speech",
    "audio",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "ti",
    "vo",
    "ze",
    "ba",
    "de",
    "fi",
    "gu",
    "ha",
    "ji",
    "ko",
    "lu",
    "ma",
    "no",
    "pe",
    "qu",
    "ri",
    "so",
    "tu",
]


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Writer:
    """Zipf-distributed words, with one field word in three."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = vocabulary(30_000, rng)
        # Cumulative once: ``choices`` with plain weights re-adds all 30,000 on every call
        # (that alone made the build take 25 minutes); the draws are the same.
        self.cumulative = list(accumulate(1 / (rank + 1) for rank in range(len(self.words))))

    def text(self, n: int) -> list[str]:
        zipf = self.rng.choices(self.words, cum_weights=self.cumulative, k=n)
        return [self.rng.choice(FIELD) if self.rng.random() < 0.33 else w for w in zipf]


def build(path: Path, papers: int) -> None:
    """Rows written with Core ``executemany`` (a save through the repository merges bylines
    and revisions, which search does not need and which would take an hour here); the
    migration's triggers fill the FTS5 index exactly as production saves do."""
    repo = repository(f"sqlite:///{path}")
    rng = random.Random(23)
    writer = Writer(rng)
    tables = Base.metadata.tables
    with repo.engine.begin() as conn:
        for day in range(papers // PER_DAY):
            listed = START + timedelta(days=day)
            at = datetime.combine(listed, datetime.min.time(), UTC) + timedelta(hours=20)
            run = conn.execute(
                tables["runs"]
                .insert()
                .values(
                    source="hf-daily",
                    period=listed.isoformat(),
                    status="complete",
                    started_at=at,
                    finished_at=at,
                    fetched=PER_DAY,
                    new=PER_DAY,
                )
            ).inserted_primary_key[0]
            ids = [
                f"24{day // 30 + 1:02d}.{10000 + day % 30 * PER_DAY + n}" for n in range(PER_DAY)
            ]
            conn.execute(
                tables["papers"].insert(),
                [
                    {
                        "arxiv_id": i,
                        "title": " ".join(writer.text(rng.randint(6, 14))).title(),
                        "abstract": " ".join(writer.text(rng.randint(120, 220))) + ".",
                        "list_date": listed,
                        "first_seen_at": at,
                        "families": "hf",
                    }
                    for i in ids
                ],
            )
            conn.execute(
                tables["sightings"].insert(),
                [
                    {
                        "run_id": run,
                        "arxiv_id": i,
                        "source": "hf-daily",
                        "period": listed.isoformat(),
                        "observed_at": at,
                        "rank": n + 1,
                        "upvotes": int(rng.paretovariate(1.2)) - 1,
                    }
                    for n, i in enumerate(ids)
                ],
            )
            print(f"built {(day + 1) * PER_DAY} papers", file=sys.stderr, end="\r")
    print(file=sys.stderr)


def queries(path: Path, count: int) -> list[dict[str, str]]:
    """What readers type, drawn from the stored titles."""
    repo = repository(f"sqlite:///{path}")
    days = PaperSearch(repo.engine).days(limit=10_000)
    rng = random.Random(7)
    titles = [
        p.title
        for d in rng.sample(days, min(20, len(days)))
        for p in repo.papers_listed(d.day, d.day)
    ]
    found: list[dict[str, str]] = []
    for n in range(count):
        kind = n % 4
        words = rng.choice(titles).lower().split()
        q = " ".join(rng.sample(words, min(len(words), rng.choice((2, 3)))))
        if kind == 1:
            q = rng.choice(FIELD)  # one common word: thousands of matches
        params = {"q": q}
        if kind == 2:
            first = rng.choice(days).day
            params.update(
                {"from": first.isoformat(), "to": (first + timedelta(days=30)).isoformat()}
            )
        if kind == 3:
            params["min_upvotes"] = "5"
        found.append(params)
    return found


def percentiles(samples: Sequence[float]) -> str:
    ordered = sorted(samples)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return (
        f"| {at(0.5):.1f} ms | {at(0.95):.1f} ms | {at(0.99):.1f} ms | "
        f"{max(ordered) * 1000:.1f} ms |"
    )


def timed(run: Callable[[dict[str, str]], object], asked: list[dict[str, str]]) -> list[float]:
    times = []
    for params in asked:
        began = time.perf_counter()
        run(params)
        times.append(time.perf_counter() - began)
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="1,000 papers, 40 queries")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args(argv)
    papers, count = (1000, 40) if args.quick else (args.papers, args.queries)
    path = args.workdir / f"paperpulse-web-search-{papers}.db"
    if not path.exists():
        building = path.with_suffix(".building")
        building.unlink(missing_ok=True)
        began = time.perf_counter()
        build(building, papers)
        repository(f"sqlite:///{building}").engine.dispose()
        building.rename(path)
        print(f"built {path} in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    host = machine()
    asked = queries(path, count)
    settings = Settings(database_url=f"sqlite:///{path}")
    search = PaperSearch(repository(settings.database_url).engine)

    def storage(params: dict[str, str]) -> object:
        return search.search(
            params["q"],
            start=date.fromisoformat(params["from"]) if "from" in params else None,
            end=date.fromisoformat(params["to"]) if "to" in params else None,
            min_upvotes=int(params["min_upvotes"]) if "min_upvotes" in params else None,
            limit=50,
        )

    # The per-client rate limit would refuse a benchmark's burst: lifted here.
    app = create_app(settings, Config(web=WebConfig(rate_per_minute=100_000)))

    async def pages() -> list[float]:
        transport = httpx.ASGITransport(app=app)
        times = []
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for params in asked:
                began = time.perf_counter()
                response = await client.get("/search", params=params)
                times.append(time.perf_counter() - began)
                assert response.status_code == 200, response.text[:200]
        return times

    timed(storage, asked[:20])  # warm the page cache and statement cache
    results = {"storage query": timed(storage, asked), "GET /search (ASGI)": asyncio.run(pages())}
    hits = [len(storage(p)) for p in asked]  # type: ignore[arg-type]
    print(f"## Search, {papers:,} papers on SQLite ({count} queries)\n")
    print(f"Machine: {host.describe()}\n")
    print("| what | p50 | p95 | p99 | max |\n|---|---|---|---|---|")
    for name, samples in results.items():
        print(f"| {name} " + percentiles(samples))
    print(
        f"\nGoal: p95 < 50 ms. Queries: {count // 4} each of title words, one common word, "
        f"title words within 30 days, title words with >= 5 upvotes; median "
        f"{statistics.median(hits):.0f} hits shown (of at most 50)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
