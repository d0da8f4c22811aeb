"""How well "For you" ranks, on real data only, and how long it takes.

Quality: two real researchers' paper lists (author pages in ../shared/seeds) and the real HF
Daily Papers in ../shared/data/hf_api_daily. For each author and each half (2 folds: papers
alternately by date), half of the author's papers is the library and the other half is hidden
in the pool of every real HF paper; a ranking is good when the hidden half comes first.
Held-out papers HF also listed are the HF papers themselves (matched by title); the others are
added to the pool with their page's title, abstract and date (and, for the upvotes baseline,
the pool's median upvotes, so that baseline neither wins nor loses by a made-up number).

Rankings compared: the model (TF-IDF + linear SVM, ``digest/foryou.py``), upvotes, recency,
keyword topics (a paperpulse topic whose ``include`` terms are the library's 8 strongest TF-IDF
terms, as a reader might write it; matches first, by upvotes) and random (its expected value).

Speed: a library of 1,000 and a pool of 10,000 real HF papers (the pool repeats papers under
new ids past the number HF listed), timed as a run does it: the pool vectorised once per run,
then per reader the model trained and an edition ranked with reasons. Wall and CPU time,
median of ``--rounds`` rounds.

    python -m bench.relevance [--data DIR] [--seeds DIR] [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from bench.harness import BenchmarkError, machine, shared_data
from paperpulse.core.models import Paper
from paperpulse.digest.foryou import (
    SVM_C,
    Corpus,
    ReaderModel,
    TitleIndex,
    match_entries,
    normalise_title,
    paper_text,
)
from paperpulse.digest.library import Library, LibraryEntry
from paperpulse.digest.terms import TermCache, tokens
from paperpulse.digest.topics import Topic, match_papers
from paperpulse.scrapers.registry import parse_file
from paperpulse.storage import Repository, create_engine, upgrade

AUTHORS = {"000_cdd7b21f8979b076.txt": "Hanze Dong", "004_66f3f37ab8ca50ac.txt": "Zhi-Hong Deng"}
T = TypeVar("T")
_HEADER = re.compile(r"^([A-Z]{2,4})([A-Z][a-z]{2} \d{1,2}, \d{4})(Code)?$")


@dataclass(frozen=True, slots=True)
class Pooled:
    paper: Paper
    upvotes: int


def author_papers(path: Path) -> list[Paper]:
    """An author page's papers: a "CLJul 30, 2024Code" line, the title, authors, abstract."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    papers = []
    for i, line in enumerate(lines):
        match = _HEADER.match(line)
        if match and i + 3 < len(lines):
            day = datetime.strptime(match.group(2), "%b %d, %Y").date()
            papers.append(
                Paper(
                    arxiv_id=f"seed.{len(papers):04d}",
                    title=lines[i + 1],
                    abstract=lines[i + 3],
                    list_date=day,
                )
            )
    return papers


def hf_pool(data: Path) -> list[Pooled]:
    seen: dict[str, Pooled] = {}
    for path in sorted((data / "hf_api_daily").glob("*.json")):
        listing = parse_file("hf-daily", path.read_bytes(), str(path))
        for item in listing.items:
            seen.setdefault(item.paper.arxiv_id, Pooled(item.paper, item.upvotes or 0))
    if not seen:
        raise BenchmarkError(f"no HF daily papers under {data / 'hf_api_daily'}")
    return list(seen.values())


# --- rankings ----------------------------------------------------------------------------

Ranker = Callable[[Library, Sequence[Pooled]], list[str]]


def by_model(library: Library, pool: Sequence[Pooled]) -> list[str]:
    model = ReaderModel(Corpus([p.paper for p in pool]), library)
    return [r.paper.arxiv_id for r in model.rank([p.paper for p in pool])]


def by_upvotes(library: Library, pool: Sequence[Pooled]) -> list[str]:
    return [p.paper.arxiv_id for p in sorted(pool, key=lambda p: -p.upvotes)]


