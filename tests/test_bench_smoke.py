"""The benchmarks run end to end on tiny inputs and print the table rows they promise.

Smoke only: one round on our own small fixtures (laid out like ../shared/data in a temporary
folder), so it runs in every CI run in about a second. Nothing here looks at a timing.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import parse as parse_bench
from bench import parse_revisions
from bench import render as render_bench
from bench.harness import REPO_ROOT

QUICK = ["--quick", "--rounds", "1"]


def table_rows(output: str) -> list[tuple[str, str]]:
    """(case, competitor) of every data row of the Markdown table."""
    rows = []
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and cells[0] != "case":
            rows.append((cells[0], cells[1]))
    return rows


@pytest.fixture
def tiny_data(tmp_path: Path, fixtures_dir: Path) -> Path:
    """Our small fixtures under the file names bench.parse reads from ../shared/data."""
    for source, target in (
        (fixtures_dir / "hf" / "daily_2026-11-20.html", parse_bench.HF_PAGE),
        (fixtures_dir / "arxiv" / "list_recent_small.html", parse_bench.ARXIV_PAGE),
        (fixtures_dir / "hf" / "daily_2026.json", parse_bench.API_DAY),
    ):
        (tmp_path / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, tmp_path / target)
    return tmp_path


def test_parse_benchmark_prints_every_competitor_of_every_case(
    tiny_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("bs4")
    saved = tmp_path / "parse.json"

    assert parse_bench.main([*QUICK, "--data", str(tiny_data), "--json", str(saved)]) == 0

    rows = table_rows(capsys.readouterr().out)
    soups = ["bs4 html.parser"] + (["bs4 lxml"] if importlib.util.find_spec("lxml") else [])
    assert [(case.split(" (")[0], name) for case, name in rows] == [
        *(("HF Daily page", name) for name in [parse_bench.OURS, parse_bench.FLOOR, *soups]),
        *(("arXiv /recent page", name) for name in [parse_bench.OURS, parse_bench.FLOOR, *soups]),
        ("HF API day", parse_bench.OURS_JSON),
        ("HF API day", parse_bench.PLAIN_JSON),
    ]
    results = json.loads(saved.read_text(encoding="utf-8"))["results"]
    assert len(results) == len(rows)
    assert all(len(result["per_call_s"]) == 1 for result in results)


def test_parse_benchmark_reads_the_data_folder_from_the_environment(
    tiny_data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("bs4")
    monkeypatch.setenv("PAPERPULSE_SHARED_DATA", str(tiny_data))
    assert parse_bench.main(QUICK) == 0
    assert table_rows(capsys.readouterr().out)


def test_parse_benchmark_without_data_says_where_it_looked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-folder"
    assert parse_bench.main([*QUICK, "--data", str(missing)]) == 2
    error = capsys.readouterr().err
    assert str(missing) in error and "PAPERPULSE_SHARED_DATA" in error


def test_parse_benchmark_refuses_to_time_a_baseline_that_extracts_other_values(
    tiny_data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("bs4")
    from bench import soup_parsers

    honest = soup_parsers.arxiv_listing
    monkeypatch.setattr(soup_parsers, "arxiv_listing", lambda html, be: honest(html, be)[:-1])

    assert parse_bench.main([*QUICK, "--data", str(tiny_data)]) == 2
    error = capsys.readouterr().err
    assert "arXiv /recent page" in error and "bs4 html.parser" in error


def test_render_benchmark_prints_each_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert render_bench.main(QUICK) == 0

    output = capsys.readouterr().out
    names = [name for _, name in table_rows(output)]
    assert names == ["Markdown", "HTML", "text", "render_all (3 formats)"]
    assert "per item" in output and "output" in output


def test_before_after_benchmark_times_a_revision_beside_the_working_tree(
    tiny_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("bs4")
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout")

    assert parse_revisions.main(["--rev", "HEAD", *QUICK, "--data", str(tiny_data)]) == 0

    names = [name for _, name in table_rows(capsys.readouterr().out)]
    assert names == [
        *("ours at HEAD", "ours now", parse_bench.FLOOR, parse_bench.BS4),
        *("ours at HEAD", "ours now", parse_bench.FLOOR, parse_bench.BS4),
        *("ours at HEAD", "ours now", parse_bench.PLAIN_JSON),
    ]


def test_before_after_benchmark_names_a_revision_git_does_not_know(
    tiny_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout")
    assert parse_revisions.main(["--rev", "no-such-rev", *QUICK, "--data", str(tiny_data)]) == 2
    assert "no-such-rev" in capsys.readouterr().err


# --- benchmarks 2-5: storage and pipeline ---------------------------------------------------

TINY_DAYS = ("2024-07-29", "2024-07-30", "2024-07-31", "2024-08-01")  # Mon-Thu


@pytest.fixture
def tiny_captures(tmp_path: Path, fixtures_dir: Path) -> Path:
    """A data folder whose hf_api_daily holds our two small API fixtures as four weekdays."""
    folder = tmp_path / "data" / "hf_api_daily"
    folder.mkdir(parents=True)
    for number, day in enumerate(TINY_DAYS):
        source = "daily_2026.json" if number % 2 == 0 else "daily_2024.json"
        shutil.copyfile(fixtures_dir / "hf" / source, folder / f"{day}.json")
    return folder.parent


def test_upsert_benchmark_times_both_writers_on_new_and_known_papers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bench import upsert

    assert upsert.main([*QUICK, "--no-postgres"]) == 0

    rows = table_rows(capsys.readouterr().out)
    assert rows == [
        (case, name)
        for case in ("SQLite: new papers", "SQLite: papers seen again")
        for name in (upsert.OURS, upsert.NAIVE)
    ]


def test_upsert_baseline_writes_the_same_rows_as_save_listing(tmp_path: Path) -> None:
    from bench import upsert
    from bench.databases import sqlite_database
    from bench.naive import row_counts

    database = sqlite_database(tmp_path, "same")
    try:
        work = upsert.workload(papers=30, runs=2, per_listing=10, baseline_share=0.5)
        upsert.check_same_rows(database, work)  # raises when they differ
        counts = row_counts(database.engine)  # the baseline's, from the check's second pass
    finally:
        database.close()
    assert counts["papers"] == 10 and counts["sightings"] == 20 and counts["runs"] == 2
    assert counts["paper_authors"] == sum(
        len(item.paper.authors) for item in work.observations[0][0].items
    )


def test_backfill_benchmark_runs_each_competitor_and_the_rate_limit(
    tiny_captures: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import backfill

    assert backfill.main([*QUICK, "--data", str(tiny_captures), "--latency", "0"]) == 0

    output = capsys.readouterr().out
    names = [name for _, name in table_rows(output)]
    assert names == [backfill.NAIVE, backfill.PLAIN, backfill.PLAIN]
    assert "fraction of allowed" in output and "429s" in output


def test_scale_benchmark_builds_both_histories_and_compares_them(
    tiny_captures: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import scale

    assert scale.main([*QUICK, "--data", str(tiny_captures)]) == 0

    output = capsys.readouterr().out
    names = [name for _, name in table_rows(output)]
    assert [name.split(":")[0] for name in names] == ["small", "big"]
    assert "big / small" in output and "built in" in output


def test_orchestration_benchmark_runs_the_flow_beside_the_plain_functions(
    tiny_captures: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import orchestration

    assert orchestration.main([*QUICK, "--data", str(tiny_captures)]) == 0

    output = capsys.readouterr().out
    rows = table_rows(output)
    assert [name for _, name in rows] == [orchestration.PLAIN, orchestration.FLOW] * 2
    assert "Overhead of the flow" in output


def test_the_benchmark_and_the_flows_run_the_one_plain_pipeline() -> None:
    """Read from the source: importing the flows would import Prefect (a second)."""
    from bench import pipeline as bench_pipeline
    from paperpulse.app import pipeline

    assert bench_pipeline.daily_run is pipeline.daily_run
    assert bench_pipeline.backfill_run is pipeline.backfill_run
    flows = REPO_ROOT / "paperpulse" / "flows"
    assert "daily_run(" in (flows / "daily.py").read_text(encoding="utf-8")
    assert "backfill_run(" in (flows / "backfill.py").read_text(encoding="utf-8")


def test_recipients_benchmark_times_each_reader_count(
    tiny_captures: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import recipients

    day = TINY_DAYS[0]
    assert recipients.main([*QUICK, "--data", str(tiny_captures), "--day", day]) == 0

    output = capsys.readouterr().out
    assert [case for case, _ in table_rows(output)] == ["readers", "1", "10"]
    assert "10 readers / 1: median ratio" in output


# --- memory and cost: processes of their own ------------------------------------------------


def test_memory_benchmark_backfills_the_dates_and_notes_rss_at_each_mark(
    tiny_captures: Path, tmp_path: Path
) -> None:
    """A process of its own, as a user runs it: the benchmark sets the environment."""
    saved = tmp_path / "memory.json"
    argv = ["--data", str(tiny_captures), "--start", TINY_DAYS[0], "--dates", "4"]
    finished = subprocess.run(
        [sys.executable, "-m", "bench.memory", *argv, "--marks", "1,4", "--json", str(saved)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert finished.returncode == 0, finished.stderr
    cells = [cell.strip() for cell in finished.stdout.strip().strip("|").split("|")]
    assert cells[:2] == ["plain", "4"]
    assert cells[2].endswith(" MB") and cells[3].endswith(" MB") and cells[4].endswith("%")
    result = json.loads(saved.read_text(encoding="utf-8"))
    assert result["dates"] == 4 and result["papers"] > 0  # it really stored the four days
    assert set(result["rss_mb"]) == {"1", "4"} and all(v > 0 for v in result["rss_mb"].values())
    assert "growth_1_to_4" in result


def test_memory_benchmark_refuses_marks_outside_the_dates(tiny_captures: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "bench.memory", "--data", str(tiny_captures), "--dates", "4"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert "--marks" in finished.stderr and "Traceback" not in finished.stderr


def test_cost_benchmark_times_each_competitor_as_a_new_process(
    tiny_captures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import cost

    saved = tmp_path / "cost.json"
    argv = ["--rounds", "1", "--data", str(tiny_captures), "--day", TINY_DAYS[-1], "--hogs", "0"]

    assert cost.main([*argv, "--no-before", "--json", str(saved)]) == 0

    lines = capsys.readouterr().out.splitlines()
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in lines
        if line.startswith("| idle ")
    ]
    assert [row[1] for row in rows] == [cost.FLOOR, cost.PLAIN, cost.CLI]
    assert all(row[-1] == "0" for row in rows), lines  # no run failed or printed a traceback
    samples = {row["competitor"]: row["samples"] for row in json.loads(saved.read_text())["rows"]}
    assert all(len(s) == 1 and s[0]["ok"] and s[0]["wall"] > 0 for s in samples.values())
    # Each fetched the day from the replay server: the floor counts the papers it got.
    assert samples[cost.FLOOR][0]["line"].endswith(" papers")
    assert int(samples[cost.FLOOR][0]["line"].split()[0]) > 0
