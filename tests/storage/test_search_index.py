"""Search filters stay right however papers arrive: backfills, changed list dates, upvotes that
grow and sightings that go, and a database migrated from before the date-ordered index."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from paperpulse.storage import Repository, downgrade, upgrade
from paperpulse.storage.schema import PaperRow, SightingRow
from paperpulse.storage.search import PaperSearch
from tests.storage.builders import T0, make_listing, make_paper, save

AUG3 = date(2026, 8, 3)


def _store(repo: Repository, day: date, arxiv_id: str, upvotes: int | None = 10) -> None:
    """One paper about quokkas listed on ``day`` (saved now, whatever the day)."""
    paper = make_paper(arxiv_id, title=f"Quokka foraging {arxiv_id}", list_date=day)
    period = day.isoformat()
    save(repo, make_listing([paper], period=period, upvotes=upvotes), T0 + (day - AUG3))


def _found(search: PaperSearch, **filters: object) -> set[str]:
    return {h.arxiv_id for h in search.search("quokka", limit=50, **filters)}  # type: ignore[arg-type]


def test_date_filters_follow_list_dates_whatever_the_saving_order(repo: Repository) -> None:
    _store(repo, AUG3 + timedelta(days=2), "2608.00005")
    _store(repo, AUG3, "2608.00003")  # a backfill: saved after a newer day
    _store(repo, AUG3 + timedelta(days=1), "2608.00004")
    search = PaperSearch(repo.engine)
    day4 = AUG3 + timedelta(days=1)
    assert _found(search, start=day4, end=day4) == {"2608.00004"}
    assert _found(search, start=day4) == {"2608.00004", "2608.00005"}
    assert _found(search, end=AUG3) == {"2608.00003"}
    assert _found(search, start=AUG3 + timedelta(days=3)) == set()


def test_the_newest_list_dates_are_ranked_not_the_last_saved(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    if repo.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL ranks every match")
    from paperpulse.storage import search as search_module

    _store(repo, AUG3 + timedelta(days=9), "2608.00012")
    _store(repo, AUG3, "2608.00003")  # saved last, listed first
    monkeypatch.setattr(search_module, "RANKED", 1)
    assert _found(PaperSearch(repo.engine)) == {"2608.00012"}


def test_a_changed_list_date_moves_the_paper_between_date_ranges(repo: Repository) -> None:
    _store(repo, AUG3, "2608.00003")
    _store(repo, AUG3, "2608.00033")
    later = AUG3 + timedelta(days=30)
    with repo.engine.begin() as conn:
        conn.execute(
            sa.update(PaperRow).where(PaperRow.arxiv_id == "2608.00003").values(list_date=later)
        )
    search = PaperSearch(repo.engine)
    assert _found(search, end=AUG3) == {"2608.00033"}
    assert _found(search, start=later) == {"2608.00003"}
    assert _found(search) == {"2608.00003", "2608.00033"}  # still indexed, once


def test_a_minimum_of_upvotes_follows_every_sighting(repo: Repository) -> None:
    _store(repo, AUG3, "2608.00003", upvotes=3)
    search = PaperSearch(repo.engine)
    assert _found(search, min_upvotes=5) == set()
    _store(repo, AUG3 + timedelta(days=1), "2608.00003", upvotes=7)  # seen again, higher
    _store(repo, AUG3 + timedelta(days=2), "2608.00003", upvotes=2)  # and lower: max stays
    [hit] = search.search("quokka", min_upvotes=5)
    assert hit.upvotes == 7
    with repo.engine.begin() as conn:
        conn.execute(sa.delete(SightingRow).where(SightingRow.upvotes == 7))
    assert _found(search, min_upvotes=5) == set()
    assert [h.upvotes for h in search.search("quokka")] == [3]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_migrating_an_existing_database_reindexes_it_and_back(blank_url: str) -> None:
    upgrade(blank_url, "0009")
    repo = Repository(sa.create_engine(blank_url))
    _store(repo, AUG3 + timedelta(days=1), "2608.00004", upvotes=8)
    _store(repo, AUG3, "2608.00003", upvotes=1)
    upgrade(repo.engine)
    search = PaperSearch(repo.engine)
    assert _found(search, end=AUG3) == {"2608.00003"}
    assert _found(search, min_upvotes=5) == {"2608.00004"}
    _store(repo, AUG3 + timedelta(days=2), "2608.00005")
    assert _found(search, start=AUG3 + timedelta(days=2)) == {"2608.00005"}

    downgrade(repo.engine, "0009")  # 0008's index again, kept by its triggers
    _store(repo, AUG3 + timedelta(days=3), "2608.00006")
    with repo.engine.connect() as conn:
        matched = conn.exec_driver_sql(
            "SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'quokka'"
        ).scalar()
    assert matched == 4
    upgrade(repo.engine)
    assert _found(search) == {"2608.00003", "2608.00004", "2608.00005", "2608.00006"}
    repo.engine.dispose()