def by_recency(library: Library, pool: Sequence[Pooled]) -> list[str]:
    ordered = sorted(pool, key=lambda p: p.paper.list_date or date.min, reverse=True)
    return [p.paper.arxiv_id for p in ordered]


def library_terms(library: Library, pool: Sequence[Pooled], count: int = 8) -> list[str]:
    corpus = Corpus([p.paper for p in pool])
    texts = [e.text for e in library.entries]
    weights = np.asarray(corpus.vectors(texts).mean(axis=0)).ravel()
    terms = corpus.term_names(texts)
    return [terms[int(i)] for i in np.argsort(-weights)[:count] if weights[i] > 0]


def by_topic(library: Library, pool: Sequence[Pooled]) -> list[str]:
    topic = Topic(name="library", include=tuple(library_terms(library, pool)))
    matches = match_papers([p.paper for p in pool], [topic])
    ordered = sorted(pool, key=lambda p: (not matches[p.paper.arxiv_id], -p.upvotes))
    return [p.paper.arxiv_id for p in ordered]


RANKERS: dict[str, Ranker] = {
    "For you (TF-IDF + linear SVM)": by_model,
    "keyword topic from the library": by_topic,
    "upvotes": by_upvotes,
    "recency": by_recency,
}


# --- quality -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Trial:
    author: str
    fold: int
    library: int
    held_out: int
    held_in_hf: int
    pool: int
    precision_at_10: dict[str, float]
    recall_at_50: dict[str, float]


def trials(seeds: Path, hf: Sequence[Pooled]) -> list[Trial]:
    by_title = {normalise_title(p.paper.title): p for p in hf}
    median_votes = int(statistics.median(p.upvotes for p in hf))
    out = []
    for name, author in AUTHORS.items():
        papers = sorted(author_papers(seeds / name), key=lambda p: p.list_date or date.min)
        if len(papers) < 10:
            raise BenchmarkError(f"{seeds / name}: expected an author page, found {len(papers)}")
        for fold in (0, 1):
            library_papers = papers[fold::2]
            held = papers[1 - fold :: 2]
            library = Library(
                entries=tuple(
                    LibraryEntry(title=p.title, abstract=p.abstract) for p in library_papers
                )
            )
            owned = {normalise_title(p.title) for p in library_papers}
            pool = [p for p in hf if normalise_title(p.paper.title) not in owned]
            targets: set[str] = set()
            in_hf = 0
            for paper in held:
                found = by_title.get(normalise_title(paper.title))
                if found is not None:
                    in_hf += 1
                    targets.add(found.paper.arxiv_id)
                else:
                    pool.append(Pooled(paper, median_votes))
                    targets.add(paper.arxiv_id)
            precision: dict[str, float] = {}
            recall: dict[str, float] = {}
            for label, ranker in RANKERS.items():
                ranked = ranker(library, pool)
                precision[label] = sum(i in targets for i in ranked[:10]) / 10
                recall[label] = sum(i in targets for i in ranked[:50]) / len(targets)
            precision["random (expected)"] = len(targets) / len(pool)
            recall["random (expected)"] = min(1.0, 50 / len(pool))
            out.append(
                Trial(
                    author,
                    fold,
                    len(library_papers),
                    len(held),
                    in_hf,
                    len(pool),
                    precision,
                    recall,
                )
            )
            print(f"  {author} fold {fold}: done", file=sys.stderr)
    return out


# --- speed -------------------------------------------------------------------------------


NEW_A_DAY = 50  # papers a day adds to the pool (and the edition ranked)
WARM_RUN = "warm run, one reader: total"
BEFORE_STEP = "before: vectorise the pool, train one reader (scikit-learn TF-IDF, nothing kept)"
BEFORE_RUN = "before: any run, one reader: total"


