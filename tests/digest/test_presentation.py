"""What readers see around the papers: failures in words, author counts, links out."""

from __future__ import annotations

from paperpulse.core.models import Author, Paper
from paperpulse.digest.models import DigestItem, SourceHealth
from paperpulse.digest.presentation import archive_links, author_count, failure_lines, paper_url


def test_failures_are_one_reader_line_per_listing_without_the_detail() -> None:
    health = (
        SourceHealth(source="hf-daily", status="complete", fetched=12),
        SourceHealth(
            source="arxiv-listing",
            status="failed",
            error="cs.CL: ConnectError [Errno -2] Name or service not known (https://x/y)",
            periods=("cs.CL", "cs.LG", "cs.CL"),
        ),
        SourceHealth(source="hf-daily", status="failed", periods=("2024-08-06",)),
        SourceHealth(source="s2-profile", status="failed"),
    )
    assert failure_lines(health) == (
        "arXiv cs.CL could not be fetched today; it will be retried.",
        "arXiv cs.LG could not be fetched today; it will be retried.",
        "Hugging Face Daily Papers for 2024-08-06 could not be fetched today; it will be retried.",
        "Semantic Scholar could not be fetched today; it will be retried.",
    )
    assert failure_lines(health, "weekly")[0].endswith(" fetched this week; it will be retried.")


def test_author_counts_and_pages() -> None:
    one = Paper(arxiv_id="2401.00001", title="t", authors=(Author(name="A"),))
    assert author_count(one) == "1 author"
    assert author_count(Paper(arxiv_id="2401.00002", title="t")) == ""
    assert paper_url(DigestItem(paper=one, upvotes=0)) == "https://huggingface.co/papers/2401.00001"
    arxiv_only = DigestItem(paper=one, on_hf=False)
    assert paper_url(arxiv_only) == "https://arxiv.org/abs/2401.00001"


def test_archive_links_need_a_public_http_url() -> None:
    links = archive_links("https://github.com/o/r/blob/main/", "2024/08/2024-08-01.md")
    assert links.digest_url == "https://github.com/o/r/blob/main/2024/08/2024-08-01.md"
    assert links.archive_url == "https://github.com/o/r/blob/main/README.md"
    assert archive_links(None, "x.md").digest_url is None
    assert archive_links("javascript:alert(1)", "x.md").digest_url is None
