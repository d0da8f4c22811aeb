"""The daily flow end to end: a real replay server, a real SQLite file, Prefect for real."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.replay import Faults, ReplayServer

DAY = date(2024, 8, 1)


def count(db: Path, sql: str) -> int:
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        value = conn.execute(sa.text(sql)).scalar_one()
    engine.dispose()
    return int(value)


@pytest.mark.parametrize("via", ["api", "html"])
def test_daily_twice_stores_history_and_rewrites_the_digest(
    prefect: None, workspace: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch, via: str
) -> None:
    from paperpulse.flows.daily import daily

    expected = len(json.loads((shared_data / "hf_api_daily" / "2024-08-01.json").read_bytes()))
    with ReplayServer(
        shared_data / "hf_api_daily", upvote_growth=lambda arxiv_id, generation: 5 * generation
    ) as server:
        monkeypatch.setenv("PAPERPULSE_HF_URL", server.url)
        monkeypatch.setenv("PAPERPULSE_HF_VIA", via)
        first = daily(list_date=DAY)
        server.generation = 1  # upvotes grow by 5 between the two observations
        second = daily(list_date=DAY)

    db = workspace / "db.sqlite"
    assert count(db, "select count(*) from papers") == expected
    assert count(db, "select count(*) from sightings") == 2 * expected
    assert count(db, "select count(distinct arxiv_id) from sightings") == expected
    assert count(db, "select count(*) from runs where status = 'complete'") == 2
    assert (first.outcomes[0].fetched, first.outcomes[0].new) == (expected, expected)
    assert (second.outcomes[0].fetched, second.outcomes[0].new) == (expected, 0)
    assert count(db, "select count(*) from authors") == count(
        db, "select count(distinct author_id) from paper_authors"
    )

    archive = workspace / "archive" / "2024" / "08" / "2024-08-01.md"
    assert second.archive == str(archive)
    text = archive.read_text(encoding="utf-8")
    assert text.count("# paperpulse") == 1  # rewritten, not appended
    llama = next(
        i["paper"]["upvotes"]
        for i in json.loads((shared_data / "hf_api_daily" / "2024-08-01.json").read_bytes())
        if i["paper"]["id"] == "2407.21783"
    )
    assert f"▲ {llama + 5}" in text  # the latest observation, with its growth
    assert "[The Llama 3 Herd of Models](https://huggingface.co/papers/2407.21783)" in text
    assert f"{expected} papers · {expected} new" in text  # a re-run keeps its own news

    from prefect.artifacts import Artifact

    digest = Artifact.get("digest-2024-08-01")
    summary = Artifact.get("run-summary-2024-08-01")
    assert digest is not None and digest.data == text  # the archived Markdown, as published
    assert summary is not None and "hf-daily" in str(summary.data)


def test_weekend_is_explained_and_succeeds(
    prefect: None, workspace: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperpulse.flows.daily import daily

    with ReplayServer(shared_data / "hf_api_daily") as server:
        monkeypatch.setenv("PAPERPULSE_HF_URL", server.url)
        summary = daily(list_date=date(2024, 8, 3))  # a Saturday
    assert summary.outcomes[0].status == "empty"
    text = Path(summary.archive or "").read_text(encoding="utf-8")
    assert "No Daily Papers were listed for Saturday 03 August 2024" in text


def test_a_failing_source_fails_the_run_and_writes_nothing(
    prefect: None, workspace: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperpulse.flows.daily import daily
    from paperpulse.flows.tasks import SourcesFailed

    faults = Faults(fail_dates={"2024-08-01": 404})
    with ReplayServer(shared_data / "hf_api_daily", faults=faults) as server:
        monkeypatch.setenv("PAPERPULSE_HF_URL", server.url)
        with pytest.raises(SourcesFailed, match=r"hf-daily 2024-08-01 failed: .*404"):
            daily(list_date=DAY)
    db = workspace / "db.sqlite"
    assert count(db, "select count(*) from papers") == 0
    assert count(db, "select count(*) from runs where status = 'failed'") == 1
    assert not (workspace / "archive" / "2024" / "08" / "2024-08-01.md").exists()
