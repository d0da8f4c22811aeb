"""Readers' likes and hides: per reader, per origin, the newest signal wins, at most once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from paperpulse.storage import Repository
from tests.storage.builders import T0


def _rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM feedback")).scalar_one())


def test_feedback_is_per_reader_and_recorded_once(repo: Repository, engine: Engine) -> None:
    assert repo.record_feedback("a@x.org", {"2408.00001": "like"}, origin="cli", at=T0) == 1
    assert repo.record_feedback("a@x.org", {"2408.00001": "like"}, origin="file", at=T0) == 1
    repo.record_feedback("b@x.org", {"2408.00002": "hide"}, origin="cli", at=T0)
    # The same file read again changes nothing.
    assert repo.record_feedback("a@x.org", {"2408.00001": "like"}, origin="file", at=T0) == 0
    assert _rows(engine) == 3
    assert repo.feedback("a@x.org") == {"2408.00001": "like"}
    assert repo.feedback("b@x.org") == {"2408.00002": "hide"}
    assert repo.feedback("nobody") == {}


def test_the_newest_signal_wins_and_an_unchanged_file_does_not_outrank_a_command(
    repo: Repository,
) -> None:
    reader, paper = "archive", "2408.00001"
    repo.record_feedback(reader, {paper: "like"}, origin="file", at=T0)
    repo.record_feedback(reader, {paper: "hide"}, origin="cli", at=T0 + timedelta(hours=1))
    assert repo.feedback(reader) == {paper: "hide"}
    # The next run reads the same file: its "like" keeps its old time, the hide stands.
    repo.record_feedback(reader, {paper: "like"}, origin="file", at=T0 + timedelta(hours=2))
    assert repo.feedback(reader) == {paper: "hide"}
    # The reader edits the file: a changed line is a new signal.
    repo.record_feedback(reader, {paper: "hide"}, origin="file", at=T0 + timedelta(hours=3))
    repo.record_feedback(reader, {paper: "like"}, origin="file", at=T0 + timedelta(hours=4))
    assert repo.feedback(reader) == {paper: "like"}
    # A command typed again is a new signal even when it repeats itself.
    repo.record_feedback(
        reader, {paper: "hide"}, origin="cli", at=T0 + timedelta(hours=5), renew=True
    )
    assert repo.feedback(reader) == {paper: "hide"}
