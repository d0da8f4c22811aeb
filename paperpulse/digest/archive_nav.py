"""Navigation of the Markdown archive, as a git host's web view shows it (GitHub Flavored
Markdown): the index (``README.md``: latest digest, topics, feeds, a calendar of every day and
week) and a line atop each digest (previous and next, its week, the index, its topics).

Pure: the caller lists the archived digests (from the deliveries ledger, never by reading the
archive's files back), so the same ledger always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote

from paperpulse.digest.archive_paths import INDEX_PATH, daily_path, weekly_path
from paperpulse.digest.calendar import iso_week, week_start
from paperpulse.digest.escaping import md_escape

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True, kw_only=True)
class Archived:
    """One digest in the archive: a daily one (``day``) or a weekly one (``week``)."""

    title: str
    n_papers: int
    day: date | None = None
    week: str | None = None  # "2024-W31"

    @property
    def path(self) -> str:
        return daily_path(self.day) if self.day else weekly_path(self.week or "")


def topic_anchor(name: str) -> str:
    """The anchor a git host gives the heading ``## name`` (GitHub's rule, ASCII-folded)."""
    slug = re.sub(r"[^\w\- ]", "", name.strip().lower())
    return slug.replace(" ", "-")


def link(path: str, start: str = INDEX_PATH) -> str:
    """``path`` relative to the file ``start`` (both relative to the archive root), encoded."""
    relative = posixpath.relpath(path, posixpath.dirname(start) or ".")
    return quote(relative, safe="/-._~#")


def feed_path(topic: str, topics: Sequence[str] = ()) -> str:
    """``feeds/<slug>.xml``. Two of ``topics`` (the configured ones) whose slugs meet ("C++"
    and "C#" are both "c") are kept apart by a short hash of the name on the one(s) whose
    slug dropped more than case and spacing; every other feed keeps its plain, stable name.
    (Names differing only in case or spacing are one topic: the config refuses such pairs.)"""
    slug = _slug(topic)
    words = "-".join(topic.casefold().split())
    if slug != words and any(_slug(t) == slug for t in topics if t != topic):
        slug += "-" + hashlib.sha256(topic.encode()).hexdigest()[:8]
    return f"feeds/{slug}.xml"


def _slug(topic: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", topic.casefold()).strip("-") or "topic"


def digest_nav(
    current: Archived,
    archived: Sequence[Archived],
    *,
    topics: Sequence[str] = (),
) -> str:
    """The line atop a digest: ← previous · its week · the index · next →, then its topics."""
    here = current.path
    same_kind = sorted(
        (a for a in archived if (a.day is None) == (current.day is None)), key=lambda a: a.path
    )
    earlier = [a for a in same_kind if a.path < here]
    later = [a for a in same_kind if a.path > here]
    parts = []
    if earlier:
        parts.append(f"[← {_label(earlier[-1])}]({link(earlier[-1].path, here)})")
    if current.day is not None:
        week = iso_week(current.day)
        if any(a.week == week for a in archived):
            parts.append(f"[Week {week}]({link(weekly_path(week), here)})")
    parts.append(f"[All digests]({link(INDEX_PATH, here)})")
    if later:
        parts.append(f"[{_label(later[0])} →]({link(later[0].path, here)})")
    lines = [" · ".join(parts)]
    if topics:
        lines.append(
            "Topics: " + " · ".join(f"[{md_escape(t)}](#{topic_anchor(t)})" for t in topics)
        )
    return "\n\n".join(lines) + "\n\n"


def archive_index(
    archived: Sequence[Archived],
    *,
    topics: Sequence[str] = (),
    title: str = "paperpulse archive",
) -> str:
    """``README.md``: the latest digest, each topic (its section there and its feed), the
    feeds, then a calendar per month, one row per ISO week, newest first."""
    lines = [f"# {md_escape(title)}", ""]
    days = sorted((a for a in archived if a.day is not None), key=lambda a: a.path)
    weeks = {a.week: a for a in archived if a.week is not None}
    if not days and not weeks:
        return "\n".join([*lines, "No digests yet.", ""])
    if days:
        latest = days[-1]
        papers = "paper" if latest.n_papers == 1 else "papers"
        lines += [
            f"**Latest:** [{md_escape(latest.title)}]({link(latest.path)}) · "
            f"{latest.n_papers} {papers}",
            "",
        ]
        if topics:
            lines += [
                "**Topics:** "
                + " · ".join(
                    f"{md_escape(t)} ([latest]({link(latest.path)}#{topic_anchor(t)}), "
                    f"[feed]({link(feed_path(t, topics))}))"
                    for t in topics
                ),
                "",
            ]
    lines += ["**Feed:** [new papers](feed.xml) (Atom)", ""]
    by_day = {a.day: a for a in days}
    mondays = sorted(
        {d - timedelta(days=d.weekday()) for d in by_day if d is not None}
        | {week_start(w) for w in weeks},
        reverse=True,
    )
    month = ""
    for monday in mondays:
        thursday = monday + timedelta(days=3)  # a week belongs to the month of its Thursday
        if f"{thursday:%Y-%m}" != month:
            month = f"{thursday:%Y-%m}"
            if lines[-1]:
                lines.append("")
            lines += [
                f"## {thursday:%B %Y}",
                "",
                "| Week | " + " | ".join(WEEKDAYS) + " |",
                "|:--|" + ":-:|" * 7,
            ]
        key = iso_week(monday)
        week = weeks.get(key)
        cells = [f"[{key}]({link(week.path)})" if week else key]
        for offset in range(7):
            day = monday + timedelta(days=offset)
            found = by_day.get(day)
            cells.append(
                f'[{day.day}]({link(found.path)} "{found.n_papers} papers")' if found else ""
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join([*lines, ""])


def _label(entry: Archived) -> str:
    return f"{entry.day:%a %d %b}" if entry.day else str(entry.week)
