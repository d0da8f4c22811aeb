"""The "For you" ranking: papers ranked by a reader's own library, each with why. Pure.

The arxiv-sanity approach, with no downloaded model: TF-IDF over titles and abstracts, and one
linear SVM per reader whose positives are the library (plus liked papers) and whose negatives
are the recent pool (hidden papers weigh more). The pool is vectorised once per run
(``Corpus``) from term counts kept between runs (``digest/terms.py``), and each reader's model
trained on it every run: at library 1,000 / pool 10,000, well under a second for a warm run
(``bench/relevance.py``, ``docs/relevance.md``).

A reason names the nearest library papers (cosine in the same TF-IDF space) and the terms they
share with the paper, weighted by what the classifier learned the reader cares about.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from rapidfuzz import fuzz, process
from scipy import sparse
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from paperpulse.core.models import Paper
from paperpulse.digest.library import Library, LibraryEntry, clean
from paperpulse.digest.models import DigestItem, Section
from paperpulse.digest.terms import BUCKETS, TermCache, TermCounts, column, names, tokens

TITLE = "For you"
ELSEWHERE = "close to your library are among the papers below"
MATCH_CUTOFF = 92  # rapidfuzz ratio (0-100) of normalised titles: 1-2 typos or a subtitle mark
HIDE_WEIGHT = 5.0  # a hidden paper is a stronger "not this" than an unlabelled pool paper
NEAR_MIN = 0.08  # cosine below this is no neighbour worth naming
TOP_SHARE = 0.05  # "for you": among the reader's best 5% of the recent pool
SVM_C = 0.1  # regularisation of the per-reader SVM
_WORDS = re.compile(r"[^0-9a-z]+")
_ASCII_NON_WORD = str.maketrans(
    {c: " " for c in map(chr, range(128)) if not (c.isdigit() or "a" <= c <= "z")}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Recommendation:
    paper: Paper
    score: float  # the classifier's margin: > 0 leans "like the library"
    reason: str


def paper_text(paper: Paper) -> str:
    return f"{paper.title}\n{paper.abstract}"


def normalise_title(title: str) -> str:
    folded = title.casefold()
    if folded.isascii():  # most titles: the same result, by a C translate instead of a regex
        return " ".join(folded.translate(_ASCII_NON_WORD).split())
    return " ".join(_WORDS.sub(" ", folded).split())


class TitleIndex:
    """Papers by arXiv id and by normalised title, for matching library entries."""

    def __init__(self, papers: Iterable[Paper]) -> None:
        self.by_id: dict[str, Paper] = {}
        self.by_title: dict[str, Paper] = {}
        for paper in papers:
            self.by_id.setdefault(paper.arxiv_id, paper)
            self.by_title.setdefault(normalise_title(paper.title), paper)
        self.having: dict[str, list[str]] = {}
        for title in self.by_title:
            for word in set(title.split()):
                self.having.setdefault(word, []).append(title)

    def find(self, entry: LibraryEntry) -> Paper | None:
        if entry.arxiv_id:
            return self.by_id.get(entry.arxiv_id)
        key = normalise_title(entry.title)
        hit = self.by_title.get(key)
        if hit is None and len(key) >= 12:  # "Adam", "BERT": too short to tell apart by spelling
            having = self.having
            rare = sorted(
                (w for w in set(key.split()) if w in having), key=lambda w: len(having[w])
            )
            candidates = {title for word in rare[:3] for title in having[word]}
            best = process.extractOne(key, candidates, scorer=fuzz.ratio, score_cutoff=MATCH_CUTOFF)
            hit = self.by_title[best[0]] if best else None
        return hit


def match_entries(
    entries: Sequence[LibraryEntry], papers: Sequence[Paper] | Sequence[TitleIndex]
) -> dict[int, Paper]:
    """Library entries (by index) found among ``papers`` (or in indexes, the first that has
    it): by arXiv id, else by title.

    Titles are compared normalised (case, punctuation, LaTeX braces gone) and, when not equal,
    by rapidfuzz's edit-distance ratio (C++; difflib is ~100x slower) against the titles that
    share one of the entry's three rarest words: a title within the cutoff differs in a
    character or two, so it keeps most words, and 1,000 entries x 10,000 titles take
    milliseconds instead of a second.
    """
    indexes = [i for i in papers if isinstance(i, TitleIndex)]
    if len(indexes) != len(papers):
        indexes = [TitleIndex(p for p in papers if isinstance(p, Paper))]
    found: dict[int, Paper] = {}
    for index, entry in enumerate(entries):
        hit = next((h for i in indexes if (h := i.find(entry)) is not None), None)
        if hit is not None:
            found[index] = hit
    return found


class Corpus:
    """A run's pool of recent papers as TF-IDF rows, shared by every reader of the run.

    The TF-IDF of scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``, computed here from
    hashed term counts (``digest/terms.py``) so that counts kept from earlier runs (``cache``)
    are reused: a warm run tokenises only the papers it has not seen.
    """

    def __init__(
        self,
        pool: Sequence[Paper],
        *,
        vocabulary_from: Sequence[str] = (),
        cache: TermCache | None = None,
    ) -> None:
        """``vocabulary_from``: more texts to learn terms from (a library, when the pool is
        empty). ``cache``: counts known already; those counted here are added to its
        ``fresh``."""
        self.cache = cache if cache is not None else TermCache()
        self.papers = list({p.arxiv_id: p for p in pool}.values())
        self.rows = {p.arxiv_id: i for i, p in enumerate(self.papers)}
        texts = [paper_text(p) for p in self.papers] + list(vocabulary_from)
        counts = [self.cache.counts(t) for t in texts]
        size = len(texts)
        df = np.zeros(BUCKETS, dtype=np.int64)
        if counts:
            df = np.bincount(np.concatenate([c.columns for c in counts]), minlength=BUCKETS)
        # A term in one paper only says nothing about a reader; one in most is noise.
        min_df = 2 if size >= 200 else 1
        max_df = 0.5 * size if size >= 20 else size
        keep = (df >= min_df) & (df <= max_df)
        if not keep.any():  # no words at all: one placeholder column keeps shapes valid
            keep[column("paper")] = True
            df[column("paper")] = max(df[column("paper")], 1)
        self.columns = np.flatnonzero(keep)
        self._lookup = np.full(BUCKETS, -1, dtype=np.int32)
        self._lookup[self.columns] = np.arange(len(self.columns), dtype=np.int32)
        # scikit-learn's smooth idf: as if one more document held every term once.
        self.idf = (np.log((1 + size) / (1 + df[self.columns])) + 1).astype(np.float32)
        self.matrix: sparse.csr_matrix = self.weigh(counts[: len(self.papers)])

    def weigh(self, counts: Sequence[TermCounts]) -> sparse.csr_matrix:
        """TF-IDF rows (1 + log tf, times idf, unit length) over this pool's terms."""
        shape = (len(counts), len(self.columns))
        if not counts:
            return sparse.csr_matrix(shape, dtype=np.float32)
        lengths = np.fromiter((len(c.columns) for c in counts), dtype=np.int64, count=len(counts))
        cols = self._lookup[np.concatenate([c.columns for c in counts])]
        tf = np.concatenate([c.counts for c in counts]).astype(np.float32)
        rows = np.repeat(np.arange(len(counts)), lengths)
        mask = cols >= 0
        cols = cols[mask]
        data = (1 + np.log(tf[mask])) * self.idf[cols]
        # Rows come in order: CSR straight from the row lengths (no COO sort).
        indptr = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows[mask], minlength=len(counts)), out=indptr[1:])
        matrix = sparse.csr_matrix((data, cols, indptr), shape=shape, dtype=np.float32)
        return normalize(matrix, copy=False)

    def vectors(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return self.weigh([self.cache.counts(t) for t in texts])

    def paper_vectors(self, papers: Sequence[Paper]) -> sparse.csr_matrix:
        """Pool rows where the paper is in the pool (no second tokenising), else counted."""
        if all(p.arxiv_id in self.rows for p in papers):
            return self.matrix[[self.rows[p.arxiv_id] for p in papers]]
        return self.vectors([paper_text(p) for p in papers])

    @cached_property
    def titles(self) -> TitleIndex:
        """The pool's titles, indexed once for every reader's library."""
        return TitleIndex(self.papers)

    def term_names(self, texts: Iterable[str]) -> dict[int, str]:
        """This pool's columns -> the term of ``texts`` behind each (for reasons)."""
        return {
            int(self._lookup[c]): term for c, term in names(texts).items() if self._lookup[c] >= 0
        }


class ReaderModel:
    """One reader's classifier: their library (and likes) against the run's pool."""

    def __init__(
        self,
        corpus: Corpus,
        library: Library,
        *,
        likes: Iterable[str] = (),
        hides: Iterable[str] = (),
        known: Sequence[Paper] = (),
    ) -> None:
        """``known``: more stored papers the library's entries may be (ids and titles are
        matched against them and the pool); entries that match nothing still count as text."""
        self.hides = frozenset(hides)
        likes = frozenset(likes) - self.hides
        candidates = {p.arxiv_id: p for p in (*known, *corpus.papers)}
        matched = match_entries(library.entries, [TitleIndex(known), corpus.titles])
        positives: list[tuple[str, str]] = []  # (title, text)
        owned: set[str] = set()
        for index, entry in enumerate(library.entries):
            paper = matched.get(index)
            if paper is not None:
                owned.add(paper.arxiv_id)
                positives.append((paper.title, paper_text(paper)))
            elif entry.text:
                positives.append((entry.title, entry.text))
        for arxiv_id in sorted(likes - owned):
            if arxiv_id in candidates:
                owned.add(arxiv_id)
                positives.append((candidates[arxiv_id].title, paper_text(candidates[arxiv_id])))
        self.owned = frozenset(owned)  # already in the library: never recommended
        self.matched = len(matched)
        self.titles = [title or "(untitled)" for title, _ in positives]
        self.texts = [text for _, text in positives]
        if not corpus.papers:  # nothing to contrast with: the library's own terms
            corpus = Corpus([], vocabulary_from=self.texts, cache=corpus.cache)
        self.corpus = corpus
        self.library_matrix = corpus.vectors(self.texts)
        negatives = [i for i, p in enumerate(corpus.papers) if p.arxiv_id not in owned]
        self.classifier: LinearSVC | None = None
        if negatives and positives:
            weights = [1.0] * len(positives) + [
                HIDE_WEIGHT if corpus.papers[i].arxiv_id in self.hides else 1.0 for i in negatives
            ]
            self.classifier = LinearSVC(
                C=SVM_C, class_weight="balanced", max_iter=5000, random_state=0
            )
            self.classifier.fit(
                sparse.vstack([self.library_matrix, corpus.matrix[negatives]]),
                np.array([1] * len(positives) + [0] * len(negatives)),
                sample_weight=np.array(weights),
            )
        # "For you" means among the reader's best TOP_SHARE of the recent pool.
        pool_scores = self.scores(corpus.matrix) if corpus.papers else np.zeros(1)
        self.cutoff = float(np.quantile(pool_scores, 1 - TOP_SHARE))

    def scores(self, vectors: sparse.csr_matrix) -> np.ndarray:
        if self.classifier is not None:
            return np.asarray(self.classifier.decision_function(vectors), dtype=float)
        # No pool to contrast with: closeness to the nearest library paper alone.
        if not self.texts:
            return np.zeros(vectors.shape[0])
        return np.asarray((vectors @ self.library_matrix.T).max(axis=1).toarray()).ravel()

    def rank(self, papers: Sequence[Paper], top: int | None = None) -> list[Recommendation]:
        """``papers`` best first, without those the reader owns or hid, each with a reason."""
        left_out = self.owned | self.hides
        shown = [p for p in papers if p.arxiv_id not in left_out]
        if not shown:
            return []
        vectors = self.corpus.paper_vectors(shown)
        scores = self.scores(vectors)
        order = sorted(range(len(shown)), key=lambda i: (-scores[i], shown[i].arxiv_id))
        if top is not None:
            order = order[:top]
        chosen = vectors[order]
        # Every chosen paper's closeness to every library paper, in one product.
        sims = np.asarray((chosen @ self.library_matrix.T).toarray())
        return [
            Recommendation(
                paper=shown[i],
                score=float(scores[i]),
                reason=self.reason(shown[i], chosen[k], sims[k]),
            )
            for k, i in enumerate(order)
        ]

    def reason(
        self, paper: Paper, vector: sparse.csr_matrix, sims: np.ndarray | None = None
    ) -> str:
        """The nearest one or two library papers and the terms they share with this one.
        ``sims``: the paper's cosine with each library paper, when already computed."""
        if sims is None:
            sims = np.asarray((self.library_matrix @ vector.T).toarray()).ravel()
        near = [int(j) for j in np.argsort(-sims)[:2] if sims[j] >= NEAR_MIN]
        if near:
            weights = self.library_matrix[near].toarray().max(axis=0)
        elif self.classifier is not None:
            weights = np.asarray(self.classifier.coef_).ravel().clip(min=0)
        else:
            weights = np.zeros(vector.shape[1])
        row = vector.tocoo()
        shared = row.data * weights[row.col]
        text, others = paper_text(paper), [self.texts[j] for j in near]
        terms_of = self.corpus.term_names([text, *others])
        ranked = [
            terms_of[int(row.col[k])]
            for k in np.argsort(-shared)
            if shared[k] > 0 and int(row.col[k]) in terms_of
        ]
        terms = _phrases(ranked[:6], text, others)[:3]
        said = f": {', '.join(terms)}" if terms else ""
        if near:
            names = " and ".join(f"“{_short(self.titles[j])}”" for j in near)
            return f"close to {names} in your library{said}"
        return f"shares terms with your library{said}"


def _phrases(words: Sequence[str], text: str, others: Sequence[str]) -> list[str]:
    """Shared words, joined into a two-word phrase where the paper and a neighbour both say it
    ("kv cache"; stop words are dropped first, so "chain of thought" is "chain thought")."""
    said = [" ".join(tokens(t)) for t in (text, *others)]
    out: list[str] = []
    used: set[str] = set()
    for word in words:
        if word in used or word.removesuffix("s") in used or f"{word}s" in used:
            continue
        pair = next(
            (
                phrase
                for other in words
                if other != word and other not in used
                for phrase in (f"{word} {other}", f"{other} {word}")
                if phrase in said[0] and any(phrase in s for s in said[1:])
            ),
            None,
        )
        if pair:
            used.update(pair.split())
            out.append(pair)
        else:
            used.add(word)
            out.append(word)
    return out


def _short(title: str, width: int = 60) -> str:
    title = clean(title)
    return title if len(title) <= width else title[: width - 1].rstrip() + "…"


def for_you_section(
    items: Sequence[DigestItem], model: ReaderModel | None, cap: int, *, hint: str | None = None
) -> Section | None:
    """The digest hook: the edition's papers (its ``DigestItem``s, any section) ranked by one
    reader's model; only those among the reader's best ``TOP_SHARE`` of the recent pool, at
    most ``cap``.
    None without a model (a reader with no library sees no such section) or without papers.
    ``hint`` (how to like or hide) is shown under a section that has items."""
    if model is None or cap <= 0:
        return None
    unique: dict[str, DigestItem] = {}
    for item in items:
        unique.setdefault(item.paper.arxiv_id, item)
    if not unique:  # a weekend: no papers, nothing to say about them
        return None
    ranked = [r for r in model.rank([i.paper for i in unique.values()]) if r.score >= model.cutoff]
    chosen = tuple(_because(unique[r.paper.arxiv_id], r.reason) for r in ranked[:cap])
    note = None if chosen else "Nothing in this edition is close to your library."
    # The rest stay in their sections below: said so, never "in the archive" (whose For you,
    # if any, is the archive's library's, not this reader's).
    elsewhere = tuple(r.paper.arxiv_id for r in ranked[cap:])
    return Section(
        title=TITLE,
        kind="for_you",
        items=chosen,
        note=note,
        more=len(elsewhere),
        more_says=ELSEWHERE,
        elsewhere=elsewhere,
        details=(hint,) if hint and chosen else (),
    )


def _because(item: DigestItem, reason: str) -> DigestItem:
    """The item with the library's reason; a rising paper keeps its numbers before it."""
    if "rising" in item.labels and item.reason:
        reason = f"{item.reason} · {reason}"
    return replace(item, reason=reason)


def with_for_you(sections: Sequence[Section], section: Section | None) -> tuple[Section, ...]:
    """``section`` first, before the topics, its papers moved out of the sections below (no
    paper twice in one digest); the sections unchanged when there is none."""
    if section is None:
        return tuple(sections)
    chosen = {item.paper.arxiv_id for item in section.items}
    rest = tuple(
        replace(s, items=tuple(i for i in s.items if i.paper.arxiv_id not in chosen))
        for s in sections
    )
    return (section, *(s for s in rest if s.items or s.note or s.details))


def likes_and_hides(signals: Mapping[str, str]) -> tuple[frozenset[str], frozenset[str]]:
    """Split a reader's ``{arxiv_id: "like" | "hide"}`` into the two sets."""
    likes = frozenset(i for i, s in signals.items() if s == "like")
    return likes, frozenset(i for i, s in signals.items() if s == "hide")
