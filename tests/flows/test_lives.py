"""Random lives of real machines (issue 21, item 6): whatever a machine lives through, every
paper reaches every reader, once, and the ledger tells the truth.

A Hypothesis state machine lives random lives over three weeks of real captured HF days
(../shared/data, skipped when absent), with two readers (ada: daily + weekly; alan: daily
only; different topics) behind a real SMTP server. Its steps are what real machines do: a run
on some morning (mornings missed at random, Sundays included), time passing with the machine
off, a backfill over a random range with or without ``--deliver``, a run while a backfill is
at it, a weekly delivered by hand, and — in some lives — a ``paperpulse`` subprocess SIGKILLed
mid-run or mid-backfill, then run again. After every step ``Life.check`` (tests/flows/lives.py)
reads the captured emails, the archive and the ledger:

- every listed paper of every date owed to a reader reached them (a card or a compact line),
  marked new exactly once;
- no date is recorded delivered to a reader without its papers in that reader's emails;
- no email or archive file says "not fetched" of a stored date;
- each ended week's weekly reaches the weekly reader once (and is archived), never the other;
- a subject's date lies inside the dates its body names;
- a rising gain is shown once per reader;
- a backfill's exit status says whether everything in its range is stored.

On SQLite and PostgreSQL. The default run lives a few lives per backend (~1 min); ``-m slow``
lives 200 per backend. A failing life is printed as its steps (``paperpulse`` commands), and
Hypothesis prints ``@reproduce_failure`` to replay it.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from paperpulse.core.errors import PaperpulseError
from tests.flows.lives import DAYS, FIRST, PAPER_ID, Life, World, subject_problems
from tests.flows.month import Email

LAST = FIRST + timedelta(days=DAYS)  # the last list date a life runs for (a Monday)


class Lives(RuleBasedStateMachine):
    """One machine's life per example; ``world`` is set by the test."""

    world: World
    tmp: Path
    kill_share = 0.15  # lives with subprocesses SIGKILLed (each costs a few seconds)
    count = 0

    def __init__(self) -> None:
        super().__init__()
        Lives.count += 1
        self.life = Life(self.world, self.tmp / f"life-{Lives.count}")
        self.kills = False

    @initialize(kills=st.floats(0, 1))
    def begin(self, kills: float) -> None:
        self.kills = kills < self.kill_share
        self.life.log(f"a life {'with' if self.kills else 'without'} SIGKILLs")

    # --- where the machine is in its life --------------------------------------------------

    def next_day(self, skip: int) -> date:
        """The list date of the next morning's run, ``skip`` mornings missed."""
        last = self.life.last_run or FIRST - timedelta(days=1)
        return max(last + timedelta(days=1), self.life.today() - timedelta(days=1)) + timedelta(
            days=skip
        )

    def range_before(self, limit: date, offset: int, length: int) -> tuple[date, date]:
        start = min(FIRST + timedelta(days=offset), limit)
        return start, min(start + timedelta(days=length), limit)

    def yesterday(self) -> date:
        return self.life.today() - timedelta(days=1)

    # --- the steps -------------------------------------------------------------------------

    @rule(skip=st.integers(0, 3))
    def a_morning(self, skip: int) -> None:
        day = self.next_day(skip)
        if day <= LAST:
            self.life.run(day)

    @rule(hours=st.integers(1, 60))
    def machine_off(self, hours: int) -> None:
        self.life.at(self.life.clock.now() + timedelta(hours=hours))
        self.life.log(f"(off for {hours} h: now {self.life.clock.moment:%a %d %b %H:%M})")

    @precondition(lambda self: self.yesterday() >= FIRST)
    @rule(offset=st.integers(0, DAYS), length=st.integers(0, 6), deliver=st.booleans())
    def a_backfill(self, offset: int, length: int, deliver: bool) -> None:
        start, end = self.range_before(self.yesterday(), offset, length)
        self.life.backfill(start, end, deliver=deliver)

    @rule(skip=st.integers(0, 2), offset=st.integers(0, DAYS), length=st.integers(0, 6))
    def a_run_during_a_backfill(self, skip: int, offset: int, length: int) -> None:
        day = self.next_day(skip)
        if day <= LAST:
            start, end = self.range_before(day, offset, length)
            self.life.run_during_backfill(day, start, end)

    @precondition(lambda self: self.yesterday() >= FIRST + timedelta(days=6))
    @rule(week=st.integers(0, 2))
    def a_weekly_by_hand(self, week: int) -> None:
        sunday = FIRST + timedelta(days=6 + 7 * week)
        if sunday < self.life.today():
            self.life.deliver_weekly(sunday)

    @precondition(lambda self: self.kills and self.yesterday() >= FIRST)
    @rule(
        offset=st.integers(0, DAYS),
        length=st.integers(1, 6),
        after=st.floats(0, 1.2),
        deliver=st.booleans(),
    )
    def a_killed_backfill(self, offset: int, length: int, after: float, deliver: bool) -> None:
        start, end = self.range_before(self.yesterday(), offset, length)
        self.life.kill_backfill(start, end, after, deliver=deliver)

    @precondition(lambda self: self.kills)
    @rule(skip=st.integers(0, 2), after=st.floats(0, 1.2))
    def a_killed_run(self, skip: int, after: float) -> None:
        day = self.next_day(skip)
        if day <= LAST:
            self.life.kill_run(day, after)

    # --- after every step ------------------------------------------------------------------

    @invariant()
    def the_contract_holds(self) -> None:
        problems = self.life.check()
        if problems:
            note("The life so far:\n" + self.life.recipe())
        assert not problems, "\n".join(
            ["The life:", self.life.recipe(), "broke:", *(f"  - {p}" for p in problems)]
        )

    def teardown(self) -> None:
        self.life.close()
        shutil.rmtree(self.life.folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def lives_world(
    request: pytest.FixtureRequest, shared_data: Path, tmp_path: Path
) -> Iterator[World]:
    postgres = None
    if request.param == "postgres":
        from tests.storage.conftest import _postgres_url

        postgres = _postgres_url()
    with World(shared_data / "hf_api_daily", tmp_path, postgres) as world:
        yield world


def _live(world: World, tmp: Path, lives: int, steps: int, kill_share: float) -> None:
    Lives.world, Lives.tmp, Lives.kill_share = world, tmp, kill_share
    started = time.monotonic()
    run_state_machine_as_test(
        Lives,
        settings=settings(
            max_examples=lives,
            stateful_step_count=steps,
            deadline=None,
            derandomize=True,
            database=None,
            print_blob=True,
            phases=(Phase.explicit, Phase.generate),  # a failing life is printed, not shrunk
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert world.lives >= lives
    print(f"lived {world.lives} lives in {time.monotonic() - started:.0f} s")


def test_random_lives(lives_world: World, tmp_path: Path) -> None:
    _live(lives_world, tmp_path, lives=6, steps=8, kill_share=0.3)


@pytest.mark.slow
def test_two_hundred_random_lives(lives_world: World, tmp_path: Path) -> None:
    lives = int(os.environ.get("PAPERPULSE_TEST_LIVES", "200"))  # fewer to time a share of it
    _live(lives_world, tmp_path, lives=lives, steps=5, kill_share=0.03)


def test_a_run_beside_a_backfill_delivers_its_date(shared_data: Path, tmp_path: Path) -> None:
    """The backfill holds 6 Aug (HF answers in 0.5 s) when the run for 6 Aug starts: the run
    must still deliver 6 Aug once it is stored, as the cron run of that morning."""
    with World(shared_data / "hf_api_daily", tmp_path) as world:
        life = Life(world, tmp_path / "life")
        try:
            life.run(FIRST)
            day = FIRST + timedelta(days=1)
            summary = life.run_during_backfill(day, day, day, latency=0.5, head=0.2)
            assert [o.status for o in summary.outcomes if o.period == day.isoformat()] == [
                "skipped"
            ]
            assert day in life.stored()
            reached = {i for e in life.emails() for i in PAPER_ID.findall(e.text)}
            assert set(life.papers(day)) <= reached, life.recipe()
        finally:
            life.close()


def test_a_backfill_of_future_dates_loses_none(shared_data: Path, tmp_path: Path) -> None:
    """On Tue 6 Aug 06:30 a backfill asks for 5–8 Aug (7 and 8 Aug are still to come); the
    machine then lives on schedule. Every paper of 5–9 Aug must reach the readers. (It once
    lost 7 Aug: HF answered an empty list, stored complete, frozen by the per-date "as of";
    now the backfill refuses, as the CLI does.)"""
    with World(shared_data / "hf_api_daily", tmp_path) as world:
        life = Life(world, tmp_path / "life")
        try:
            life.run(FIRST)
            with pytest.raises(PaperpulseError, match="in the future"):
                life.backfill(FIRST, FIRST + timedelta(days=3), deliver=False)
            for n in range(1, 5):
                life.run(FIRST + timedelta(days=n))
            assert life.check() == [], life.recipe()
        finally:
            life.close()


def test_the_subject_check_reads_what_readers_read() -> None:
    """The subject check catches the issue's "daily · 2026-05-10" over "Friday 08 May 2026"
    and a weekly naming a day of another week; a true subject passes."""
    head = "paperpulse - Daily Papers · Friday 08 May 2026\n1 paper (as of 2026-05-11 06:00 UTC)\n"
    assert subject_problems(Email(to="a", subject="daily · 2026-05-10", text=head))
    assert not subject_problems(Email(to="a", subject="daily · 2026-05-08", text=head))
    weekly = "paperpulse - Week\n* Not fetched yet: Fri 16 Aug (the next run will try again).\n"
    assert subject_problems(Email(to="a", subject="weekly · 2024-W32", text=weekly))
    assert not subject_problems(Email(to="a", subject="weekly · 2024-W33", text=weekly))
