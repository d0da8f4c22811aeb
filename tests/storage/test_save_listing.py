"""save_listing: merge papers, keep authors unique, append sightings, all or nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from paperpulse.core.errors import StorageError
from paperpulse.core.kinds import RunStatus
from paperpulse.core.models import Author, Listing, ListingItem
from paperpulse.storage import Repository, SaveResult
from paperpulse.storage.schema import PaperRow
from tests.storage.builders import SAVED_AFTER, T0, make_listing, make_paper, save, start_run

DAY = timedelta(days=1)


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_same_papers_in_two_runs_are_stored_once_and_seen_twice(
    repo: Repository, engine: Engine
) -> None:
    listing = make_listing([make_paper("2608.00001"), make_paper("2608.00002")])
    _, first = save(repo, listing, T0)
    _, second = save(repo, listing, T0 + timedelta(hours=1))

    assert (first.fetched, first.new, first.updated) == (2, 2, 0)
    assert first.new_ids == ("2608.00001", "2608.00002")
    assert (second.fetched, second.new, second.updated) == (2, 0, 0)
    assert count(engine, "papers") == 2
    assert count(engine, "authors") == 2
    assert count(engine, "paper_authors") == 4
    history = repo.sightings(["2608.00001", "2608.00002"])
    assert [len(history[i]) for i in ("2608.00001", "2608.00002")] == [2, 2]


def test_updated_counts_only_real_changes_to_tracked_fields(repo: Repository) -> None:
    base = [make_paper(f"2608.0000{i}") for i in range(1, 7)]
    save(repo, make_listing(base))
    changed = [
        base[0],  # unchanged
        make_paper("2608.00002", title="A Better Title"),
        make_paper("2608.00003", abstract="A rewritten abstract."),
        make_paper("2608.00004", github_repo="https://github.com/org/code"),
        make_paper("2608.00005", version=2),
        # Not tracked, or only reformatted: a richer AI summary, a rewrapped title.
        make_paper("2608.00006", ai_summary="Summary.", title="Paper  2608.00006\n"),
    ]
    _, result = save(repo, make_listing(changed), T0 + DAY)

    assert result.new == 0
    assert result.updated_ids == ("2608.00002", "2608.00003", "2608.00004", "2608.00005")
    assert result.updated == 4
    stored = repo.papers(["2608.00002", "2608.00005", "2608.00006"])
    assert stored["2608.00002"].title == "A Better Title"
    assert stored["2608.00005"].version == 2
    assert stored["2608.00006"].ai_summary == "Summary."


def test_updated_at_moves_only_when_a_tracked_field_changes(
    repo: Repository, engine: Engine
) -> None:
    save(repo, make_listing([make_paper("2608.00001"), make_paper("2608.00002")]), T0)
    save(
        repo,
        make_listing([make_paper("2608.00001", version=3), make_paper("2608.00002", doi="10.1/x")]),
        T0 + DAY,
    )
    with engine.connect() as conn:
        query = sa.select(PaperRow.arxiv_id, PaperRow.updated_at)
        updated_at: dict[str, datetime | None] = {i: at for i, at in conn.execute(query)}
    assert updated_at["2608.00001"] == T0 + DAY + SAVED_AFTER  # observed_at of that save
    assert updated_at["2608.00002"] is None  # a DOI is not tracked; a new paper starts NULL


def test_an_unknown_value_never_erases_a_known_one(repo: Repository) -> None:
    rich = make_paper(
        "2608.00001",
        abstract="Full abstract.",
        github_repo="https://github.com/org/code",
        organization="DeepLab",
        ai_keywords=("agents", "rl"),
        categories=("cs.AI",),
        doi="10.1234/abc",
        version=2,
    )
    save(repo, make_listing([rich]), T0)
    sparse = make_paper(
        "2608.00001",
        title="",
        authors=(),
        abstract="",
        github_repo=None,
        organization=None,
        ai_keywords=(),
        categories=(),
        doi=None,
        version=None,
        list_date=None,
        published_at=None,
    )
    _, result = save(repo, make_listing([sparse]), T0 + DAY)

    assert result.updated == 0
    assert repo.papers(["2608.00001"])["2608.00001"] == rich


def test_list_date_keeps_the_earliest(repo: Repository) -> None:
    save(repo, make_listing([make_paper("2608.00001", list_date=date(2026, 8, 3))]))
    save(repo, make_listing([make_paper("2608.00001", list_date=date(2026, 8, 1))]), T0 + DAY)
    save(repo, make_listing([make_paper("2608.00001", list_date=date(2026, 8, 9))]), T0 + 2 * DAY)
    assert repo.papers(["2608.00001"])["2608.00001"].list_date == date(2026, 8, 1)


def test_version_never_goes_back(repo: Repository) -> None:
    save(repo, make_listing([make_paper("2608.00001", version=3)]))
    _, result = save(repo, make_listing([make_paper("2608.00001", version=1)]), T0 + DAY)
    assert result.updated == 0
    assert repo.papers(["2608.00001"])["2608.00001"].version == 3


def test_a_bare_id_then_v2_is_an_update_and_a_bare_id_then_v1_is_not(
    repo: Repository,
) -> None:
    save(repo, make_listing([make_paper(f"2608.0000{i}", version=None) for i in (1, 2)]))
    revised = [make_paper("2608.00001", version=2), make_paper("2608.00002", version=1)]
    _, result = save(repo, make_listing(revised), T0 + DAY)
    assert result.updated_ids == ("2608.00001",)  # HF lists bare ids: v1 until told otherwise


def test_resaving_the_same_run_adds_nothing(repo: Repository, engine: Engine) -> None:
    listing = make_listing([make_paper("2608.00001"), make_paper("2608.00002")])
    run_id = start_run(repo, listing.source, listing.period, listing.url, T0)
    first = repo.save_listing(run_id, listing, T0)
    again = repo.save_listing(run_id, listing, T0 + timedelta(minutes=1))

    assert (first.new, again.new, again.updated) == (2, 0, 0)
    assert count(engine, "sightings") == 2
    assert count(engine, "papers") == 2
    assert count(engine, "paper_authors") == 4


@contextmanager
def written_tables(engine: Engine) -> Iterator[list[str]]:
    """The tables each INSERT, UPDATE or DELETE sent to the database writes, in order."""
    tables: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        words = statement.split()
        verb = words[0].upper() if words else ""
        if verb in ("INSERT", "DELETE"):
            tables.append(words[2].strip('"'))
        elif verb == "UPDATE":
            tables.append(words[1].strip('"'))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield tables
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def test_an_unchanged_re_observation_writes_only_its_sightings_and_run(
    repo: Repository, engine: Engine
) -> None:
    papers = [make_paper("2608.00001"), make_paper("2608.00002", github_repo="https://g.h/x")]
    save(repo, make_listing(papers))
    with written_tables(engine) as tables:
        _, result = save(repo, make_listing(papers, upvotes=50), T0 + DAY)

    assert (result.new, result.updated) == (0, 0)
    assert set(tables) == {"runs", "sightings"}
    assert count(engine, "sightings") == 4


def test_a_re_observation_writes_what_changed_and_nothing_else(
    repo: Repository, engine: Engine
) -> None:
    papers = [make_paper(f"2608.0000{i}") for i in (1, 2, 3)]
    save(repo, make_listing(papers))
    richer = (Author(name="Ada Lovelace", hf_user="ada"), Author(name="Alan Turing"))
    again = [papers[0], make_paper("2608.00002", authors=richer), papers[2]]
    with written_tables(engine) as tables:
        save(repo, make_listing(again), T0 + DAY)
    # Arriving from arXiv adds a source family to every paper: all three rows are written.
    with written_tables(engine) as from_arxiv:
        save(repo, make_listing(again, source="arxiv-listing"), T0 + 2 * DAY)

    # The account goes to authors; the papers upsert is sent (the byline differs) but its
    # WHERE leaves the row alone; positions and affiliations are unchanged.
    assert sorted(set(tables)) == ["authors", "papers", "runs", "sightings"]
    assert repo.papers(["2608.00002"])["2608.00002"].authors == richer
    assert "papers" in from_arxiv and "paper_authors" not in from_arxiv


def test_changed_author_list_replaces_the_byline(repo: Repository, engine: Engine) -> None:
    save(repo, make_listing([make_paper("2608.00001")]))
    new_byline = (
        Author(name="alan  TURING", affiliation="Manchester"),  # same person, other spelling
        Author(name="Grace Hopper", hf_user="ghopper"),
    )
    save(repo, make_listing([make_paper("2608.00001", authors=new_byline)]), T0 + DAY)

    stored = repo.papers(["2608.00001"])["2608.00001"].authors
    assert stored == (
        Author(name="Alan Turing", affiliation="Manchester"),  # first spelling is kept
        Author(name="Grace Hopper", hf_user="ghopper"),
    )
    assert count(engine, "paper_authors") == 2
    assert count(engine, "authors") == 3  # Ada stays: other papers may name her


def test_same_byline_gains_affiliation_and_hf_user_without_new_rows(
    repo: Repository, engine: Engine
) -> None:
    save(repo, make_listing([make_paper("2608.00001")]))
    richer = (
        Author(name="Ada Lovelace", hf_user="ada", affiliation="Analytical Engines"),
        Author(name="Alan Turing"),
    )
    save(repo, make_listing([make_paper("2608.00001", authors=richer)]), T0 + DAY)
    save(repo, make_listing([make_paper("2608.00001")]), T0 + 2 * DAY)  # plain again

    assert repo.papers(["2608.00001"])["2608.00001"].authors == richer
    assert count(engine, "paper_authors") == 2
    assert count(engine, "authors") == 2


def test_a_paper_listed_twice_keeps_its_first_item(repo: Repository) -> None:
    paper = make_paper("2608.00001")
    listing = make_listing([paper])
    twice = listing.__class__(
        source=listing.source,
        period=listing.period,
        url=listing.url,
        fetched_at=listing.fetched_at,
        items=(ListingItem(paper=paper, rank=1, upvotes=5), ListingItem(paper=paper, rank=7)),
    )
    run_id, result = save(repo, twice)
    assert result.fetched == 1
    [(_, sighting)] = repo.listing_items(run_id)
    assert (sighting.rank, sighting.upvotes) == (1, 5)


@contextmanager
def failing_sightings_insert(engine: Engine) -> Iterator[None]:
    """Make the sightings insert (the last write of save_listing) blow up."""

    def explode(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO SIGHTINGS"):
            raise RuntimeError("injected failure")

    event.listen(engine, "before_cursor_execute", explode)
    yield
    event.remove(engine, "before_cursor_execute", explode)


def test_a_failure_midway_writes_nothing(repo: Repository, engine: Engine) -> None:
    save(repo, make_listing([make_paper("2608.00001")], period="2026-08-02"), T0 - DAY)
    listing = make_listing([make_paper("2608.00001", title="Changed"), make_paper("2608.00002")])
    run_id = start_run(repo, listing.source, listing.period, listing.url, T0)

    with failing_sightings_insert(engine), pytest.raises(RuntimeError, match="injected"):
        repo.save_listing(run_id, listing, T0)

    assert count(engine, "papers") == 1
    assert repo.papers(["2608.00001"])["2608.00001"].title == "Paper 2608.00001"
    assert count(engine, "paper_authors") == 2
    assert repo.listing_items(run_id) == []


@pytest.fixture
def trigger_rejecting_2608_00002(engine: Engine, backend: str) -> Iterator[None]:
    """A database-side failure on the second sighting, after papers and authors are written."""
    with engine.begin() as conn:
        if backend == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER reject BEFORE INSERT ON sightings "
                "WHEN NEW.arxiv_id = '2608.00002' BEGIN SELECT RAISE(ABORT, 'rejected'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION reject() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.arxiv_id = '2608.00002' THEN RAISE EXCEPTION 'rejected'; END IF; "
                "RETURN NEW; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER reject BEFORE INSERT ON sightings "
                "FOR EACH ROW EXECUTE FUNCTION reject()"
            )
    yield
    with engine.begin() as conn:
        if backend == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER reject")
        else:
            conn.exec_driver_sql("DROP TRIGGER reject ON sightings")
            conn.exec_driver_sql("DROP FUNCTION reject()")


def test_a_database_error_is_a_storage_error_and_writes_nothing(
    repo: Repository, engine: Engine, trigger_rejecting_2608_00002: None
) -> None:
    listing = make_listing([make_paper("2608.00001"), make_paper("2608.00002")])
    run_id = start_run(repo, listing.source, listing.period, listing.url, T0)
    with pytest.raises(StorageError, match=r"saving the hf-daily listing for 2026-08-03 \(run "):
        repo.save_listing(run_id, listing, T0)
    assert count(engine, "papers") == 0
    assert count(engine, "authors") == 0
    assert count(engine, "sightings") == 0


def test_unknown_run_and_mismatched_listing_are_refused(repo: Repository) -> None:
    listing = make_listing([make_paper("2608.00001")])
    with pytest.raises(StorageError, match="run 42 does not exist"):
        repo.save_listing(42, listing, T0)
    other = start_run(repo, "arxiv-listing", "2026-08-03", None, T0)
    with pytest.raises(ValueError, match="not hf-daily 2026-08-03"):
        repo.save_listing(other, listing, T0)


def test_thousands_of_papers_in_one_listing(repo: Repository, engine: Engine) -> None:
    """More ids than fit one IN list or one SQLite statement's variables."""
    papers = [make_paper(f"2608.{i:05d}") for i in range(1, 2_201)]
    run_id, first = save(repo, make_listing(papers))
    changed = [*papers[:-1], make_paper("2608.02200", title="Changed at the very end")]
    _, second = save(repo, make_listing(changed), T0 + DAY)

    assert (first.new, second.new, second.updated_ids) == (2_200, 0, ("2608.02200",))
    assert count(engine, "sightings") == 4_400
    assert len(repo.papers(p.arxiv_id for p in papers)) == 2_200
    items = repo.listing_items(run_id)
    assert [s.rank for _, s in items] == list(range(1, 2_201))


