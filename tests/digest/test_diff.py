"""Diff over a digest window, and the sent ledger. Frozen clock, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperpulse.core.kinds import RunStatus
from paperpulse.core.models import Paper, RunRecord, Sighting
from paperpulse.digest.diff import (
    DEFAULT_DIFF_PARAMS,
    Change,
    ChangeKind,
    DiffParams,
    DiffWindow,
    PaperHistory,
    PaperState,
    announced_as_new,
    apply_sent_ledger,
    diff,
)

DAY = timedelta(days=1)
T0 = datetime(2024, 8, 5, 6, 0, tzinfo=UTC)  # today's run
DIGEST = T0 + timedelta(minutes=30)  # today's digest
WINDOW = DiffWindow(start=DIGEST - DAY, end=DIGEST)  # since yesterday's digest


class Ledger:
    """Builds runs and sightings the way storage would hand them back."""

    def __init__(self) -> None:
        self.runs: list[RunRecord] = []
        self.sightings: dict[str, list[Sighting]] = {}

    def run(
        self, at: datetime, *papers: str | tuple[str, int], source: str = "hf-trending",
        period: str = "trending", status: RunStatus = RunStatus.COMPLETE,
        upvotes: dict[str, int] | None = None,
    ) -> RunRecord:  # fmt: skip
        record = RunRecord(
            id=len(self.runs) + 1, source=source, period=period, status=status, started_at=at,
            finished_at=at + timedelta(minutes=1), fetched=len(papers),
        )  # fmt: skip
        self.runs.append(record)
        for rank, arxiv_id in enumerate(papers, start=1):
            assert isinstance(arxiv_id, str)
            self.sightings.setdefault(arxiv_id, []).append(
                Sighting(
                    arxiv_id=arxiv_id, source=source, period=period, run_id=record.id,
                    observed_at=at + timedelta(seconds=rank), rank=rank,
                    upvotes=(upvotes or {}).get(arxiv_id),
                )
            )  # fmt: skip
        return record

    def histories(
        self,
        *,
        before: dict[str, PaperState] | None = None,
        papers: dict[str, Paper] | None = None,
    ) -> list[PaperHistory]:
        return [
            PaperHistory(
                paper=(papers or {}).get(a) or paper(a),
                before=(before or {}).get(a),
                sightings=tuple(self.sightings[a]),
            )
            for a in sorted(self.sightings)
        ]

    def diff(
        self,
        window: DiffWindow = WINDOW,
        *,
        before: dict[str, PaperState] | None = None,
        papers: dict[str, Paper] | None = None,
        params: DiffParams = DEFAULT_DIFF_PARAMS,
    ) -> tuple[Change, ...]:
        return diff(self.histories(before=before, papers=papers), self.runs, window, params=params)


def paper(arxiv_id: str, **fields: object) -> Paper:
    values: dict[str, object] = {"title": f"Paper {arxiv_id}", "abstract": "We study things."}
    values.update(fields)
    return Paper(arxiv_id=arxiv_id, **values)  # type: ignore[arg-type]


def kinds(changes: tuple[Change, ...]) -> list[tuple[str, str]]:
    return [(c.kind.value, c.arxiv_id) for c in changes]


# --- new ---------------------------------------------------------------------------------------


def test_first_run_ever_everything_is_new_and_nothing_else() -> None:
    ledger = Ledger()
    ledger.run(T0, "2408.00001", "2408.00002", upvotes={"2408.00001": 50, "2408.00002": 3})
    changes = ledger.diff(DiffWindow(start=None, end=DIGEST))
    assert kinds(changes) == [("new", "2408.00001"), ("new", "2408.00002")]
    assert changes[0].before is None
    assert changes[0].after.upvotes == 50
    assert changes[0].reasons == ("first seen on hf-trending trending",)


def test_only_papers_first_seen_in_the_window_are_new() -> None:
    ledger = Ledger()
    ledger.run(T0 - DAY, "2408.00001", source="hf-daily", period="2024-08-04")
    ledger.run(T0, "2408.00001", "2408.00002", source="hf-daily", period="2024-08-05")
    assert kinds(ledger.diff()) == [("new", "2408.00002")]


def test_first_seen_at_from_storage_beats_a_truncated_history() -> None:
    ledger = Ledger()
    ledger.run(T0, "2408.00001")
    (history,) = ledger.histories()
    old = PaperHistory(
        paper=history.paper, sightings=history.sightings, first_seen_at=T0 - 60 * DAY
    )
    assert diff([old], ledger.runs, WINDOW) == ()


def test_papers_first_seen_after_the_window_are_left_for_the_next_digest() -> None:
    ledger = Ledger()
    ledger.run(DIGEST + timedelta(minutes=5), "2408.00009")
    assert ledger.diff() == ()


# --- rising ------------------------------------------------------------------------------------


def test_rising_when_the_gain_reaches_the_threshold() -> None:
    ledger = Ledger()
    ledger.run(T0 - DAY, "2408.00001", "2408.00002", upvotes={"2408.00001": 3, "2408.00002": 3})
    ledger.run(T0, "2408.00001", "2408.00002", upvotes={"2408.00001": 13, "2408.00002": 12})
    changes = ledger.diff()
    assert kinds(changes) == [("rising", "2408.00001")]
    (rising,) = changes
    assert rising.reasons == ("+10 upvotes (3 → 13)",)
    assert rising.before is not None and rising.before.upvotes == 3
    assert rising.after.upvotes == 13


def test_rising_threshold_is_configurable() -> None:
    ledger = Ledger()
    ledger.run(T0 - DAY, "2408.00001", upvotes={"2408.00001": 3})
    ledger.run(T0, "2408.00001", upvotes={"2408.00001": 6})
    assert ledger.diff() == ()
    assert kinds(ledger.diff(params=DiffParams(rising_threshold=3))) == [("rising", "2408.00001")]
    with pytest.raises(ValueError, match="rising_threshold"):
        DiffParams(rising_threshold=0)


def test_same_day_rerun_without_upvote_change_reports_nothing() -> None:
    ledger = Ledger()
    ledger.run(T0 - DAY, "2408.00001", "2408.00002", upvotes={"2408.00001": 5, "2408.00002": 1})
    ledger.run(T0, "2408.00001", "2408.00002", upvotes={"2408.00001": 40, "2408.00002": 9})
    rerun_window = DiffWindow(start=DIGEST, end=DIGEST + timedelta(hours=1))
    ledger.run(
        DIGEST + timedelta(minutes=20), "2408.00001", "2408.00002",
        upvotes={"2408.00001": 40, "2408.00002": 9},
    )  # fmt: skip
    assert ledger.diff(rerun_window) == ()


def test_a_paper_counted_only_inside_the_window_rises_from_its_first_count_there() -> None:
    ledger = Ledger()
    ledger.run(T0 - timedelta(hours=8), "2408.00001", upvotes={"2408.00001": 2})
    ledger.run(T0, "2408.00001", upvotes={"2408.00001": 30})
    changes = ledger.diff()
    assert kinds(changes) == [("new", "2408.00001"), ("rising", "2408.00001")]
    assert changes[1].reasons == ("+28 upvotes (2 → 30)",)


# --- updated -----------------------------------------------------------------------------------


def test_updated_names_each_revision() -> None:
    ledger = Ledger()
    ledger.run(T0 - DAY, "2408.00001")
    ledger.run(T0, "2408.00001")
    now = paper(
        "2408.00001", title="A better title", abstract="We study more things.", version=2,
        github_repo="https://github.com/org/repo",
    )  # fmt: skip
    before = PaperState(title="Paper 2408.00001", abstract="We study things.", version=1)
    (change,) = ledger.diff(before={"2408.00001": before}, papers={"2408.00001": now})
    assert change.kind is ChangeKind.UPDATED
    assert change.reasons == (
        "code released: https://github.com/org/repo",
        "new arXiv version v2 (was v1)",
        "title revised",
        "abstract revised",
    )
    assert change.before is not None and change.before.version == 1
    assert change.after.version == 2


def test_rewrapped_text_and_lost_repositories_are_not_updates() -> None:
    ledger = Ledger()
    ledger.run(T0 - DAY, "2408.00001")
    ledger.run(T0, "2408.00001")
    now = paper("2408.00001", title="Paper\n  2408.00001", abstract="We  study\nthings", version=1)
    before = PaperState(
        title="Paper 2408.00001", abstract="We study things.", version=2,
        github_repo="https://github.com/org/repo",
    )  # fmt: skip
    assert ledger.diff(before={"2408.00001": before}, papers={"2408.00001": now}) == ()


def test_a_repository_that_moved_is_an_update_but_a_trailing_slash_is_not() -> None:
    ledger = Ledger()
    ledger.run(T0 - DAY, "2408.00001")
    ledger.run(T0, "2408.00001")
    before = PaperState(title="Paper 2408.00001", github_repo="https://github.com/a/b")
    same = paper("2408.00001", github_repo="https://github.com/a/b/")
    moved = paper("2408.00001", github_repo="https://github.com/c/d")
    assert ledger.diff(before={"2408.00001": before}, papers={"2408.00001": same}) == ()
    (change,) = ledger.diff(before={"2408.00001": before}, papers={"2408.00001": moved})
    assert change.reasons == ("code moved to https://github.com/c/d",)


def test_a_new_paper_is_not_also_updated() -> None:
    ledger = Ledger()
    ledger.run(T0, "2408.00001")
    before = PaperState(title="Old title")
    assert kinds(ledger.diff(before={"2408.00001": before})) == [("new", "2408.00001")]


# --- back and dropped --------------------------------------------------------------------------


def test_back_after_missing_the_previous_run_of_the_listing() -> None:
    ledger = Ledger()
    ledger.run(T0 - 3 * DAY, "2408.00001", "2408.00002")
    ledger.run(T0 - DAY, "2408.00002")
    ledger.run(T0, "2408.00002", "2408.00001")
    (change,) = ledger.diff()
    assert (change.kind, change.arxiv_id) == (ChangeKind.BACK, "2408.00001")
    assert change.listing == ("hf-trending", "trending")
    assert change.reasons == ("back on hf-trending trending at #2 after missing its previous run",)


def test_entering_a_listing_for_the_first_time_is_not_back() -> None:
    ledger = Ledger()
    ledger.run(T0 - 3 * DAY, "2408.00001", source="hf-daily", period="2024-08-02")
    ledger.run(T0 - DAY, "2408.00002")
    ledger.run(T0, "2408.00002", "2408.00001")
    assert ledger.diff() == ()


def test_dropped_from_a_listing_it_was_on_in_the_previous_run() -> None:
    ledger = Ledger()
    ledger.run(T0 - DAY, "2408.00002", "2408.00003", "2408.00001")
    ledger.run(T0, "2408.00002", "2408.00003")
    (change,) = ledger.diff()
    assert (change.kind, change.arxiv_id) == (ChangeKind.DROPPED, "2408.00001")
    assert change.reasons == ("dropped from hf-trending trending (was #3)",)


def test_window_ends_are_compared_not_adjacent_runs_inside_it() -> None:
    ledger = Ledger()
    ledger.run(T0 - DAY, "2408.00001", "2408.00002")
    ledger.run(T0 - timedelta(hours=12), "2408.00002")  # dropped here, inside the window
    ledger.run(T0, "2408.00002")  # still absent at the end
    assert kinds(ledger.diff()) == [("dropped", "2408.00001")]


def test_failed_and_empty_runs_say_nothing_about_absence() -> None:
    ledger = Ledger()
    ledger.run(T0 - 2 * DAY, "2408.00001", "2408.00002")
    ledger.run(T0 - DAY, status=RunStatus.FAILED)
    ledger.run(T0 - timedelta(hours=1), "2408.00001", "2408.00002")
    ledger.run(T0, status=RunStatus.FAILED)
    ledger.run(T0 + timedelta(minutes=10), status=RunStatus.EMPTY)
    assert ledger.diff() == ()


def test_a_listing_without_a_run_before_the_window_has_nothing_to_compare() -> None:
    ledger = Ledger()
    ledger.run(T0 - timedelta(hours=6), "2408.00001", "2408.00002")
    ledger.run(T0, "2408.00002")
    assert kinds(ledger.diff()) == [("new", "2408.00001"), ("new", "2408.00002")]


def test_changes_are_sorted_by_kind_then_id() -> None:
    ledger = Ledger()
    ledger.run(T0 - 2 * DAY, "2408.00005")
    ledger.run(T0 - DAY, "2408.00004", "2408.00003", upvotes={"2408.00003": 1})
    ledger.run(T0, "2408.00005", "2408.00002", "2408.00003", upvotes={"2408.00003": 20})
    assert kinds(ledger.diff()) == [
        ("new", "2408.00002"),
        ("rising", "2408.00003"),
        ("back", "2408.00005"),
        ("dropped", "2408.00004"),
    ]


def test_naive_datetimes_are_refused_with_context() -> None:
    with pytest.raises(ValueError, match="naive"):
        DiffWindow(start=None, end=DIGEST.replace(tzinfo=None))
    ledger = Ledger()
    ledger.run(T0.replace(tzinfo=None), "2408.00001")
    with pytest.raises(ValueError, match=r"sighting of 2408\.00001"):
        ledger.diff()


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="starts after it ends"):
        DiffWindow(start=DIGEST, end=DIGEST - DAY)


# --- sent ledger -------------------------------------------------------------------------------


def new_and_rising() -> tuple[Change, ...]:
    ledger = Ledger()
    ledger.run(T0 - timedelta(hours=8), "2408.00001", "2408.00002", upvotes={"2408.00001": 1})
    ledger.run(T0, "2408.00001", "2408.00002", upvotes={"2408.00001": 40})
    changes = ledger.diff()
    assert kinds(changes) == [
        ("new", "2408.00001"),
        ("new", "2408.00002"),
        ("rising", "2408.00001"),
    ]
    return changes


def test_a_new_paper_not_yet_sent_is_announced_as_new_only() -> None:
    shown = apply_sent_ledger(new_and_rising(), {}, now=DIGEST)
    assert kinds(shown) == [("new", "2408.00001"), ("new", "2408.00002")]
    assert announced_as_new(shown) == {"2408.00001", "2408.00002"}


def test_never_new_twice_within_the_window_but_rising_still_shows() -> None:
    sent = {"2408.00001": DIGEST - 10 * DAY, "2408.00002": DIGEST - 29 * DAY}
    shown = apply_sent_ledger(new_and_rising(), sent, now=DIGEST)
    assert kinds(shown) == [("rising", "2408.00001")]
    assert announced_as_new(shown) == frozenset()


def test_new_again_once_the_window_has_passed() -> None:
    sent = {"2408.00001": DIGEST - 30 * DAY, "2408.00002": DIGEST - 45 * DAY}
    shown = apply_sent_ledger(new_and_rising(), sent, now=DIGEST)
    assert kinds(shown) == [("new", "2408.00001"), ("new", "2408.00002")]


def test_the_window_is_configurable() -> None:
    sent = {"2408.00002": DIGEST - 10 * DAY}
    shown = apply_sent_ledger(new_and_rising(), sent, now=DIGEST, window=timedelta(days=7))
    assert ("new", "2408.00002") in kinds(shown)
    with pytest.raises(ValueError, match="positive"):
        apply_sent_ledger((), {}, now=DIGEST, window=timedelta(0))


def test_sends_stamped_after_now_are_ignored_so_past_digests_replay_the_same() -> None:
    sent = {"2408.00002": DIGEST + timedelta(minutes=2)}
    shown = apply_sent_ledger(new_and_rising(), sent, now=DIGEST)
    assert ("new", "2408.00002") in kinds(shown)


def test_overlapping_windows_do_not_announce_a_paper_twice() -> None:
    """A missed digest widens the next window over days already announced."""
    ledger = Ledger()
    ledger.run(T0 - DAY, "2408.00001")
    ledger.run(T0, "2408.00001", "2408.00002")
    sent: dict[str, datetime] = {}
    yesterday = ledger.diff(DiffWindow(start=DIGEST - 2 * DAY, end=DIGEST - DAY))
    shown = apply_sent_ledger(yesterday, sent, now=DIGEST - DAY)
    sent.update(dict.fromkeys(announced_as_new(shown), DIGEST - DAY))
    wide = ledger.diff(DiffWindow(start=DIGEST - 2 * DAY, end=DIGEST))
    assert ("new", "2408.00001") in kinds(wide)  # the diff alone would repeat it
    assert kinds(apply_sent_ledger(wide, sent, now=DIGEST)) == [("new", "2408.00002")]


change_strategy = st.builds(
    Change,
    kind=st.sampled_from(ChangeKind),
    arxiv_id=st.sampled_from(["2408.00001", "2408.00002", "2408.00003"]),
    before=st.none(),
    after=st.just(PaperState(title="t")),
    reasons=st.just(()),
)


@given(
    changes=st.lists(change_strategy, max_size=12),
    sent_days_ago=st.dictionaries(
        st.sampled_from(["2408.00001", "2408.00002", "2408.00003"]), st.integers(-5, 60)
    ),
)
def test_sent_ledger_properties(changes: list[Change], sent_days_ago: dict[str, int]) -> None:
    sent = {a: DIGEST - timedelta(days=d) for a, d in sent_days_ago.items()}
    shown = apply_sent_ledger(changes, sent, now=DIGEST)
    assert all(c in changes for c in shown)
    for c in shown:
        if c.kind is ChangeKind.NEW:
            assert not 0 <= sent_days_ago.get(c.arxiv_id, -1) < 30
        if c.kind is ChangeKind.RISING:
            assert c.arxiv_id not in announced_as_new(shown)
    for c in changes:  # only new and rising are ever removed
        if c.kind not in (ChangeKind.NEW, ChangeKind.RISING):
            assert c in shown
    assert apply_sent_ledger(shown, sent, now=DIGEST) == shown
