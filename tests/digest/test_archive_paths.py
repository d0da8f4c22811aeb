"""Archive layout and the README index."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from paperpulse.digest.archive_paths import (
    INDEX_PATH,
    ArchiveEntry,
    build_index,
    daily_path,
    weekly_path,
)
from paperpulse.digest.calendar import iso_week, week_start


def daily(day: date, n: int = 10) -> ArchiveEntry:
    return ArchiveEntry(
        period=day, title=f"Daily digest {day.isoformat()}", path=daily_path(day), n_papers=n
    )


def weekly(key: str, n: int = 40) -> ArchiveEntry:
    return ArchiveEntry(period=key, title=f"Week {key}", path=weekly_path(key), n_papers=n)


def test_paths() -> None:
    assert INDEX_PATH == "README.md"
    assert daily_path(date(2024, 8, 1)) == "2024/08/2024-08-01.md"
    assert weekly_path("2024-W31") == "2024/weeks/2024-W31.md"
    assert weekly_path(date(2024, 8, 1)) == "2024/weeks/2024-W31.md"
    # The ISO year, not the calendar year, names a week that straddles New Year.
    assert iso_week(date(2024, 12, 30)) == "2025-W01"
    assert weekly_path(date(2024, 12, 30)) == "2025/weeks/2025-W01.md"
    assert week_start("2025-W01") == date(2024, 12, 30)
    with pytest.raises(ValueError, match="2024-W31"):
        week_start("2024-31")
    with pytest.raises(ValueError, match="no ISO week"):
        week_start("2023-W53")


def test_index_lists_recent_months_in_full_and_collapses_older_ones() -> None:
    days = [date(2024, 5, 31)] + [date(2024, 6, 1) + timedelta(days=i) for i in range(63)]
    entries = [daily(d) for d in days] + [weekly("2024-W31"), weekly("2024-W22")]

    index = build_index(reversed(entries))  # input order does not matter

    lines = index.splitlines()
    assert lines[0] == "# paperpulse archive"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == ["## 2024-08", "## 2024-07", "## Earlier"]
    listed = [line for line in lines if " · " in line]
    # The weekly digest of 29 Jul - 4 Aug is dated by its Sunday, so it is the latest.
    assert listed[:3] == [
        "- 2024-W31 · [Week 2024-W31](2024/weeks/2024-W31.md) · 40 papers",
        "- 2024-08-02 · [Daily digest 2024-08-02](2024/08/2024-08-02.md) · 10 papers",
        "- 2024-08-01 · [Daily digest 2024-08-01](2024/08/2024-08-01.md) · 10 papers",
    ]
    assert len(listed) == 3 + 31  # August so far, then every day of July
    assert listed[-1].startswith("- 2024-07-01 ")
    earlier = lines[lines.index("## Earlier") + 2 :]
    assert earlier[:2] == ["- 2024-06: 31 digests", "- 2024-05: 1 digest"]


def test_index_week_sorts_above_the_daily_of_its_sunday() -> None:
    index = build_index([daily(date(2024, 8, 4)), weekly("2024-W31"), daily(date(2024, 8, 5))])
    order = [line.split(" · ")[0] for line in index.splitlines() if " · " in line]
    assert order == ["- 2024-08-05", "- 2024-W31", "- 2024-08-04"]


def test_index_current_month_can_be_given_and_titles_are_escaped() -> None:
    entries = [
        ArchiveEntry(
            period=date(2024, 3, 5),
            title="[x](javascript:y) | *",
            path=daily_path(date(2024, 3, 5)),
            n_papers=1,
        ),
        daily(date(2024, 1, 9)),
    ]

    index = build_index(entries, current=date(2024, 4, 2))

    assert (
        "- 2024-03-05 · [\\[x\\](javascript:y) \\| \\*](2024/03/2024-03-05.md) · 1 paper" in index
    )
    assert "- 2024-01: 1 digest" in index
    assert "## 2024-03" in index and "## 2024-01" not in index


def test_index_without_entries() -> None:
    assert build_index([]) == "# paperpulse archive\n\nNo digests yet.\n"


def test_the_same_file_is_listed_once() -> None:
    index = build_index([daily(date(2024, 8, 1), 3), daily(date(2024, 8, 1), 5)])
    assert index.count("2024-08-01.md") == 1 and "5 papers" in index