def test_empty_listing_saves_nothing(repo: Repository, engine: Engine) -> None:
    _, result = save(repo, make_listing([]), status=RunStatus.EMPTY)
    assert (result.fetched, result.new, result.updated) == (0, 0, 0)
    assert count(engine, "sightings") == 0
    assert repo.runs()[0].status == "empty"


def test_naive_times_are_refused(repo: Repository) -> None:
    naive = datetime(2026, 8, 3, 6, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        start_run(repo, "hf-daily", "2026-08-03", None, naive)
    run_id = start_run(repo, "hf-daily", "2026-08-03", None, T0)
    with pytest.raises(ValueError, match="published_at"):
        repo.save_listing(run_id, make_listing([make_paper("2608.00001", published_at=naive)]), T0)


def test_aware_times_round_trip_as_utc(repo: Repository) -> None:
    from zoneinfo import ZoneInfo

    tokyo = datetime(2026, 8, 3, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Tokyo"))
    paper = make_paper("2608.00001", published_at=tokyo)
    run_id = start_run(repo, "hf-daily", "2026-08-03", None, tokyo)
    repo.save_listing(run_id, make_listing([paper]), tokyo)

    stored = repo.papers(["2608.00001"])["2608.00001"].published_at
    [run] = repo.runs()
    [(_, sighting)] = repo.listing_items(run_id)
    for value in (stored, run.started_at, sighting.observed_at):
        assert value == tokyo
        assert value is not None and value.tzinfo == UTC
        assert value.hour == 0  # 09:30 in Tokyo is 00:30 UTC


def test_concurrent_saves_of_overlapping_listings(repo: Repository, engine: Engine) -> None:
    """Two sources listing the same papers in opposite orders at once: no deadlock, no loss."""
    papers = [make_paper(f"2608.{i:05d}") for i in range(1, 201)]
    listings = [
        make_listing(papers, source="hf-daily"),
        make_listing(list(reversed(papers)), source="arxiv-listing"),
        make_listing(papers[::2], source="hf-weekly"),
        make_listing(papers[1::2], source="hf-trending"),
    ]
    run_ids = [start_run(repo, x.source, x.period, x.url, T0) for x in listings]
    barrier = threading.Barrier(len(listings))
    results: list[SaveResult] = []
    errors: list[BaseException] = []

    def run(run_id: int, listing: Listing) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(repo.save_listing(run_id, listing, T0))
        except BaseException as exc:  # re-raised below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=pair) for pair in zip(run_ids, listings, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    assert sum(r.new for r in results) == 200  # each paper is new to exactly one of them
    assert count(engine, "papers") == 200
    assert count(engine, "authors") == 2
    assert count(engine, "paper_authors") == 400
    assert count(engine, "sightings") == 600
