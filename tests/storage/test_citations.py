"""Identities, the citation watch, the once-only ledger and the TL;DR cache, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from paperpulse.core.scholarly import PaperIds, ScholarPaper
from paperpulse.storage.citations import CitationStore, Wanted
from paperpulse.storage.summaries import SummaryStore

T0 = datetime(2026, 8, 3, 6, tzinfo=UTC)
X = "arxiv:2401.00001"


def citing(doi: str, title: str) -> ScholarPaper:
    return ScholarPaper(ids=PaperIds.of(doi=doi), title=title, year=2026)


def test_aliases_of_one_paper_share_one_key_and_merge_into_the_oldest(engine: Engine) -> None:
    store = CitationStore(engine)
    a, b = store.resolve([PaperIds.of(doi="10.1234/a"), PaperIds.of(s2="abc")], T0)
    assert (a, b) == ("doi:10.1234/a", "s2:abc")
    store.record_announced("r", "daily/1", [("cites", b)], T0)
    later = T0 + timedelta(hours=1)
    [merged] = store.resolve([PaperIds.of(doi="10.1234/A", s2="ABC", arxiv="2401.1234v1")], later)
    assert merged == a  # equal age: the smaller key; the ledger follows
    assert store.resolve([PaperIds.of(arxiv="2401.1234")], later) == [a]
    store.add_citations(X, [(b, citing("10.1234/a", "T"))], baseline=False, at=later)
    assert store.citing_news("r", {X: "X"}, "daily/2") == []  # told under "s2:abc" already


def test_baseline_citations_and_venues_are_not_news_later_ones_are_once(engine: Engine) -> None:
    store = CitationStore(engine)
    store.watch({X: Wanted(lookup="ARXIV:2401.00001", title="X", citations=True)}, T0)
    store.add_citations(
        X, [("doi:10.1234/old", citing("10.1234/old", "Old"))], baseline=True, at=T0
    )
    store.record_answer(X, at=T0, paper=None, venue=None, citation_count=1)
    day2 = T0 + timedelta(days=1)
    store.add_citations(
        X, [("doi:10.1234/new", citing("10.1234/new", "New"))], baseline=False, at=day2
    )
    store.record_answer(X, at=day2, paper=None, venue="ICML 2026", citation_count=2)
    [news] = store.citing_news("r", {X: "My X"}, "daily/2")
    assert (news.title, news.cites, news.url) == ("New", ("My X",), "https://doi.org/10.1234/new")
    [venue] = store.venue_news("r", {X: "https://arxiv.org/abs/2401.00001"}, "daily/2")
    assert venue.venue == "ICML 2026" and venue.title == "X"
    store.record_announced("r", "daily/2", [("cites", news.key), ("venue", X)], day2)
    # The same digest rebuilt shows them again; the next one does not; another reader does.
    assert len(store.citing_news("r", {X: "X"}, "daily/2")) == 1
    assert store.citing_news("r", {X: "X"}, "daily/3") == []
    assert store.venue_news("r", {X: ""}, "daily/3") == []
    assert len(store.venue_news("s", {X: ""}, "daily/3")) == 1
    # A venue known at the first answer is the baseline.
    y = "arxiv:2401.00002"
    store.watch({y: Wanted(lookup="ARXIV:2401.00002", title="Y", citations=False)}, day2)
    store.record_answer(y, at=day2, paper=None, venue="NeurIPS", citation_count=None)
    assert store.venue_news("s", {y: ""}, "daily/3") == []


def test_summaries_are_cached_per_language_and_counted_per_day(engine: Engine) -> None:
    store = SummaryStore(engine)
    store.save("2401.00001", "français", "1", tldr="Court.", title="Titre", model="m", at=T0)
    store.save("2401.00001", "français", "1", tldr="Other.", title=None, model="m", at=T0)
    assert store.cached(["2401.00001", "2401.00002"], "français", "1") == {
        "2401.00001": store.cached(["2401.00001"], "français", "1")["2401.00001"]
    }
    assert store.cached(["2401.00001"], "français", "1")["2401.00001"].tldr == "Court."
    assert store.cached(["2401.00001"], "english", "1") == {}
    assert store.made_since(T0) == 1 and store.made_since(T0 + timedelta(seconds=1)) == 0
