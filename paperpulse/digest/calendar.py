"""The digest's calendar (pure): list dates, ISO weeks, periods and their keys.

A *period* is what one edition covers: one list date (daily), several (a catch-up), or the
seven dates of an ISO week (weekly). Its key names it everywhere: the deliveries ledger and the
reader's ledger ("daily/2024-08-01", "weekly/2024-W31"), Prefect task names, archive files.
Everything that turns dates into weeks, ranges or keys does it here, once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from paperpulse.core.keys import DigestKey, iso_week
from paperpulse.core.kinds import Edition

__all__ = ["DigestKey", "Period", "iso_week"]

_WEEK_KEY = re.compile(r"^(\d{4})-W(\d{2})$")
EDITIONS = tuple(Edition)


def week_start(key: str) -> date:
    """Monday of an ISO week key such as ``2024-W31``."""
    match = _WEEK_KEY.match(key)
    if match is None:
        raise ValueError(f"week key {key!r} must look like 2024-W31")
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError as exc:
        raise ValueError(f"week key {key!r} names no ISO week: {exc}") from exc


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def date_range(start: date, end: date) -> list[date]:
    """Every date from ``start`` to ``end``, both included."""
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def daily_key(day: date) -> str:
    """The ledger's key of one list date's daily digest: ``daily/2024-08-01``."""
    return str(DigestKey.daily(day))


def weekly_key(week: str) -> str:
    return str(DigestKey(Edition.WEEKLY, week))


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    edition: Edition
    key: str  # "2024-08-01" (a catch-up: its last day) | "2024-W31"
    days: tuple[date, ...]  # the list dates it covers, in order

    @property
    def digest_key(self) -> str:
        return str(DigestKey(self.edition, self.key))

    @property
    def day_keys(self) -> tuple[str, ...]:
        """The daily keys of every list date covered (a weekly's seven, a catch-up's days)."""
        return tuple(daily_key(d) for d in self.days)

    @property
    def title(self) -> str:
        first, last = self.days[0], self.days[-1]
        if self.edition == Edition.WEEKLY:
            return f"Week {self.key} · {first:%d %b} – {last:%d %b %Y}"
        if len(self.days) == 1:
            return f"Daily Papers · {first:%A %d %B %Y}"
        return f"Daily Papers · {first:%a %d %b} – {last:%a %d %b %Y} (catch-up)"


def period_for(edition: str, day: date) -> Period:
    """The daily period of ``day``, or the weekly period of the ISO week holding it."""
    if edition == Edition.DAILY:
        return Period(edition=Edition.DAILY, key=day.isoformat(), days=(day,))
    if edition == Edition.WEEKLY:
        monday = monday_of(day)
        return Period(
            edition=Edition.WEEKLY,
            key=iso_week(day),
            days=tuple(monday + timedelta(days=n) for n in range(7)),
        )
    raise ValueError(f"unknown edition {edition!r}; choose one of {', '.join(EDITIONS)}")


def catch_up(days: Iterable[date]) -> Period:
    """One daily digest covering several list dates (a reader who missed some)."""
    ordered = tuple(sorted(set(days)))
    return Period(edition=Edition.DAILY, key=ordered[-1].isoformat(), days=ordered)


def period_of_key(key: str) -> Period:
    """The period a ledger key names ("daily/2024-08-01", "weekly/2024-W31")."""
    parsed = DigestKey.parse(key)
    if parsed.day is not None:
        return period_for(Edition.DAILY, parsed.day)
    return period_for(Edition.WEEKLY, week_start(parsed.period))


def day_of_key(key: str) -> date | None:
    """The list date of a daily key, else None (a weekly key, or not a key at all)."""
    try:
        return DigestKey.parse(key).day
    except ValueError:
        return None


def digest_name(key: str | None) -> str:
    """How a reader names a digest: "Mon 03 Mar" (daily, by its list date), "week 2024-W31"."""
    if not key:
        return ""
    day = day_of_key(key)
    if day is not None:
        return f"{day:%a %d %b}"
    edition, _, period = key.partition("/")
    return period if edition == Edition.DAILY else f"{edition.removesuffix('ly')} {period}"
