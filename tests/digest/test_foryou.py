"""Ranking by a reader's library: the right papers first, reasons naming the library, title
matching, likes and hides, and the digest section."""

from __future__ import annotations

from paperpulse.core.models import Paper
from paperpulse.digest.foryou import (
    TITLE,
    Corpus,
    ReaderModel,
    for_you_section,
    match_entries,
    with_for_you,
)
from paperpulse.digest.library import Library, LibraryEntry
from paperpulse.digest.models import DigestItem, Section
from tests.digest.foryou_pool import pool

KV_LIBRARY = Library(
    entries=(
        LibraryEntry(
            title="Thinner key cache by pruning",
            abstract="Pruning the key value cache of language models saves memory at long "
            "context; cached keys are evicted by the query.",
        ),
        LibraryEntry(
            title="Quantized KV cache for long context",
            abstract="Quantizing the key value cache lets long context inference fit memory.",
        ),
    )
)


def theme(paper: Paper) -> str:
    return paper.arxiv_id[5]  # "1": kv, "2": diffusion, "3": robot, "4": speech


def test_papers_like_the_library_rank_first_with_reasons_naming_it() -> None:
    papers = pool()
    model = ReaderModel(Corpus(papers), KV_LIBRARY)
    ranked = model.rank(papers)
    assert {theme(r.paper) for r in ranked[:10]} == {"1"}
    assert all(r.score > ranked[10].score for r in ranked[:10])
    reason = ranked[0].reason
    assert reason.startswith("close to “")
    assert "in your library: " in reason
    assert "Thinner key cache by pruning" in reason or "Quantized KV cache" in reason
    assert "cache" in reason.split(": ", 1)[1]


def test_library_entries_match_stored_papers_by_id_or_fuzzy_title() -> None:
    papers = [
        Paper(arxiv_id="2407.21018", title="ThinK: Thinner Key Cache by Query-Driven Pruning"),
        Paper(arxiv_id="2310.01889", title="Ring Attention with Blockwise Transformers"),
        Paper(arxiv_id="2401.00001", title="BERT"),
    ]
    entries = [
        LibraryEntry(title="Thinк: thinner key cache by query driven prunning"),  # typos
        LibraryEntry(arxiv_id="2310.01889"),
        LibraryEntry(title="BERTs"),  # short titles must be equal
        LibraryEntry(title="Something else entirely, about graphs"),
    ]
    found = match_entries(entries, papers)
    assert {i: p.arxiv_id for i, p in found.items()} == {0: "2407.21018", 1: "2310.01889"}


def test_matched_papers_are_not_recommended_and_unmatched_entries_still_count() -> None:
    papers = pool()
    owned = papers[0]
    library = Library(entries=(LibraryEntry(arxiv_id=owned.arxiv_id), *KV_LIBRARY.entries))
    model = ReaderModel(Corpus(papers), library)
    assert model.matched == 1
    ranked = model.rank(papers)
    assert owned.arxiv_id not in {r.paper.arxiv_id for r in ranked}
    assert theme(ranked[0].paper) == "1"


def test_likes_and_hides_change_the_next_ranking() -> None:
    papers = pool()
    corpus = Corpus(papers)
    before = ReaderModel(corpus, KV_LIBRARY).rank(papers)
    robot = next(p for p in papers if theme(p) == "3")
    speech = [p for p in papers if theme(p) == "4"]

    liked = ReaderModel(corpus, KV_LIBRARY, likes={robot.arxiv_id}).rank(papers)

    def best(ranked: list, t: str) -> int:  # type: ignore[type-arg]
        return next(i for i, r in enumerate(ranked) if theme(r.paper) == t)

    # Liking a robot paper lifts the other robot papers above the themes nobody liked...
    assert best(liked, "3") < best(liked, "2") and best(liked, "3") < best(liked, "4")

    def lead(ranked: list, t: str) -> float:  # type: ignore[type-arg]
        mean = {k: [r.score for r in ranked if theme(r.paper) == k] for k in ("2", t)}
        return sum(mean[t]) / len(mean[t]) - sum(mean["2"]) / len(mean["2"])

    assert lead(liked, "3") > lead(before, "3") + 0.1
    # ...and the liked paper itself, now in the library, is not shown again.
    assert robot.arxiv_id not in {r.paper.arxiv_id for r in liked}

    hidden = speech[0]
    after = ReaderModel(corpus, KV_LIBRARY, hides={hidden.arxiv_id}).rank(papers)
    assert hidden.arxiv_id not in {r.paper.arxiv_id for r in after}
    score = {r.paper.arxiv_id: r.score for r in before}
    # The other speech papers lose ground: their words now count against them.
    assert all(r.score < score[r.paper.arxiv_id] for r in after if theme(r.paper) == "4")


def test_the_section_holds_the_readers_best_share_capped_with_a_hint() -> None:
    papers = pool()
    model = ReaderModel(Corpus(papers), KV_LIBRARY)
    items = [DigestItem(paper=p, upvotes=3) for p in papers[::-1]]
    section = for_you_section(items, model, cap=1, hint="hide with paperpulse hide ID")
    assert section is not None and section.title == TITLE
    [item] = section.items
    assert theme(item.paper) == "1" and item.upvotes == 3
    assert item.reason is not None and "in your library" in item.reason
    assert section.more >= 1  # the pool's top 5% is two papers here
    assert section.details == ("hide with paperpulse hide ID",)
    # The rest are in the sections below (never "in the archive": its For you is not theirs).
    assert len(section.elsewhere) == section.more and item.paper.arxiv_id not in section.elsewhere
    assert section.more_says == "close to your library are among the papers below"


def test_a_rising_paper_for_you_keeps_its_numbers_before_the_reason() -> None:
    papers = pool()
    model = ReaderModel(Corpus(papers), KV_LIBRARY)
    rising = "+42 upvotes since your digest of Mon 03 Mar: 18 → 60"
    items = [
        DigestItem(paper=p, upvotes=60, gain=42, reason=rising, labels=("rising",))
        for p in papers
        if theme(p) == "1"
    ]
    section = for_you_section(items, model, cap=2)
    assert section is not None and len(section.items) == 2
    for item in section.items:
        assert item.reason is not None and item.reason.startswith(rising + " · close to “")
        assert item.gain == 42 and "rising" in item.labels


def test_an_edition_with_nothing_close_says_so_and_no_library_means_no_section() -> None:
    papers = pool()
    model = ReaderModel(Corpus(papers), KV_LIBRARY)
    far = [DigestItem(paper=p) for p in papers if theme(p) == "2"]
    section = for_you_section(far, model, cap=5, hint="hint")
    assert section is not None and section.items == () and section.details == ()
    assert section.note == "Nothing in this edition is close to your library."
    assert for_you_section(far, None, cap=5) is None
    assert for_you_section([], model, cap=5) is None  # no papers at all (a weekend)
    topics = (Section(title="LLM"),)
    assert with_for_you(topics, None) == topics
    assert with_for_you(topics, section)[0].title == TITLE


def test_a_library_alone_ranks_without_a_pool_to_contrast() -> None:
    papers = pool()
    model = ReaderModel(Corpus([]), KV_LIBRARY)
    assert model.classifier is None
    assert theme(model.rank(papers)[0].paper) == "1"
