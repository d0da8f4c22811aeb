"""The "For you" term-count cache: stored once per text, read back intact, pruned by age."""

from __future__ import annotations

from datetime import timedelta

from paperpulse.digest.terms import TermCounts, count_terms, text_key
from paperpulse.storage import Repository
from tests.storage.builders import T0

TEXT = "KV cache eviction for long context decoding; cache the keys, evict the values."


def test_counts_are_stored_once_and_read_back_intact(repo: Repository) -> None:
    key, counts = text_key(TEXT), count_terms(TEXT)
    repo.save_term_counts({key: counts.to_bytes()}, at=T0)
    # A second worker storing the same text keeps the first row (no error, no duplicate).
    repo.save_term_counts({key: counts.to_bytes()}, at=T0 + timedelta(hours=1))
    stored = repo.term_counts([key, text_key("never counted")])
    assert list(stored) == [key]
    back = TermCounts.from_bytes(stored[key])
    assert back.columns.tolist() == counts.columns.tolist()
    assert back.counts.tolist() == counts.counts.tolist()
    assert max(back.counts) == 2  # "cache": counted, not merely present


def test_many_keys_are_read_in_chunks(repo: Repository) -> None:
    texts = [f"paper number {'x' * (n % 7)} about topic {n}" for n in range(1_203)]
    repo.save_term_counts({text_key(t): count_terms(t).to_bytes() for t in texts}, at=T0)
    assert len(repo.term_counts(text_key(t) for t in texts)) == len(set(texts))


def test_old_counts_are_pruned(repo: Repository) -> None:
    repo.save_term_counts({"old": count_terms("old text").to_bytes()}, at=T0)
    repo.save_term_counts({"new": count_terms("new text").to_bytes()}, at=T0 + timedelta(days=9))
    assert repo.prune_term_counts(T0 + timedelta(days=1)) == 1
    assert set(repo.term_counts(["old", "new"])) == {"new"}
