"""A feed entry's body: the paper's words and links, as escaped HTML, never a page."""

from __future__ import annotations

import re

from paperpulse.core.models import Author, Paper
from paperpulse.digest.feed import paper_content


def test_content_is_paragraphs_and_checked_links_only() -> None:
    paper = Paper(
        arxiv_id="2611.00001",
        title="t",
        abstract='Fast. <script>alert(1)</script> "quoted" & more.',
        ai_summary="One line <b>bold</b>.",
        authors=tuple(Author(name=f"A{n}") for n in range(12)),
        github_repo="javascript:alert(1)",
        project_page="https://example.org/p?a=1&b=2",
    )
    html = paper_content(paper)
    assert set(re.findall(r"</?([a-z]+)", html)) == {"p", "strong", "a"}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;bold" in html
    assert "A0, A1, A2, A3, A4, A5, A6, A7, A8, A9 and 2 more" in html
    assert re.findall(r'href="([^"]*)"', html) == [
        "https://huggingface.co/papers/2611.00001",
        "https://arxiv.org/abs/2611.00001",
        "https://arxiv.org/pdf/2611.00001",
        "https://github.com/javascript:alert%281%29",  # read as owner/name: inert
        "https://example.org/p?a=1&amp;b=2",
    ]


def test_a_bare_paper_still_links_its_pages() -> None:
    html = paper_content(Paper(arxiv_id="2611.00002", title="t"))
    assert html.startswith("<p><a href=") and html.count("<a ") == 3
