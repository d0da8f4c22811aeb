"""Reading history back: runs, sightings, the previous run of a listing, a run's items."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paperpulse.core.errors import StorageError
from paperpulse.core.kinds import RunStatus
from paperpulse.core.models import Author
from paperpulse.storage import Repository
from tests.storage.builders import T0, make_listing, make_paper, save, start_run

HOUR = timedelta(hours=1)


def test_papers_round_trip_every_field(repo: Repository) -> None:
    paper = make_paper(
        "2608.00001",
        authors=(Author(name="Ada Lovelace", hf_user="ada", affiliation="Analytical"),),
        organization="DeepLab",
        github_repo="https://github.com/org/code",
        project_page="https://example.org/p",
        ai_summary="It works.",
        ai_keywords=("agents", "rl"),
        comment="12 pages",
        journal_ref="NeurIPS 2026",
        doi="10.1234/abc",
    )
    old_style = make_paper("math.GT/0309136", authors=(), categories=())
    save(repo, make_listing([paper, old_style]))

    stored = repo.papers(["math.GT/0309136", "2608.00001", "9999.99999"])
    assert list(stored) == ["math.GT/0309136", "2608.00001"]  # asked order, unknown left out
    assert stored["2608.00001"] == paper
    assert stored["math.GT/0309136"] == old_style


def test_sightings_are_ordered_and_filtered_by_time(repo: Repository) -> None:
    for hours in (2, 0, 1):  # saved out of order: order comes from observed_at
        listing = make_listing([make_paper("2608.00001")], upvotes=10 * hours)
        save(repo, listing, T0 + hours * HOUR)

    history = repo.sightings(["2608.00001", "2608.99999"])
    assert list(history) == ["2608.00001"]
    assert [s.upvotes for s in history["2608.00001"]] == [0, 10, 20]
    window = repo.sightings(["2608.00001"], since=T0 + HOUR, until=T0 + 2 * HOUR)
    assert [s.upvotes for s in window["2608.00001"]] == [10]  # [since, until)


def test_listing_items_pair_papers_with_sightings_by_rank(repo: Repository) -> None:
    papers = [make_paper(f"2608.0000{i}") for i in range(1, 4)]
    run_id, _ = save(repo, make_listing(list(reversed(papers))))
    items = repo.listing_items(run_id)
    assert [(p.arxiv_id, s.rank) for p, s in items] == [
        ("2608.00003", 1),
        ("2608.00002", 2),
        ("2608.00001", 3),
    ]
    assert all(s.run_id == run_id and s.source == "hf-daily" for _, s in items)


def test_run_ledger(repo: Repository) -> None:
    run_id = start_run(repo, "arxiv-listing", "2026-08-03", "https://arxiv.org/list/cs.LG/new", T0)
    [running] = repo.runs("arxiv-listing")
    assert (running.id, running.status, running.finished_at) == (run_id, "running", None)

    repo.finish_run(
        run_id,
        status=RunStatus.FAILED,
        fetched=40,
        declared=47,
        error="7 papers missing",
        finished_at=T0 + HOUR,
    )
    [failed] = repo.runs("arxiv-listing", "2026-08-03")
    assert (failed.status, failed.fetched, failed.declared, failed.error) == (
        "failed",
        40,
        47,
        "7 papers missing",
    )
    assert failed.finished_at == T0 + HOUR
    assert repo.latest_complete_run("arxiv-listing", "2026-08-03") is None
    assert repo.runs("hf-daily") == []


def test_latest_complete_run_is_the_newest_complete_one(repo: Repository) -> None:
    listing = make_listing([make_paper("2608.00001")])
    save(repo, listing, T0)
    newest, _ = save(repo, listing, T0 + HOUR)
    save(repo, listing, T0 + 2 * HOUR, status=RunStatus.FAILED)
    latest = repo.latest_complete_run("hf-daily", "2026-08-03")
    assert latest is not None and latest.id == newest


def test_complete_periods_include_empty_days_not_failed_or_running_ones(
    repo: Repository,
) -> None:
    for day, status in [
        ("01", RunStatus.COMPLETE),
        ("02", RunStatus.EMPTY),
        ("03", RunStatus.FAILED),
        ("09", RunStatus.COMPLETE),
    ]:
        save(repo, make_listing([], period=f"2026-08-{day}"), status=status)
    start_run(repo, "hf-daily", "2026-08-04", None, T0)  # still running
    save(repo, make_listing([], source="arxiv-listing", period="2026-08-05"))

    assert repo.complete_periods("hf-daily", "2026-08-01", "2026-08-05") == {
        "2026-08-01",
        "2026-08-02",
    }


def test_finishing_needs_a_real_run_and_a_final_status(repo: Repository) -> None:
    with pytest.raises(StorageError, match="no such run"):
        repo.finish_run(99, status=RunStatus.COMPLETE, finished_at=T0)
    run_id = start_run(repo, "hf-daily", "2026-08-03", None, T0)
    with pytest.raises(ValueError, match="run status"):
        repo.finish_run(run_id, status=RunStatus.RUNNING, finished_at=T0)
