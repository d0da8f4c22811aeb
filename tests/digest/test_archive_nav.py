"""The archive's navigation as a git host shows it: index calendar, topics, previous/next."""

from __future__ import annotations

import re
from datetime import date

from markdown_it import MarkdownIt

from paperpulse.digest.archive_nav import (
    Archived,
    archive_index,
    digest_nav,
    feed_path,
    topic_anchor,
)

DAYS = [date(2026, 10, 30), date(2026, 11, 2), date(2026, 11, 3)]  # Fri, then Mon and Tue
ARCHIVED = [
    *(Archived(title=f"Daily Papers · {d:%A}", n_papers=10 + d.day, day=d) for d in DAYS),
    Archived(title="Week 2026-W44", n_papers=60, week="2026-W44"),
]


def hrefs(markdown: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', MarkdownIt("commonmark").enable("table").render(markdown))


def test_the_index_has_the_latest_the_topics_the_feed_and_a_calendar() -> None:
    index = archive_index(ARCHIVED, topics=["Language models", "Robotics & control"])
    html = MarkdownIt("commonmark").enable("table").render(index)
    assert "**Latest:** [Daily Papers · Tuesday](2026/11/2026-11-03.md) · 13 papers" in index
    assert "[latest](2026/11/2026-11-03.md#language-models)" in index
    assert "[feed](feeds/robotics-control.xml)" in index
    assert html.count("<table>") == 2  # November, then October (newest first)
    assert index.index("## November 2026") < index.index("## October 2026")
    assert '| 2026-W45 | [2](2026/11/2026-11-02.md "12 papers") | [3](' in index
    assert "| [2026-W44](2026/weeks/2026-W44.md) |" in index
    assert set(hrefs(index)) == {
        "2026/11/2026-11-03.md",
        "2026/11/2026-11-03.md#language-models",
        "2026/11/2026-11-03.md#robotics--control",
        "feeds/language-models.xml",
        "feeds/robotics-control.xml",
        "feed.xml",
        "2026/11/2026-11-02.md",
        "2026/10/2026-10-30.md",
        "2026/weeks/2026-W44.md",
    }


def test_each_digest_links_previous_next_its_week_and_the_index() -> None:
    friday, monday, tuesday = ARCHIVED[:3]
    nav = digest_nav(monday, ARCHIVED, topics=["Language models"])
    assert nav.splitlines()[0] == (
        "[← Fri 30 Oct](../10/2026-10-30.md) · [All digests](../../README.md) · "
        "[Tue 03 Nov →](2026-11-03.md)"
    )
    assert "Topics: [Language models](#language-models)" in nav
    first = digest_nav(friday, ARCHIVED)
    assert first.startswith("[Week 2026-W44](../weeks/2026-W44.md) · [All digests]")
    assert "→" in first and "←" not in first
    assert "→" not in digest_nav(tuesday, ARCHIVED)


def test_anchors_follow_the_git_hosts_heading_rule() -> None:
    assert topic_anchor("Language models") == "language-models"
    assert topic_anchor("RL & agents (2026)") == "rl--agents-2026"


def test_an_empty_archive_says_so() -> None:
    assert archive_index([]) == "# paperpulse archive\n\nNo digests yet.\n"


def test_hostile_titles_and_topics_stay_text() -> None:
    evil = "[x](javascript:alert(1)) <img src=x onerror=alert(1)> | ## h"
    day = Archived(title=evil, n_papers=1, day=DAYS[0])
    index = archive_index([day], topics=[evil])
    html = (
        MarkdownIt("commonmark")
        .enable("table")
        .render(index + digest_nav(day, [day], topics=[evil]))
    )
    assert "<img" not in html and "javascript:" not in " ".join(hrefs(index))
    assert all(
        h.endswith((".md", ".xml")) or ".md#" in h or h.startswith("#") for h in hrefs(index)
    )


def test_topics_whose_slugs_meet_get_feeds_of_their_own() -> None:
    """Issue 25: "C++" and "C#" both wrote ``feeds/c.xml``; other feeds keep their names."""
    topics = ["C++", "C#", "C", "Robotics & control"]
    paths = [feed_path(t, topics) for t in topics]
    assert len(set(paths)) == len(topics)
    assert feed_path("C", topics) == "feeds/c.xml"
    assert feed_path("Robotics & control", topics) == "feeds/robotics-control.xml"
