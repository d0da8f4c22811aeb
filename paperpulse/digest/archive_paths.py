"""Where digests live in the Markdown archive, and its small index (``archive/README.md``).

Layout (the archive directory, ``PAPERPULSE_ARCHIVE_DIR``, is itself the git repository;
paths are relative to it)::

    README.md                          index: latest first, older months one line each
    2024/08/2024-08-01.md              daily digest, by list date
    2024/weeks/2024-W31.md             weekly digest, by ISO week (ISO year in both places)

Pure: ``delivery.git_archive`` writes what these functions name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote

from paperpulse.digest.calendar import iso_week, week_start
from paperpulse.digest.escaping import md_escape

INDEX_PATH = "README.md"


def daily_path(day: date) -> str:
    return f"{day:%Y}/{day:%m}/{day.isoformat()}.md"


def weekly_path(week: str | date) -> str:
    """Path of a weekly digest, from its key (``2024-W31``) or any day in that week."""
    key = iso_week(week) if isinstance(week, date) else iso_week(week_start(week))
    return f"{key[:4]}/weeks/{key}.md"


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveEntry:
    """One archived digest as the index lists it."""

    period: date | str  # the list date of a daily digest, or an ISO week key ("2024-W31")
    title: str
    path: str  # relative to the repository root, as daily_path/weekly_path return it
    n_papers: int

    @property
    def label(self) -> str:
        return self.period.isoformat() if isinstance(self.period, date) else self.period

    @property
    def last_day(self) -> date:
        """The day the digest covers up to: a weekly digest is dated by its Sunday."""
        if isinstance(self.period, date):
            return self.period
        return week_start(self.period) + timedelta(days=6)


def build_index(
    entries: Iterable[ArchiveEntry],
    *,
    current: date | None = None,
    title: str = "paperpulse archive",
) -> str:
    """Markdown for ``archive/README.md``: latest first, grouped by month.

    The current month (of ``current``, else of the latest entry) and the one before are listed
    in full; older months collapse to one line ("2024-06: 21 digests") so the index stays small.
    A weekly digest sorts and groups by its Sunday, above that day's daily digest.
    """
    by_path = {entry.path: entry for entry in entries}  # the same file listed twice counts once
    ordered = sorted(
        by_path.values(),
        key=lambda e: (e.last_day, isinstance(e.period, str), e.path),
        reverse=True,
    )
    lines = [f"# {md_escape(title)}", ""]
    if not ordered:
        return "\n".join([*lines, "No digests yet.", ""])
    anchor = current or ordered[0].last_day
    previous = (anchor.replace(day=1) - timedelta(days=1)).replace(day=1)
    full_from = f"{previous:%Y-%m}"

    older: dict[str, int] = {}
    month_heading = ""
    for entry in ordered:
        month = f"{entry.last_day:%Y-%m}"
        if month < full_from:
            older[month] = older.get(month, 0) + 1
            continue
        if month != month_heading:
            lines += [f"## {month}", ""] if month_heading == "" else ["", f"## {month}", ""]
            month_heading = month
        link = quote(entry.path, safe="/-._~")  # README.md sits at the root beside them
        papers = "paper" if entry.n_papers == 1 else "papers"
        lines.append(
            f"- {entry.label} · [{md_escape(entry.title)}]({link}) · {entry.n_papers} {papers}"
        )
    if older:
        lines += ["", "## Earlier", ""] if month_heading else ["## Earlier", ""]
        for month, count in older.items():  # already latest first
            lines.append(f"- {month}: {count} {'digest' if count == 1 else 'digests'}")
    return "\n".join([*lines, ""])
