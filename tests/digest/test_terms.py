"""Hashed term counts: stored and read back intact, and the TF-IDF built from them is
scikit-learn's, so caching them changed no ranking."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from paperpulse.digest.foryou import Corpus, paper_text
from paperpulse.digest.terms import TermCache, TermCounts, count_terms, text_key, tokens
from tests.digest.foryou_pool import pool


def test_counts_survive_bytes_and_a_damaged_row_is_counted_again() -> None:
    text = "Sparse attention; sparse KV cache. Attention is sparse."
    counts = count_terms(text)
    back = TermCounts.from_bytes(counts.to_bytes())
    assert back.columns.tolist() == counts.columns.tolist() == sorted(counts.columns.tolist())
    assert sorted(back.counts.tolist()) == [1, 1, 2, 3]  # kv, cache, attention, sparse
    with pytest.raises(ValueError, match="truncated"):
        TermCounts.from_bytes(counts.to_bytes()[:-1])

    cache = TermCache()
    cache.learn({text_key(text): b"\x00\x01\x02"})  # a damaged row: ignored
    assert cache.counts(text).counts.tolist() == counts.counts.tolist()
    assert list(cache.take_fresh()) == [text_key(text)]  # counted now, to be stored again
    assert cache.fresh == {} and text_key(text) in cache.known


def test_the_key_changes_with_the_text() -> None:
    assert text_key("a paper") == text_key("a paper") != text_key("a paper.")


def test_the_pool_is_weighted_as_scikit_learns_tfidf_would() -> None:
    papers = pool()
    texts = [paper_text(p) for p in papers]
    corpus = Corpus(papers)
    reference = TfidfVectorizer(analyzer=tokens, sublinear_tf=True, max_df=0.5)
    expected = reference.fit_transform(texts)
    terms = reference.get_feature_names_out()
    assert corpus.matrix.shape == expected.shape  # the same terms kept (40 texts: min_df 1)
    for row, text in enumerate(texts):
        names = corpus.term_names([text])
        ours = corpus.matrix[row].tocoo()
        theirs = expected[row].tocoo()
        got = {names[int(c)]: float(v) for c, v in zip(ours.col, ours.data, strict=True)}
        want = {str(terms[c]): float(v) for c, v in zip(theirs.col, theirs.data, strict=True)}
        assert got.keys() == want.keys()
        assert np.allclose([got[k] for k in want], list(want.values()), atol=1e-6)


def test_a_cache_of_stored_counts_gives_the_same_matrix_without_tokenising() -> None:
    papers = pool()
    cold = Corpus(papers)
    stored = cold.cache.take_fresh()
    warm_cache = TermCache()
    warm_cache.learn(stored)
    warm = Corpus(papers, cache=warm_cache)
    assert warm_cache.fresh == {}  # nothing tokenised
    assert (warm.matrix != cold.matrix).nnz == 0
