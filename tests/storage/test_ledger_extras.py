"""Exclusive runs, atomic save-and-finish, revisions, windows and author profiles."""

from __future__ import annotations

import socket
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from paperpulse.core.models import AuthorPaper, AuthorProfile, Paper
from paperpulse.storage import Repository
from tests.storage.builders import T0, make_listing, make_paper, save, start_run


def test_a_listing_in_flight_is_not_fetched_twice(repo: Repository) -> None:
    first = repo.start_exclusive_run("hf-daily", "2026-08-03", None, T0)
    assert first is not None
    assert repo.start_exclusive_run("hf-daily", "2026-08-03", None, T0) is None
    assert repo.start_exclusive_run("hf-daily", "2026-08-04", None, T0) is not None


def test_a_run_whose_process_died_no_longer_blocks(repo: Repository, engine: Engine) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    first = repo.start_exclusive_run("hf-daily", "2026-08-03", None, T0)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE runs SET owner = :o WHERE id = :i"),
            {"o": f"{socket.gethostname()}:{dead.stdout.strip()}", "i": first},
        )
    second = repo.start_exclusive_run("hf-daily", "2026-08-03", None, T0)
    assert second is not None
    (old,) = [r for r in repo.runs("hf-daily", "2026-08-03") if r.id == first]
    assert old.status == "failed" and old.error and "interrupted" in old.error


def test_any_listing_left_running_by_a_gone_process_is_closed_by_the_next_start(
    repo: Repository, engine: Engine
) -> None:
    """A run that could not close itself (the disk was full) never stays "running"."""
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    orphan = repo.start_exclusive_run("arxiv-listing", "cs.LG", None, T0)
    live = repo.start_exclusive_run("hf-daily", "2026-08-02", None, T0)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE runs SET owner = :o WHERE id = :i"),
            {"o": f"{socket.gethostname()}:{gone}", "i": orphan},
        )
    repo.start_exclusive_run("hf-daily", "2026-08-03", None, T0 + timedelta(hours=2))
    status = {r.id: r.status for r in repo.runs()}
    assert status[orphan] == "failed"  # its process is gone
    assert status[live] == "running"  # this process still runs it, however long it takes


def test_another_hosts_run_blocks_until_it_is_stale(repo: Repository, engine: Engine) -> None:
    first = repo.start_exclusive_run("hf-daily", "2026-08-03", None, T0)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE runs SET owner = 'elsewhere:1' WHERE id = :i"), {"i": first})
    assert (
        repo.start_exclusive_run("hf-daily", "2026-08-03", None, T0 + timedelta(minutes=5)) is None
    )
    later = T0 + timedelta(hours=1)
    assert repo.start_exclusive_run("hf-daily", "2026-08-03", None, later) is not None


def test_save_and_finish_is_one_transaction(repo: Repository) -> None:
    listing = make_listing([make_paper("2608.00001")])
    run_id = start_run(repo, listing.source, listing.period, listing.url, T0)
    result = repo.save_listing(run_id, listing, T0, finished_at=T0 + timedelta(seconds=1))
    (run,) = repo.runs(listing.source, listing.period)
    assert (run.status, run.fetched, run.new) == ("complete", 1, 1) and result.new == 1
    empty = make_listing([], period="2026-08-08")
    run_id = start_run(repo, empty.source, empty.period, empty.url, T0)
    repo.save_listing(run_id, empty, T0, finished_at=T0)
    assert repo.runs(empty.source, empty.period)[0].status == "empty"


def test_tracked_fields_as_they_were_at_a_moment(repo: Repository) -> None:
    paper = make_paper("2608.00002", title="First title", github_repo=None)
    save(repo, make_listing([paper]), T0)
    save(repo, make_listing([replace(paper, title="Second title")]), T0 + timedelta(days=1))
    save(
        repo,
        make_listing([replace(paper, title="Second title", github_repo="https://github.com/a/b")]),
        T0 + timedelta(days=2),
    )
    at_start = repo.tracked_before(["2608.00002"], T0 + timedelta(hours=1))["2608.00002"]
    assert (at_start.title, at_start.github_repo) == ("First title", None)
    mid = repo.tracked_before(["2608.00002"], T0 + timedelta(days=1, hours=1))["2608.00002"]
    assert (mid.title, mid.github_repo) == ("Second title", None)
    now = repo.tracked_before(["2608.00002"], T0 + timedelta(days=3))["2608.00002"]
    assert now.github_repo == "https://github.com/a/b"


def test_runs_between_and_their_papers(repo: Repository) -> None:
    save(repo, make_listing([make_paper("2608.00003")], period="2026-08-01"), T0)
    save(
        repo, make_listing([make_paper("2608.00004")], period="2026-08-02"), T0 + timedelta(days=1)
    )
    window = repo.runs_between(T0 + timedelta(hours=12), T0 + timedelta(days=2))
    assert [r.period for r in window] == ["2026-08-02"]
    assert repo.ids_in_runs([r.id for r in window]) == {"2608.00004"}
    first = repo.first_seen(["2608.00003", "2608.00004"])
    assert first["2608.00003"] < first["2608.00004"]


def test_author_profiles_round_trip_newest_first(repo: Repository) -> None:
    paper = AuthorPaper(
        paper_id="p1",
        title="A paper",
        arxiv_id="2608.00005",
        publication_date=date(2026, 8, 1),
        year=2026,
        citation_count=3,
    )
    older = AuthorProfile(
        author_id="42",
        name="Hanze Dong",
        h_index=35,
        paper_count=40,
        citation_count=2941,
        affiliations=("Salesforce",),
    )
    newer = replace(older, h_index=36, recent_papers=(paper,))
    repo.save_author_profile(None, "Hanze Dong", older, T0)
    repo.save_author_profile(None, "Hanze Dong", newer, T0 + timedelta(days=1))
    got = repo.author_profiles("Hanze Dong", until=T0 + timedelta(days=2))
    assert [p for _, p in got] == [newer, older]
    assert repo.author_profiles("Hanze Dong", until=T0 + timedelta(hours=1)) == [(T0, older)]


def test_an_arxiv_title_is_not_overwritten_by_hf_but_hf_only_papers_follow_hf(
    repo: Repository,
) -> None:
    arxiv = make_paper("2608.00006", title="Title as submitted")
    save(repo, make_listing([arxiv], source="arxiv-listing", period="cs.CL"), T0)
    save(repo, make_listing([replace(arxiv, title="HF's cleaned title")]), T0 + timedelta(hours=1))
    assert repo.papers(["2608.00006"])["2608.00006"].title == "Title as submitted"
    hf_only = make_paper("2608.00007", title="Old HF title")
    save(repo, make_listing([hf_only]), T0)
    save(repo, make_listing([replace(hf_only, title="New HF title")]), T0 + timedelta(hours=1))
    stored: Paper = repo.papers(["2608.00007"])["2608.00007"]
    assert stored.title == "New HF title"
