"""HF search (wrapped or flat items), one-paper details, week/month keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paperpulse.core.errors import ParseError
from paperpulse.scrapers import hf_papers

NOW = datetime(2026, 11, 20, 6, tzinfo=UTC)


def items(fixtures_dir: Path) -> list[dict[str, object]]:
    data = json.loads((fixtures_dir / "hf" / "daily_2026.json").read_bytes())
    assert isinstance(data, list)
    return data


def test_search_accepts_wrapped_and_flat_items_alike(fixtures_dir: Path) -> None:
    wrapped = json.dumps(items(fixtures_dir))
    flat = json.dumps([item["paper"] for item in items(fixtures_dir)])
    a = hf_papers.parse_search(wrapped, url="u", query="q", fetched_at=NOW)
    b = hf_papers.parse_search(flat, url="u", query="q", fetched_at=NOW)
    assert (
        [p.arxiv_id for p in a.papers]
        == [p.arxiv_id for p in b.papers]
        == ["2611.01234", "2611.00077"]
    )
    assert a.period == "q" and a.source == "hf-search"
    assert [i.upvotes for i in b.items] == [42, 7]


def test_search_url_caps_query_and_limit() -> None:
    url = hf_papers.search_url("https://hf.test/", "x" * 400, limit=500)
    assert url.startswith("https://hf.test/api/papers/search?q=")
    assert "x" * 250 + "&" in url and "x" * 251 not in url
    assert url.endswith("limit=120")


def test_one_paper_with_linked_repositories(fixtures_dir: Path) -> None:
    paper = items(fixtures_dir)[0]["paper"]
    body = json.dumps({**paper, "models": [{"id": "a"}, {"id": "b"}], "numSpaces": 3})  # type: ignore[dict-item]
    details = hf_papers.parse_paper(body, url="u")
    assert details.item.paper.github_repo == "https://github.com/example/specdec"
    assert details.item.stars == 120 and details.item.upvotes == 42
    assert (details.models, details.datasets, details.spaces) == (2, None, 3)


@pytest.mark.parametrize("body", [b"[]", b"not json", b'{"id": "x"}'])
def test_one_paper_errors_are_parse_errors(body: bytes) -> None:
    with pytest.raises(ParseError):
        hf_papers.parse_paper(body, url="https://hf.test/api/papers/x")


@pytest.mark.parametrize(
    ("kind", "key", "ok"),
    [
        ("week", "2024-W31", True),
        ("week", "2024-W54", False),
        ("week", "2024-31", False),
        ("month", "2024-08", True),
        ("month", "2024-13", False),
        ("month", "2024-8", False),
    ],
)
def test_period_keys_are_checked(kind: str, key: str, ok: bool) -> None:
    if ok:
        assert hf_papers.check_period(kind, key) == key
    else:
        with pytest.raises(ValueError, match=f"not a {kind} key"):
            hf_papers.check_period(kind, key)