def timings(
    hf: Sequence[Pooled], rounds: int, library_size: int, pool_size: int
) -> dict[str, float]:
    """A cold run (nothing cached) then a warm one (the next day: the pool slid by one day's
    papers, counts read from a real SQLite file), one reader, as ``app/foryou.py`` does it."""
    rng = random.Random(17)
    papers = [p.paper for p in hf]
    rng.shuffle(papers)
    library = Library(
        entries=tuple(
            LibraryEntry(title=p.title, abstract=p.abstract) for p in papers[:library_size]
        )
    )
    rest = papers[library_size:]
    # Past the papers HF listed, the pool repeats them under new ids; a word of their own
    # (in one paper only, so no feature) makes each text new, to be tokenised, as a new paper's.
    days = [
        replace(
            rest[i % len(rest)],
            arxiv_id=f"{9000 + i // 100000}.{i % 100000:05d}",
            abstract=f"{rest[i % len(rest)].abstract} pp{i}",
        )
        for i in range(pool_size + NEW_A_DAY)
    ]
    yesterday, today = days[:pool_size], days[-pool_size:]
    edition = today[-NEW_A_DAY:]
    library_texts = [e.text for e in library.entries]
    steps: dict[str, list[tuple[float, float]]] = {}
    for _ in range(rounds):
        clock = _Clock(steps)
        with tempfile.TemporaryDirectory() as folder:
            engine = create_engine(f"sqlite:///{folder}/bench.db")
            upgrade(engine)
            repo = Repository(engine)
            at = datetime.now(UTC)

            cache = TermCache()
            corpus = clock.time(
                "cold: tokenise and weigh the pool", partial(Corpus, yesterday, cache=cache)
            )
            clock.time("cold: store the pool's counts", _store, repo, cache, at)
            clock.time("cold: read the library's counts (none)", _load, repo, cache, library_texts)
            clock.time("cold: train one reader (library tokenised)", ReaderModel, corpus, library)
            clock.time("cold: store the library's counts", _store, repo, cache, at)
            # The next day, in a new process: only the database remembers.
            cache = TermCache()
            clock.time(
                "warm: read the pool's counts", _load, repo, cache, [paper_text(p) for p in today]
            )
            corpus = clock.time(
                "warm: weigh the pool (50 new tokenised)", partial(Corpus, today, cache=cache)
            )
            clock.time("warm: store the new counts", _store, repo, cache, at)
            clock.time("warm: read the library's counts", _load, repo, cache, library_texts)
            model = clock.time("warm: train one reader", ReaderModel, corpus, library)
            clock.time("rank an edition of 50 with reasons", model.rank, edition)
            clock.time("rank the whole pool, top 20 with reasons", model.rank, today, 20)
            engine.dispose()
        clock.time(BEFORE_STEP, _previous_run, today, library)
        clock.total(WARM_RUN, "warm: ", "rank an edition")
        clock.total(BEFORE_RUN, BEFORE_STEP, "rank an edition")
        print("  timing round done", file=sys.stderr)
    result = {}
    for step, values in steps.items():
        result[f"{step} · wall"] = statistics.median(v[0] for v in values)
        result[f"{step} · cpu"] = statistics.median(v[1] for v in values)
    return result


def _previous_run(pool: Sequence[Paper], library: Library) -> None:
    """What each run did before term counts were kept (until commit e162a16): scikit-learn's
    TfidfVectorizer fitted on the whole pool, the library matched and transformed, the SVM
    trained, the pool scored."""
    vectorizer = TfidfVectorizer(
        analyzer=tokens, min_df=2, max_df=0.5, sublinear_tf=True, dtype=np.float32
    )
    matrix = vectorizer.fit_transform([paper_text(p) for p in pool])
    match_entries(library.entries, [TitleIndex(pool)])
    owned = vectorizer.transform([e.text for e in library.entries])
    labels = np.array([1] * owned.shape[0] + [0] * matrix.shape[0])
    svm = LinearSVC(C=SVM_C, class_weight="balanced", max_iter=5000, random_state=0)
    svm.fit(sparse.vstack([owned, matrix]), labels)
    np.quantile(svm.decision_function(matrix), 0.95)


