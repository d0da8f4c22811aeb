"""Atom feeds: required elements, stable ids, escaping of hostile text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperpulse.core.errors import DeliveryError
from paperpulse.digest.escaping import one_line
from paperpulse.digest.feed import (
    FeedEntry,
    build_feed,
    digest_entry_id,
    feed_id,
    paper_entry_id,
    tag_id,
)

ATOM = "{http://www.w3.org/2005/Atom}"
DAY = datetime(2024, 8, 1, 6, 0, tzinfo=UTC)


def entries(titles: list[str] | None = None) -> list[FeedEntry]:
    titles = titles or ["paperpulse daily — 2024-08-01", "paperpulse daily — 2024-07-31"]
    keys = ["daily/2024-08-01", "daily/2024-07-31"]
    return [
        FeedEntry(
            id=digest_entry_id(keys[i]),
            title=title,
            link=f"https://example.org/archive/2024/08/{i}.md",
            updated=DAY - timedelta(days=i),
            summary_html="<p>12 papers &amp; 3 rising</p>",
            authors=("paperpulse",),
        )
        for i, title in enumerate(titles)
    ]


def build(items: list[FeedEntry]) -> bytes:
    return build_feed(
        feed_id=feed_id("daily"),
        title="paperpulse — daily",
        link="https://example.org/archive/",
        self_link="https://example.org/feeds/daily.xml",
        updated=DAY,
        entries=items,
    )


def test_feed_has_the_required_atom_elements() -> None:
    root = ET.fromstring(build(entries()))

    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == "tag:paperpulse,2024:feed/daily"
    assert root.findtext(f"{ATOM}title") == "paperpulse — daily"
    assert root.findtext(f"{ATOM}updated") == "2024-08-01T06:00:00+00:00"
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {
        "alternate": "https://example.org/archive/",
        "self": "https://example.org/feeds/daily.xml",
    }
    items = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in items] == [
        "tag:paperpulse,2024:daily/2024-08-01",
        "tag:paperpulse,2024:daily/2024-07-31",
    ]
    for item in items:
        assert item.findtext(f"{ATOM}title")
        assert item.findtext(f"{ATOM}updated")
        assert item.find(f"{ATOM}link") is not None
        summary = item.find(f"{ATOM}summary")
        assert summary is not None and summary.get("type") == "html"
        assert summary.text == "<p>12 papers &amp; 3 rising</p>"


def test_two_builds_are_identical() -> None:
    assert build(entries()) == build(entries())


def test_a_script_title_is_text_not_markup() -> None:
    hostile = '<script>alert("x")</script> & <b>bold</b>\x00\x1b'
    data = build(entries([hostile]))

    assert b"<script>" not in data
    root = ET.fromstring(data)
    [item] = root.findall(f"{ATOM}entry")
    title = item.find(f"{ATOM}title")
    assert title is not None and len(title) == 0  # no child elements
    assert title.text == '<script>alert("x")</script> & <b>bold</b>'
    assert not [element for element in root.iter() if element.tag.endswith("script")]


@given(st.text(max_size=100))
def test_any_title_survives_as_text(title: str) -> None:
    root = ET.fromstring(build(entries([title])))
    [item] = root.findall(f"{ATOM}entry")
    expected = "".join(
        c for c in one_line(title) if c in "\t\n\r" or (ord(c) >= 32 and c not in "\ufffe\uffff")
    )
    assert item.findtext(f"{ATOM}title") == (expected or item.findtext(f"{ATOM}id"))


def test_ids_are_tag_uris() -> None:
    assert paper_entry_id("2408.01234") == "tag:paperpulse,2024:arxiv/2408.01234"
    assert digest_entry_id("weekly/2024-W31") == "tag:paperpulse,2024:weekly/2024-W31"
    assert feed_id("topic/large language models") == (
        "tag:paperpulse,2024:feed/topic/large%20language%20models"
    )
    assert tag_id("x", authority="example.org", date="2025-01") == "tag:example.org,2025-01:x"


@pytest.mark.parametrize(
    "entry",
    [
        FeedEntry(id="not an iri", title="t", link="https://x.org/", updated=DAY),
        FeedEntry(id=paper_entry_id("1"), title="t", link="javascript:alert(1)", updated=DAY),
        FeedEntry(
            id=paper_entry_id("1"),
            title="t",
            link="https://x.org/",
            updated=DAY.replace(tzinfo=None),
        ),
    ],
)
def test_bad_entries_are_refused(entry: FeedEntry) -> None:
    with pytest.raises(DeliveryError):
        build([entry])


def test_summary_is_html_or_text_not_both() -> None:
    with pytest.raises(ValueError, match="not both"):
        FeedEntry(
            id=paper_entry_id("1"),
            title="t",
            link="https://x.org/",
            updated=DAY,
            summary_html="<p>a</p>",
            summary_text="a",
        )
