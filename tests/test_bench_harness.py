"""bench.harness: interleaving, statistics and the table, on a fake clock (nothing is timed)."""

from __future__ import annotations

import pytest

from bench.harness import Case, Competitor, format_duration, measure, per_unit, table
from tests.clocks import FakeClock

pytestmark = pytest.mark.usefixtures("frozen_heap")


def work(clock: FakeClock, costs: list[int], log: list[str], name: str) -> Competitor:
    """A competitor whose n-th call takes costs[n] ns of fake time (the last cost repeats)."""
    calls = 0

    def run() -> None:
        nonlocal calls
        log.append(name)
        clock.advance(costs[min(calls, len(costs) - 1)] / 1e9)
        calls += 1

    def setup() -> None:
        log.append(f"setup {name}")
        clock.advance(1.0)  # untimed: must not show in the results

    return Competitor(name=name, run=run, setup=setup)


def test_rounds_interleave_competitors_after_one_warm_up_call_each() -> None:
    clock, log = FakeClock(), list[str]()
    case = Case(
        name="c",
        batch=2,
        competitors=(work(clock, [1], log, "A"), work(clock, [1], log, "B")),
    )
    measure([case], rounds=2, clock=clock.monotonic_ns)
    assert log == [
        *("setup A", "A", "setup B", "B"),  # warm-up
        *("setup A", "A", "A", "setup B", "B", "B"),  # round 1
        *("setup A", "A", "A", "setup B", "B", "B"),  # round 2
    ]


def test_medians_ranges_and_per_round_speedups() -> None:
    clock, log = FakeClock(), list[str]()
    # warm-up call first (cost ignored), then one call per round (batch 1)
    ours = work(clock, [999, 100, 300, 200], log, "ours")
    theirs = work(clock, [999, 1000, 1200, 3000], log, "theirs")
    case = Case(name="c", unit="page", baseline="theirs", competitors=(ours, theirs))

    result_ours, result_theirs = measure([case], rounds=3, clock=clock.monotonic_ns)

    assert result_ours.per_call_s == pytest.approx((100e-9, 300e-9, 200e-9))
    assert result_ours.median_s == pytest.approx(200e-9)
    assert result_ours.throughput == pytest.approx(5e6)
    assert result_ours.speedups == pytest.approx((10.0, 4.0, 15.0))  # round by round
    assert result_ours.speedup == pytest.approx(10.0)
    assert result_theirs.speedup == pytest.approx(1.0)


def test_a_case_without_warm_up_starts_with_the_first_round() -> None:
    clock, log = FakeClock(), list[str]()
    case = Case(name="c", warmup=False, competitors=(work(clock, [5], log, "A"),))
    (result,) = measure([case], rounds=2, clock=clock.monotonic_ns)
    assert log == ["setup A", "A", "setup A", "A"]
    assert result.per_call_s == pytest.approx((5e-9, 5e-9))


def test_progress_names_each_timed_batch_as_it_ends(capsys: pytest.CaptureFixture[str]) -> None:
    clock, log = FakeClock(), list[str]()
    case = Case(name="c", competitors=(work(clock, [5], log, "A"), work(clock, [7000], log, "B")))
    lines: list[str] = []
    measure([case], rounds=2, clock=clock.monotonic_ns, progress=lines.append)
    assert lines == [
        "c | round 1/2 | A: 5 ns",
        "c | round 1/2 | B: 7 µs",
        "c | round 2/2 | A: 5 ns",
        "c | round 2/2 | B: 7 µs",
    ]
    measure([case], rounds=1, clock=clock.monotonic_ns)  # by default on stderr, never in the report
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == ["c | round 1/1 | A: 5 ns", "c | round 1/1 | B: 7 µs"]


def test_per_unit_compares_competitors_that_did_different_amounts_of_work() -> None:
    clock, log = FakeClock(), list[str]()
    # ours writes 1000 rows in 2000 ns, then 3000; the baseline writes 100 rows in 1000, 1000
    ours = work(clock, [999, 2000, 3000], log, "ours")
    naive = work(clock, [999, 1000, 1000], log, "naive")
    case = Case(name="c", baseline="naive", competitors=(ours, naive))
    results = measure([case], rounds=2, clock=clock.monotonic_ns)

    restated = per_unit(results, {("c", "ours"): 1000, ("c", "naive"): 100}, "row")

    assert [r.unit for r in restated] == ["row", "row"]
    assert restated[0].per_call_s == pytest.approx((2e-9, 3e-9))
    assert restated[1].per_call_s == pytest.approx((10e-9, 10e-9))
    assert restated[0].speedups == pytest.approx((5.0, 10 / 3))  # per round, per row
    assert restated[1].speedup == pytest.approx(1.0)


def test_batches_are_divided_into_time_per_call() -> None:
    clock, log = FakeClock(), list[str]()
    case = Case(name="c", batch=4, competitors=(work(clock, [50], log, "A"),))
    (result,) = measure([case], rounds=1, clock=clock.monotonic_ns)
    assert result.per_call_s == pytest.approx((50e-9,))


def test_table_has_a_row_per_competitor_with_ratio_per_item_and_extra_columns() -> None:
    clock, log = FakeClock(), list[str]()
    case = Case(
        name="digest",
        unit="render",
        baseline="slow",
        per_item=("item", 10),
        competitors=(
            Competitor(
                name="fast", run=work(clock, [2000], log, "fast").run, extra=(("out", "1 kB"),)
            ),
            work(clock, [6000], log, "slow"),
        ),
    )
    lines = table(measure([case], rounds=5, clock=clock.monotonic_ns)).splitlines()
    assert lines[0] == (
        "| case | competitor | median per render | min–max | renders/s | per item "
        "| × baseline (min–max) | out |"
    )
    assert lines[2] == (
        "| digest | fast | 2 µs | 2 µs – 2 µs | 500,000 | 200 ns | **3.00×** (3.00–3.00) | 1 kB |"
    )
    assert lines[3].startswith("| digest | slow | 6 µs |") and "| baseline |" in lines[3]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (2.5, "2.5 s"),
        (0.0123, "12.3 ms"),
        (4.56e-5, "45.6 µs"),
        (7e-9, "7 ns"),
        (0.9996, "1 s"),
        (9.9996e-4, "1 ms"),
    ],
)
def test_durations_read_with_a_fitting_unit(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_a_case_must_name_a_baseline_it_has() -> None:
    with pytest.raises(ValueError, match="baseline 'nope'"):
        Case(name="c", baseline="nope", competitors=(Competitor(name="a", run=lambda: None),))


def test_rounds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rounds"):
        measure([], rounds=0)
