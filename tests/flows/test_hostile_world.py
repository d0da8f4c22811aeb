"""Issue 15: what a hostile world still broke, each met the way a user meets it.

Real processes (the ``paperpulse`` CLI), a real replay server, real SQLite; each test fails on
the code before the fix and notes its verified outcome for ``docs/reliability.md``.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.flows.test_cli_end_to_end import ROOT, one_line_error, paperpulse
from tests.reliability.record import record
from tests.replay import FaultRule, Faults, ReplayServer
from tests.user_cli import run_cli

CATEGORY = "Hostile world"
DAY = "2024-08-01"


@pytest.fixture
def one_day(tmp_path: Path) -> Path:
    """A replay folder holding one small day (our fixture; no ../shared needed)."""
    folder = tmp_path / "replay"
    folder.mkdir()
    shutil.copyfile(FIXTURES / "hf" / "daily_2024.json", folder / f"{DAY}.json")
    return folder


def run_statuses(workspace: Path) -> list[str]:
    with sqlite3.connect(workspace / "db.sqlite") as db:
        return [status for (status,) in db.execute("SELECT status FROM runs ORDER BY id")]


def test_a_trickling_body_ends_the_run_at_the_deadline_and_marks_it_failed(
    prefect: None, workspace: Path, one_day: Path
) -> None:
    faults = Faults(schedule=[FaultRule(kind="trickle", times=None)], trickle=0.5)
    with ReplayServer(one_day, faults=faults) as server:
        env = {
            "PAPERPULSE_HF_URL": server.url,
            "PAPERPULSE_HF_MIN_INTERVAL": "0",
            "PAPERPULSE_HTTP_DEADLINE": "1",
        }
        result = paperpulse("run", "--date", DAY, env=env)
    assert result.returncode == 1, result.stderr
    line = one_line_error(result)
    assert "deadline=1 s" in line and "/api/daily_papers" in line
    statuses = run_statuses(workspace)
    assert statuses and "running" not in statuses and "failed" in statuses
    assert server.injected["trickle"] >= 1
    record(
        category=CATEGORY,
        case="body trickled one byte every 0.5 s (never trips the read timeout)",
        where="`paperpulse run`, hf-daily API, PAPERPULSE_HTTP_DEADLINE=1",
        outcome="each attempt cut at the deadline; run row `failed`, one line, exit 1",
        injected=server.injected["trickle"],
    )


@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_the_replay_server_refuses_a_missing_or_empty_data_folder(
    tmp_path: Path, folder: str
) -> None:
    data = tmp_path / "data"
    if folder == "empty":
        data.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "tests.replay", "--data", str(data), "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"no YYYY-MM-DD.json captures in {data}" in result.stderr
    record(
        category=CATEGORY,
        case=f"replay server started on {'an' if folder == 'empty' else 'a'} {folder} data folder",
        where="`python -m tests.replay` (the README's offline demo)",
        outcome="refuses to start: one line, exit 2 (never serves `[]` as every day)",
    )


def test_serve_refuses_an_out_of_range_cron_in_one_line_naming_the_key(workspace: Path) -> None:
    (workspace / "paperpulse.toml").write_text("[schedule]\ncron = '61 25 * * *'\n")
    result = paperpulse("serve", env={})
    assert result.returncode == 2  # a config error, reported before anything starts
    line = one_line_error(result)
    assert "schedule.cron" in line and "61 25 * * *" in line and "out of range" in line
    record(
        category=CATEGORY,
        case="`[schedule] cron = '61 25 * * *'` (5 fields, out of range)",
        where="`paperpulse serve`, config load",
        outcome="one line naming the file and `schedule.cron`, exit 2 (was a Prefect traceback)",
    )


def test_a_source_failing_three_runs_in_a_row_is_called_out_until_it_recovers(
    prefect: None, workspace: Path, one_day: Path
) -> None:
    dead = Faults(schedule=[FaultRule(kind="410", times=None, path="/api/")])
    env = {"PAPERPULSE_HF_MIN_INTERVAL": "0"}
    with ReplayServer(one_day, faults=dead) as server:
        env["PAPERPULSE_HF_URL"] = server.url
        lines = [one_line_error(paperpulse("run", "--date", DAY, env=env)) for _ in range(3)]
    assert "in a row" not in lines[0] + lines[1]
    assert "hf-daily has failed 3 runs in a row" in lines[2]
    digest = paperpulse("digest", "--date", DAY, env=env)
    assert digest.returncode == 0, digest.stderr
    top = digest.stdout.split("\n## ", 1)[0]
    # The reader is told in their words; the error itself stays in the run's line above.
    assert "Hugging Face Daily Papers could not be reached in the last 3 runs" in top
    assert "until it recovers" in top and "Error" not in top

    with ReplayServer(one_day) as server:
        env["PAPERPULSE_HF_URL"] = server.url
        healed = paperpulse("run", "--date", DAY, env=env)
    assert healed.returncode == 0, healed.stderr
    assert "in a row" not in paperpulse("digest", "--date", DAY, env=env).stdout
    record(
        category=CATEGORY,
        case="hf-daily answers 410 to every request, 3 runs in a row, then recovers",
        where="`paperpulse run` ×4 + `paperpulse digest`, real SQLite",
        outcome="3rd run: exit 1 naming the streak; the digest's first note calls it out; "
        "gone after the run that recovers",
        trials=4,
    )


def test_digest_with_a_missing_sqlite_directory_is_an_error_and_creates_nothing(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "nowhere" / "paperpulse.db"
    (tmp_path / "paperpulse.toml").write_text("", encoding="utf-8")
    result = run_cli(
        tmp_path, "digest", "--date", DAY, PAPERPULSE_DATABASE_URL=f"sqlite:///{missing}"
    )
    assert result.returncode == 1 and result.stdout == ""
    line = one_line_error(result)
    assert f"no database at {missing}" in line and "PAPERPULSE_DATABASE_URL" in line
    assert not missing.parent.exists()
    record(
        category=CATEGORY,
        case="`paperpulse digest` with PAPERPULSE_DATABASE_URL in a directory that does not exist",
        where="`paperpulse digest`",
        outcome="one line naming the path, exit 1; no directory or database created (was exit 0 "
        "and an empty digest)",
    )


def test_oversized_fields_are_cut_and_a_duplicate_paper_is_a_warning(
    prefect: None, workspace: Path, tmp_path: Path
) -> None:
    items = json.loads((FIXTURES / "hf" / "daily_2024.json").read_text(encoding="utf-8"))
    huge = json.loads(json.dumps(items[0]))
    huge["paper"]["summary"] = "An abstract that never ends. " * 22_000  # ~650 KB
    huge["title"] = huge["paper"]["title"] = "T" * 100_000
    twin = json.loads(json.dumps(huge))
    twin["paper"]["upvotes"] = 999  # the same paper again, different values
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / f"{DAY}.json").write_text(json.dumps([huge, twin]), encoding="utf-8")
    with ReplayServer(folder) as server:
        env = {"PAPERPULSE_HF_URL": server.url, "PAPERPULSE_HF_MIN_INTERVAL": "0"}
        result = paperpulse("run", "--date", DAY, env=env)
    assert result.returncode == 0, result.stderr
    assert "listed twice with different values" in result.stderr
    assert "abstract (" in result.stderr and "title (100,000 characters)" in result.stderr
    archive = workspace / "archive"
    for path in (archive / "2024" / "08" / f"{DAY}.md", archive / "feed.xml"):
        assert path.stat().st_size < 100_000, path
    with sqlite3.connect(workspace / "db.sqlite") as db:
        (title, abstract) = db.execute("SELECT title, abstract FROM papers").fetchone()
    assert len(title) == 1_000 and title.endswith("…") and len(abstract) == 20_000
    record(
        category=CATEGORY,
        case="a 650 KB abstract, a 100 KB title, and the same paper twice with other upvotes",
        where="`paperpulse run`, hf-daily API → database, archive, feed",
        outcome="title cut to 1,000 and abstract to 20,000 characters (marked …); a warning "
        "line for each cut and for the duplicate (first kept); run succeeds",
    )


def test_a_full_disk_leaves_no_running_row(prefect: None, workspace: Path, tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    folder = tmp_path / "days"
    folder.mkdir()
    shutil.copyfile(FIXTURES / "hf" / "daily_2024.json", folder / f"{DAY}.json")
    item = json.loads((FIXTURES / "hf" / "daily_2024.json").read_text(encoding="utf-8"))[0]
    many = []
    for n in range(400):  # a listing far bigger than the room left
        copy = json.loads(json.dumps(item))
        copy["paper"]["id"] = f"2509.{n:05d}"
        copy["paper"]["summary"] = f"Abstract {n}. " + "words " * 300
        many.append(copy)
    (folder / "2025-09-30.json").write_text(json.dumps(many), encoding="utf-8")
    with ReplayServer(folder) as server:
        env = {"PAPERPULSE_HF_URL": server.url, "PAPERPULSE_HF_MIN_INTERVAL": "0"}
        first = paperpulse("run", "--date", DAY, env=env)
        assert first.returncode == 0, first.stderr
        files = [workspace / n for n in ("db.sqlite", "db.sqlite-wal")]
        room = max(p.stat().st_size for p in files if p.exists()) + 64 * 1024

        def full_disk() -> None:  # every file this process writes stops growing: ENOSPC-like
            resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

        full = subprocess.run(
            [sys.executable, "-m", "paperpulse.cli.main", "run", "--date", "2025-09-30"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, **env, "PREFECT_API_URL": str(PREFECT_API_URL.value())},
            timeout=300,
            check=False,
            preexec_fn=full_disk,
        )
        statuses = run_statuses(workspace)
        after = paperpulse("run", "--date", DAY, env=env)  # space again: the next run
    assert full.returncode == 1
    line = one_line_error(full)
    assert "2025-09-30" in line and "disk" in line and "db.sqlite" in line
    assert statuses == ["complete", "failed"]  # the run closed itself, nothing half-saved
    assert after.returncode == 0, after.stderr
    assert "running" not in run_statuses(workspace)
    with sqlite3.connect(workspace / "db.sqlite") as db:
        assert db.execute("SELECT count(*) FROM papers").fetchone() == (1,)
    record(
        category=CATEGORY,
        case="the disk fills while a 400-paper listing is saved (RLIMIT_FSIZE on the process)",
        where="`paperpulse run`, real SQLite",
        outcome="one line naming the database, exit 1; run row `failed`, nothing half-saved; "
        "no `running` row left (a run that cannot even close itself is closed by the next)",
    )
