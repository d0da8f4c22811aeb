"""The pure calendar: ISO weeks, periods, catch-ups and the ledger's digest keys."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperpulse.core.kinds import Edition
from paperpulse.digest.calendar import (
    catch_up,
    date_range,
    day_of_key,
    digest_name,
    iso_week,
    period_for,
    period_of_key,
    week_start,
)

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


@given(days, st.sampled_from(list(Edition)))
def test_a_key_names_its_period_back(day: date, edition: Edition) -> None:
    period = period_for(edition, day)
    assert day in period.days
    assert period_of_key(period.digest_key) == period
    assert day_of_key(period.digest_key) == (day if edition == Edition.DAILY else None)


@given(days)
def test_a_week_is_seven_days_from_its_monday(day: date) -> None:
    week = period_for(Edition.WEEKLY, day)
    assert week.days[0] == week_start(week.key) and week.days[0].weekday() == 0
    assert list(week.days) == date_range(week.days[0], week.days[0] + timedelta(days=6))
    assert {iso_week(d) for d in week.days} == {week.key}


def test_the_iso_year_names_a_week_that_straddles_new_year() -> None:
    assert iso_week(date(2024, 12, 30)) == "2025-W01"
    assert period_for(Edition.WEEKLY, date(2025, 1, 5)).digest_key == "weekly/2025-W01"
    with pytest.raises(ValueError, match="2024-W31"):
        week_start("2024-31")


def test_a_catch_up_is_named_by_its_last_day_and_covers_each_day_once() -> None:
    period = catch_up([date(2024, 8, 15), date(2024, 8, 13), date(2024, 8, 15)])
    assert period.digest_key == "daily/2024-08-15"
    assert period.days == (date(2024, 8, 13), date(2024, 8, 15))
    assert period.day_keys == ("daily/2024-08-13", "daily/2024-08-15")
    assert period.title == "Daily Papers · Tue 13 Aug – Thu 15 Aug 2024 (catch-up)"


def test_readers_name_digests_by_their_dates() -> None:
    assert digest_name("daily/2024-03-03") == "Sun 03 Mar"
    assert digest_name("weekly/2024-W31") == "week 2024-W31"
    assert digest_name(None) == ""
    assert day_of_key("not a key") is None
    with pytest.raises(ValueError, match="digest key"):
        period_of_key("monthly/2024-08")
    with pytest.raises(ValueError, match="ends"):
        date_range(date(2024, 8, 2), date(2024, 8, 1))