def _load(repo: Repository, cache: TermCache, texts: Sequence[str]) -> None:
    cache.learn(repo.term_counts(cache.key(t) for t in texts))


def _store(repo: Repository, cache: TermCache, at: datetime) -> None:
    repo.save_term_counts(cache.take_fresh(), at=at)


class _Clock:
    """Times steps of one round into ``steps`` (step -> one (wall, cpu) per round)."""

    def __init__(self, steps: dict[str, list[tuple[float, float]]]) -> None:
        self.steps = steps
        self.round: dict[str, tuple[float, float]] = {}

    def time(self, step: str, work: Callable[..., T], *args: object) -> T:
        wall, cpu = time.perf_counter(), time.process_time()
        value = work(*args)
        self.round[step] = (time.perf_counter() - wall, time.process_time() - cpu)
        self.steps.setdefault(step, []).append(self.round[step])
        return value

    def total(self, step: str, *prefixes: str) -> None:
        """The sum of this round's steps whose names start with one of ``prefixes``."""
        parts = [v for k, v in self.round.items() if k.startswith(prefixes)]
        self.steps.setdefault(step, []).append((sum(w for w, _ in parts), sum(c for _, c in parts)))


# --- report ------------------------------------------------------------------------------


def report(
    found: Sequence[Trial], speed: dict[str, float], library_size: int, pool_size: int
) -> str:
    labels = [*RANKERS, "random (expected)"] if found else []
    lines = (
        []
        if not found
        else [
            "| trial | library | held out (in HF) | pool |",
            "|---|---|---|---|",
            *(
                f"| {t.author}, fold {t.fold} | {t.library} | {t.held_out} ({t.held_in_hf}) "
                f"| {t.pool:,} |"
                for t in found
            ),
            "",
            "| ranking | precision@10 (mean) | recall@50 (mean) | per trial P@10 / R@50 |",
            "|---|---|---|---|",
        ]
    )
    for label in labels:
        p = statistics.mean(t.precision_at_10[label] for t in found)
        r = statistics.mean(t.recall_at_50[label] for t in found)
        each = ", ".join(
            f"{t.precision_at_10[label]:.1f}/{t.recall_at_50[label]:.2f}" for t in found
        )
        lines.append(f"| {label} | {p:.3f} | {r:.3f} | {each} |")
    lines += [
        "",
        f"Time, library {library_size:,} / pool {pool_size:,}, {NEW_A_DAY} new papers a day "
        "(median of rounds):",
        "",
        "| step | wall | CPU |",
        "|---|---|---|",
    ]
    for step in dict.fromkeys(k.rsplit(" · ", 1)[0] for k in speed):
        lines.append(
            f"| {step} | {speed[step + ' · wall']:.3f} s | {speed[step + ' · cpu']:.3f} s |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="../shared/data (default)")
    parser.add_argument("--seeds", type=Path, help="../shared/seeds (default: beside the data)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--library", type=int, default=1000)
    parser.add_argument("--pool", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--speed-only", action="store_true", help="time only, no quality trials")
    options = parser.parse_args(argv)
    data = shared_data(options.data)
    seeds = options.seeds or data.parent / "seeds"
    hf = hf_pool(data)
    print(f"{len(hf):,} real HF papers; ranking...", file=sys.stderr)
    found = [] if options.speed_only else trials(seeds, hf)
    speed = timings(hf, options.rounds, options.library, options.pool)
    if options.json:
        trials_json = [asdict(t) for t in found]
        print(json.dumps({"trials": trials_json, "speed_s": speed}, indent=2))
        return 0
    print(report(found, speed, options.library, options.pool))
    print()
    print(f"Machine: {machine(['scikit-learn', 'numpy', 'scipy'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
