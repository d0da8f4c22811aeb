"""Fuzzing every parser with mutated real pages and responses: only our errors may escape.

Each parser of ``scrapers.registry.PARSERS`` and each Semantic Scholar parse function gets
payloads made from real ones (``tests/reliability/mutations.py``: byte damage, and structural
changes that stay well-formed). Whatever it is given, it returns a sane value or raises
``ParseError``/``LayoutChanged`` naming the URL (``FetchError`` too where the format has an error
document: arXiv's error feed, Semantic Scholar's ``{"error": ...}``). A ``KeyError``,
``TypeError``, ``IndexError``... escaping is a bug, and hypothesis shrinks it to a small example.

Profiles (tests/reliability/conftest.py): ``ci`` by default (and in CI);
``PAPERPULSE_FUZZ_PROFILE=deep`` runs 10,000 examples per test, when asked for by name.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperpulse.core.errors import FetchError, ParseError
from paperpulse.core.models import Listing, normalize_arxiv_id
from paperpulse.scrapers import semantic_scholar as s2
from paperpulse.scrapers.registry import PARSERS
from tests.conftest import FIXTURES
from tests.reliability.conftest import fuzz_profile
from tests.reliability.mutations import mutated
from tests.reliability.record import record

PROFILE = fuzz_profile()
FUZZ = settings(settings.get_profile(PROFILE))
NOW = datetime(2026, 1, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Target:
    name: str
    parse: Callable[[bytes, str], object]
    url: str
    kind: str  # "json", "html" or "xml"
    fixtures: tuple[str, ...]  # under tests/fixtures
    captures: tuple[str, ...] = ()  # under ../shared/data (globs)
    allowed: tuple[type[Exception], ...] = (ParseError,)


def registry(name: str) -> Callable[[bytes, str], object]:
    return PARSERS[name]


def first_item(payload: bytes) -> bytes:
    """One item of a daily list, as ``/api/papers/{id}`` would answer."""
    data = json.loads(payload)
    items = data.get("data", data) if isinstance(data, dict) else data
    return json.dumps(items[0]).encode()


HF_JSON = ("hf/daily_2024.json", "hf/daily_2026.json")
# Both record schemas: the lean 2024 one, and 2025's with organisations and AI summaries.
HF_CAPTURES = (
    *(
        f"hf_api_daily/{day}.json"
        for day in ("2024-05-27", "2024-08-01", "2024-10-10", "2025-03-03", "2025-09-30")
    ),
    "pages/hf_api/*.json",
)
HF_PAGE = "https://huggingface.co/papers/date/2024-08-01"
HF_API = "https://huggingface.co/api/daily_papers?date=2024-08-01"
TARGETS = [
    *(
        Target(
            name=f"{name} (API JSON)",
            parse=registry(name),
            url=HF_API,
            kind="json",
            fixtures=HF_JSON,
            captures=HF_CAPTURES,
        )
        for name in ("hf-daily", "hf-week", "hf-month", "hf-trending")
    ),
    *(
        Target(
            name=f"{name} (HTML page)",
            parse=registry(name),
            url=HF_PAGE,
            kind="html",
            fixtures=("hf/daily_2026-11-20.html",),
            captures=("pages/hf_papers_html/*.html",),
        )
        for name in ("hf-daily", "hf-week", "hf-month", "hf-trending")
    ),
    Target(
        name="hf-search",
        parse=registry("hf-search"),
        url="https://huggingface.co/api/papers/search?q=llm",
        kind="json",
        fixtures=HF_JSON,
        captures=HF_CAPTURES,
    ),
    Target(
        name="hf-paper",
        parse=registry("hf-paper"),
        url="https://huggingface.co/api/papers/2407.21783",
        kind="json",
        fixtures=HF_JSON,
        captures=HF_CAPTURES,
    ),
    Target(
        name="arxiv-listing",
        parse=registry("arxiv-listing"),
        url="https://arxiv.org/list/cs.CL/new",
        kind="html",
        fixtures=(
            "arxiv/list_new_small.html",
            "arxiv/list_new_legacy_small.html",
            "arxiv/list_new_empty.html",
            "arxiv/list_recent_small.html",
            "arxiv/list_recent_small_page2.html",
        ),
        captures=("pages/arxiv_listing/*.html",),
    ),
    Target(
        name="arxiv-api",
        parse=registry("arxiv-api"),
        url="https://export.arxiv.org/api/query?search_query=cat:cs.CL",
        kind="xml",
        fixtures=("arxiv/api_query_small.xml", "arxiv/api_empty.xml", "arxiv/api_error.xml"),
        captures=("pages/arxiv_api/*.xml",),
        allowed=(ParseError, FetchError),
    ),
    Target(
        name="semantic-scholar author search",
        parse=s2.parse_author_search,
        url="https://api.semanticscholar.org/graph/v1/author/search?query=x",
        kind="json",
        fixtures=("s2/author_search.json", "s2/error.json"),
        allowed=(ParseError, FetchError),
    ),
    Target(
        name="semantic-scholar author",
        parse=s2.parse_author,
        url="https://api.semanticscholar.org/graph/v1/author/1",
        kind="json",
        fixtures=("s2/author.json", "s2/error.json"),
        allowed=(ParseError, FetchError),
    ),
    Target(
        name="semantic-scholar author papers",
        parse=s2.parse_author_papers,
        url="https://api.semanticscholar.org/graph/v1/author/1/papers",
        kind="json",
        fixtures=("s2/author_papers.json", "s2/error.json"),
        allowed=(ParseError, FetchError),
    ),
]


def seeds(target: Target, folder: Path, patterns: tuple[str, ...]) -> list[bytes]:
    payloads = [path.read_bytes() for p in patterns for path in sorted(folder.glob(p))]
    if target.name == "hf-paper":
        payloads = [first_item(payload) for payload in payloads]
    assert payloads, f"no seed payloads for {target.name} in {folder}"
    return payloads


def check_value(value: object, url: str) -> str:
    """What a successful parse returned, checked for sanity; its outcome label."""
    listing = value.listing if hasattr(value, "listing") else value
    if isinstance(listing, Listing):
        ids = [item.paper.arxiv_id for item in listing.items]
        assert len(ids) == len(set(ids)), "a paper listed twice"
        assert all(normalize_arxiv_id(i) == i for i in ids)
        assert all(item.paper.title.strip() for item in listing.items)
        for item in listing.items:
            item.paper.title.encode("utf-8")  # no lone surrogate
        assert listing.url == url
    return "parsed"


def fuzz(target: Target, payloads: list[bytes]) -> Counter[str]:
    outcomes: Counter[str] = Counter()

    @FUZZ
    @given(st.sampled_from(payloads).flatmap(lambda seed: mutated(seed, target.kind)))
    def parse_mutated(payload: bytes) -> None:
        try:
            value = target.parse(payload, target.url)
        except target.allowed as error:
            assert getattr(error, "url", None) == target.url, f"{error!r} does not name the URL"
            outcomes[type(error).__name__] += 1
        else:
            outcomes[check_value(value, target.url)] += 1

    parse_mutated()
    return outcomes


def describe(outcomes: Counter[str]) -> str:
    counts = ", ".join(f"{kind} {n}" for kind, n in sorted(outcomes.items()))
    return f"only ParseError/LayoutChanged/FetchError escaped ({counts})"


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def allowed_names(target: Target) -> str:
    return "/".join(sorted({e.__name__ for e in target.allowed} | {"LayoutChanged"}))


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_mutated_fixtures_raise_only_our_errors(target: Target) -> None:
    outcomes = fuzz(target, seeds(target, FIXTURES, target.fixtures))
    assert sum(outcomes.values()) >= settings.get_profile(PROFILE).max_examples // 2
    record(
        category="Parser fuzzing",
        case=target.name,
        where=f"mutated fixtures ({plural(len(target.fixtures), 'seed')}), profile {PROFILE}",
        outcome=describe(outcomes).replace(
            "ParseError/LayoutChanged/FetchError", allowed_names(target)
        ),
        trials=sum(outcomes.values()),
    )


CAPTURED = [t for t in TARGETS if t.captures]


@pytest.mark.parametrize("target", CAPTURED, ids=lambda t: t.name)
def test_mutated_real_captures_raise_only_our_errors(target: Target, shared_data: Path) -> None:
    payloads = seeds(target, shared_data, target.captures)
    outcomes = fuzz(target, payloads)
    assert sum(outcomes.values()) >= settings.get_profile(PROFILE).max_examples // 2
    record(
        category="Parser fuzzing",
        case=target.name,
        where=f"mutated real captures ({plural(len(payloads), 'seed')}), profile {PROFILE}",
        outcome=describe(outcomes).replace(
            "ParseError/LayoutChanged/FetchError", allowed_names(target)
        ),
        trials=sum(outcomes.values()),
    )
