"""The chat message: the top papers once each, with links, plurals and escaped titles."""

from __future__ import annotations

from dataclasses import replace

from paperpulse.digest.chat_message import chat_message, top_items
from tests.newsletter_sample import LONG_WORD, reader_links, sample_digest


def test_top_papers_come_once_each_in_section_order() -> None:
    digest = sample_digest()
    again = replace(digest, sections=(digest.sections[0], *digest.sections))  # a repeat
    ids = [i.paper.arxiv_id for i in top_items(again, 6)]
    assert ids == [
        "2611.00001",
        "2611.00002",
        "2611.00003",
        "2611.00004",
        "2611.00010",
        "2611.00011",
    ]


def test_the_message_is_short_with_links_and_plurals() -> None:
    message = chat_message(sample_digest(), top=3, links=reader_links())
    lines = message.body.splitlines()
    assert message.title == "paperpulse · Daily Papers · Friday 20 November 2026"
    digest = sample_digest()
    assert lines[0] == f"{digest.paper_count} papers · {digest.new_count} new · 0 rising"
    assert [i for i, _, _ in message.shown] == ["2611.00001", "2611.00002", "2611.00003"]
    assert "arXiv cs.CL could not be fetched today; it will be retried." in message.body
    assert "ConnectError" not in message.body  # the detail is for the run log
    assert lines[3].startswith("1. [Scaling test-time compute for model number 1 with tree")
    assert lines[3].endswith("](https://huggingface.co/papers/2611.00001) · 1 upvote")
    assert lines[4].endswith(" · 98 upvotes · new")
    assert lines[5].startswith("3. ")
    assert lines[-1] == f"[The whole digest]({reader_links().digest_url})"
    assert len(lines) == 7
    assert f"2. [A {LONG_WORD} title that no…](" in message.body  # cut at 140 characters


def test_hostile_titles_stay_text() -> None:
    digest = sample_digest()
    first = digest.sections[0].items[0]
    evil = replace(first, paper=replace(first.paper, title="[x](javascript:alert(1)) *b* <i>"))
    digest = replace(digest, sections=(replace(digest.sections[0], items=(evil,)),))
    body = chat_message(digest, top=1).body
    assert "1. [\\[x\\](javascript:alert(1)) \\*b\\* \\<i\\>](https://huggingface.co/" in body


def test_an_empty_digest_says_so() -> None:
    digest = replace(sample_digest(), sections=(), health=(), notes=())
    body = chat_message(digest).body
    assert body.splitlines() == ["0 papers · 0 new · 0 rising", "No papers in this digest."]
