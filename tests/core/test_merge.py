"""Field-merge precedence: owners win, blanks never erase, arrival order does not matter."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperpulse.core.merge import ARXIV, COMBINED, HF, OWNERS, family, merge_papers
from paperpulse.core.models import Author, Paper

ID = "2607.22529"
PUBLISHED = datetime(2026, 7, 27, 17, 59, 37, tzinfo=UTC)

HF_PAPER = Paper(
    arxiv_id=ID,
    title="Skill Self-Play",
    authors=(Author(name="Jane Doe", hf_user="janed"), Author(name="Lena Jager", hf_user="lj")),
    abstract="We study skill self-play.",
    published_at=datetime(2026, 7, 27, 17, 59, tzinfo=UTC),
    list_date=date(2026, 7, 29),
    organization="Example Lab",
    github_repo="https://github.com/x/y",
    project_page="https://x.example",
    ai_summary="Self-play for skills.",
    ai_keywords=("self-play",),
)
ARXIV_PAPER = Paper(
    arxiv_id=ID,
    version=2,
    title="Skill Self-Play: Pushing the Frontier of LLM Capability with Co-Evolving Skills",
    authors=(
        Author(name="Jane Doe", affiliation="MIT; CERN"),
        Author(name="Lena Jäger"),
        Author(name="Max Roe"),
    ),
    abstract="We study skill self-play in large language models.",
    published_at=PUBLISHED,
    list_date=date(2026, 7, 28),
    primary_category="cs.CL",
    categories=("cs.CL", "cs.AI"),
    comment="12 pages",
    journal_ref="Proc. ACL 2026",
    doi="10.1234/acl.2026.1",
)
MERGED = Paper(
    arxiv_id=ID,
    version=2,
    title=ARXIV_PAPER.title,
    authors=(
        Author(name="Jane Doe", hf_user="janed", affiliation="MIT; CERN"),
        Author(name="Lena Jäger", hf_user="lj"),
        Author(name="Max Roe"),
    ),
    abstract=ARXIV_PAPER.abstract,
    published_at=PUBLISHED,
    list_date=date(2026, 7, 28),
    primary_category="cs.CL",
    categories=("cs.CL", "cs.AI"),
    organization="Example Lab",
    github_repo="https://github.com/x/y",
    project_page="https://x.example",
    ai_summary="Self-play for skills.",
    ai_keywords=("self-play",),
    comment="12 pages",
    journal_ref="Proc. ACL 2026",
    doi="10.1234/acl.2026.1",
)


def test_hf_then_arxiv_and_arxiv_then_hf_give_the_hand_checked_paper() -> None:
    hf_first = merge_papers(merge_papers(None, HF_PAPER, source="hf-daily"), ARXIV_PAPER,
                            source="arxiv-api")  # fmt: skip
    arxiv_first = merge_papers(merge_papers(None, ARXIV_PAPER, source="arxiv-listing"), HF_PAPER,
                               source="hf-daily")  # fmt: skip
    assert hf_first == arxiv_first == MERGED


def test_a_later_arxiv_listing_without_abstract_or_affiliations_erases_nothing() -> None:
    listing_view = Paper(
        arxiv_id=ID,
        version=1,  # an older page, read after the API
        title=ARXIV_PAPER.title,
        authors=tuple(Author(name=a.name) for a in ARXIV_PAPER.authors),
        list_date=date(2026, 7, 30),
        primary_category="cs.CL",
        categories=("cs.CL",),
    )
    merged = merge_papers(MERGED, listing_view, source="arxiv-listing")
    assert merged.abstract == MERGED.abstract and merged.doi == MERGED.doi
    assert merged.authors == MERGED.authors  # affiliations and HF accounts kept by name
    assert merged.categories == ("cs.CL",)  # arXiv's latest word on categories
    assert (merged.version, merged.list_date) == (2, date(2026, 7, 28))


def test_namesake_coauthors_keep_their_own_accounts() -> None:
    wz1, wz2 = Author(name="Wei Zhang", hf_user="wz1"), Author(name="Wei Zhang", hf_user="wz2")
    hf = Paper(arxiv_id=ID, title="t", authors=(wz1, wz2))
    arxiv = Paper(arxiv_id=ID, title="t", authors=(Author(name="Wei Zhang"),) * 2)
    merged = merge_papers(hf, arxiv, source="arxiv-api")
    assert [a.hf_user for a in merged.authors] == ["wz1", "wz2"]


def test_other_sources_only_fill_blanks() -> None:
    other = Paper(arxiv_id=ID, title="Other Title", doi="10.9/other", ai_summary="other")
    merged = merge_papers(HF_PAPER, other, source="semantic-scholar")
    assert (merged.title, merged.ai_summary, merged.doi) == (
        HF_PAPER.title,
        HF_PAPER.ai_summary,
        "10.9/other",
    )


def test_blanks_come_out_in_one_spelling() -> None:
    blank = Paper(arxiv_id=ID, title="  ", comment=" ", doi="", categories=())
    merged = merge_papers(None, blank, source="arxiv-listing")
    assert (merged.title, merged.comment, merged.doi) == ("", None, None)


def test_papers_with_different_ids_are_never_merged() -> None:
    with pytest.raises(ValueError, match=r"cannot merge 2607\.00001 into 2607\.22529"):
        merge_papers(HF_PAPER, Paper(arxiv_id="2607.00001", title="x"), source="hf-daily")


def test_every_paper_field_has_a_rule() -> None:
    assert {f.name for f in fields(Paper)} == set(OWNERS) | COMBINED
    assert not set(OWNERS) & COMBINED


@pytest.mark.parametrize(
    ("source", "expected"),
    [("arxiv-listing", ARXIV), ("arxiv-api", ARXIV), ("arxiv-author", ARXIV), ("hf-daily", HF),
     ("hf-search", HF), ("hf", HF), ("hfx-daily", None), ("semantic-scholar", None)],
)  # fmt: skip
def test_source_families(source: str, expected: str | None) -> None:
    assert family(source) == expected


# --- properties ---------------------------------------------------------------------------------

blank_text = st.sampled_from(["", "  "])
maybe_text = st.none() | blank_text | st.sampled_from(["a", "b", "c d"])
names = st.sampled_from(
    ["Jane Doe", "Jane Q. Doe", "J. Doe", "Wei Zhang", "Lena Jäger", "Lena Jager", "Max Roe"]
)
authors = st.lists(
    st.builds(
        Author,
        name=names,
        hf_user=st.none() | st.sampled_from(["u1", "u2"]),
        affiliation=st.none() | st.sampled_from(["MIT", "CERN"]),
    ),
    max_size=4,
).map(tuple)
papers = st.builds(
    Paper,
    arxiv_id=st.just(ID),
    title=blank_text | st.sampled_from(["T1", "T2"]),
    authors=authors,
    abstract=blank_text | st.sampled_from(["A1", "A2"]),
    published_at=st.none() | st.sampled_from([PUBLISHED, datetime(2026, 1, 1, tzinfo=UTC)]),
    list_date=st.none() | st.dates(date(2026, 1, 1), date(2026, 1, 31)),
    version=st.none() | st.integers(1, 4),
    primary_category=maybe_text,
    categories=st.sampled_from([(), ("cs.CL",), ("cs.CL", "cs.AI")]),
    organization=maybe_text,
    github_repo=maybe_text,
    project_page=maybe_text,
    ai_summary=maybe_text,
    ai_keywords=st.sampled_from([(), ("k",), ("k", "l")]),
    comment=maybe_text,
    journal_ref=maybe_text,
    doi=maybe_text,
)
arxiv_sources = st.sampled_from(["arxiv-listing", "arxiv-api", "arxiv-author"])
hf_sources = st.sampled_from(["hf-daily", "hf-week", "hf-trending", "hf-search", "hf-paper"])
any_source = arxiv_sources | hf_sources | st.sampled_from(["semantic-scholar", "manual"])


def missing(value: object) -> bool:
    return value is None or value == () or (isinstance(value, str) and not value.strip())


@given(st.none() | papers, papers, any_source)
def test_merging_is_idempotent(stored: Paper | None, incoming: Paper, source: str) -> None:
    once = merge_papers(stored, incoming, source=source)
    assert merge_papers(once, incoming, source=source) == once


@given(papers, papers, any_source)
def test_a_missing_value_never_erases_a_stored_one(
    stored: Paper, incoming: Paper, source: str
) -> None:
    merged = merge_papers(stored, incoming, source=source)
    for name in OWNERS:
        before, offered, after = (getattr(p, name) for p in (stored, incoming, merged))
        if not missing(before):
            assert not missing(after), name
            if missing(offered):
                assert after == before, name
    if stored.version is not None:
        assert merged.version is not None and merged.version >= stored.version
    if stored.list_date is not None:
        assert merged.list_date is not None and merged.list_date <= stored.list_date


@given(papers, papers, arxiv_sources, hf_sources)
def test_arrival_order_of_hf_and_arxiv_does_not_matter(
    hf: Paper, arxiv: Paper, arxiv_source: str, hf_source: str
) -> None:
    hf_first = merge_papers(merge_papers(None, hf, source=hf_source), arxiv, source=arxiv_source)
    arxiv_first = merge_papers(merge_papers(None, arxiv, source=arxiv_source), hf, source=hf_source)
    assert hf_first == arxiv_first
    for name, owner in OWNERS.items():
        offered = getattr(arxiv if owner == ARXIV else hf, name)
        if name != "authors" and not missing(offered):
            assert getattr(hf_first, name) == offered, name  # the owner's value wins


@given(papers, papers, papers, arxiv_sources, hf_sources)
def test_arrival_order_does_not_matter_on_top_of_a_stored_paper(
    stored: Paper, hf: Paper, arxiv: Paper, arxiv_source: str, hf_source: str
) -> None:
    hf_first = merge_papers(merge_papers(stored, hf, source=hf_source), arxiv, source=arxiv_source)
    arxiv_first = merge_papers(
        merge_papers(stored, arxiv, source=arxiv_source), hf, source=hf_source
    )
    # Author lists are matched by name, which is not transitive ("Jane Doe" ~ "Jane Q. Doe"
    # ~ "Jane Doe" but a third list may pair differently); every other field is exact.
    for name in [*OWNERS, *COMBINED]:
        if name != "authors":
            assert getattr(hf_first, name) == getattr(arxiv_first, name), name
