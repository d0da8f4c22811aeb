"""The news sections as values: what they say, where they go, what they announce."""

from __future__ import annotations

from datetime import UTC, datetime

from paperpulse.core.kinds import Edition
from paperpulse.core.scholarly import CitingPaper, VenueNews
from paperpulse.digest.models import Digest, Section
from paperpulse.digest.render import render
from paperpulse.digest.scholarly import cites_line, scholarly_sections, with_scholarly


def citing(n: int, *cites: str) -> CitingPaper:
    return CitingPaper(key=f"s2:{n}", title=f"Citer {n}", url=f"https://x.org/{n}", cites=cites)


def test_a_line_names_up_to_three_of_the_readers_papers() -> None:
    assert cites_line(["A"]) == "cites “A”"
    assert cites_line(["A", "B"]) == "cites “A” and “B”"
    assert cites_line(["A", "B", "C", "D", "E"]) == "cites “A”, “B”, “C” and 2 more of yours"


def test_past_the_cap_the_rest_wait_unannounced_for_the_next_digest() -> None:
    news = [citing(n, "X") for n in range(5)]
    venue = [VenueNews(key="arxiv:1", title="X", url="https://arxiv.org/abs/1", venue="ICML")]
    sections, told = scholarly_sections(news, venue, cap=3)
    cites, published = sections
    assert [n.title for n in cites.notices] == ["Citer 0", "Citer 1", "Citer 2"]
    assert cites.note == "2 more in the next digest"
    assert published.notices[0].detail == "now published at ICML" and published.note is None
    assert told == (("cites", "s2:0"), ("cites", "s2:1"), ("cites", "s2:2"), ("venue", "arxiv:1"))
    assert scholarly_sections([], [], cap=3) == ((), ())


def test_the_sections_go_after_for_you_and_render_in_every_format() -> None:
    digest = Digest(
        edition=Edition.DAILY,
        period="2026-08-04",
        title="Daily",
        generated_at=datetime(2026, 8, 4, 9, tzinfo=UTC),
        sections=(Section(title="For you"), Section(title="Robots")),
    )
    sections, told = scholarly_sections([citing(1, "My *bold* paper")], [], cap=3)
    shown = with_scholarly(digest, sections, told)
    assert [s.title for s in shown.sections] == ["For you", "Cites your work", "Robots"]
    assert shown.announcements == (("cites", "s2:1"),)
    assert "- [Citer 1](https://x.org/1) · cites “My \\*bold\\* paper”" in render(shown, "md")
    assert '<a href="https://x.org/1">Citer 1</a> · cites “My *bold* paper”' in render(
        shown, "html"
    )
    assert "- Citer 1 (cites “My *bold* paper”)\n  https://x.org/1" in render(shown, "txt")
