"""Zero items where the previous run had some is a layout change, unless the page says so."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from paperpulse.core.errors import LayoutChanged
from paperpulse.core.models import Listing
from paperpulse.scrapers import hf_daily
from paperpulse.scrapers.arxiv_listing import parse_listing
from paperpulse.scrapers.completeness import check_against_previous, declares_empty
from tests.scrapers.fake_http import NOW

HF_URL = "https://huggingface.co/api/daily_papers?date=2026-07-27"


def hf_listing(content: bytes) -> Listing:
    return hf_daily.parse_api(content, url=HF_URL, requested_date=date(2026, 7, 27), fetched_at=NOW)


def test_an_empty_hf_day_after_a_full_run_of_the_same_day_is_a_layout_change() -> None:
    empty = hf_listing(b"[]")
    assert empty.notes == (hf_daily.NO_PAPERS,)  # our inference, not HF's declaration
    with pytest.raises(LayoutChanged, match="previous run of this listing had 23") as info:
        check_against_previous(empty, 23)
    assert (info.value.source, info.value.url) == ("hf-daily", HF_URL)
    assert "paperpulse parse hf-daily FILE" in str(info.value)


@pytest.mark.parametrize("previous", [None, 0])
def test_an_empty_listing_is_fine_without_a_previous_run_with_items(
    previous: int | None,
) -> None:
    check_against_previous(hf_listing(b"[]"), previous)


def test_arxivs_own_no_updates_notice_explains_an_empty_listing(fixtures_dir: Path) -> None:
    html = (fixtures_dir / "arxiv" / "list_new_empty.html").read_bytes()
    listing = parse_listing(html, "https://arxiv.org/list/cs.CL/new", fetched_at=NOW)
    assert declares_empty(listing)
    check_against_previous(listing, 310)


def test_a_declared_count_of_zero_explains_an_empty_listing() -> None:
    listing = hf_listing(b'{"status": "ok", "count": 0, "data": []}')
    assert listing.declared_count == 0 and declares_empty(listing)
    check_against_previous(listing, 12)


def test_a_listing_with_items_passes_whatever_came_before(fixtures_dir: Path) -> None:
    listing = hf_listing((fixtures_dir / "hf" / "daily_2026.json").read_bytes())
    assert listing.items and not declares_empty(listing)
    check_against_previous(listing, 500)
