"""Benchmark 1, parse: our parsers against a straightforward BeautifulSoup extraction.

    python -m bench.parse [--rounds N] [--quick] [--json PATH] [--data DIR]

Inputs are real captures in ../shared/data: the HF Daily Papers page of 2024-08-01, the arXiv
cs.CL /recent page and the HF API response of 2024-08-01. Before timing, every competitor's
output is checked against ours (ids, titles, upvotes or authors), so the race is over the same
values. Goal (issue): ours >= 10x BeautifulSoup with html.parser on the HTML pages.
"""

from __future__ import annotations

import importlib.util
import statistics
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.harness import (
    BenchmarkError,
    Case,
    Competitor,
    Result,
    arguments,
    format_bytes,
    machine,
    main_guard,
    measure,
    report,
    shared_data,
)
from paperpulse.core.models import Listing
from paperpulse.scrapers import arxiv_listing, hf_daily

HF_PAGE = Path("pages/hf_papers_html/papers_2024-08-01_slbqc.html")
ARXIV_PAGE = Path("pages/arxiv_listing/list_cs.CL_recent_2026-07-28_shelf.html")
API_DAY = Path("hf_api_daily/2024-08-01.json")
HF_DAY = date(2024, 8, 1)
ARXIV_URL = "https://arxiv.org/list/cs.CL/recent"
FETCHED_AT = datetime(2026, 7, 28, 6, 0, tzinfo=UTC)
OURS = "ours (selectolax/lexbor)"
OURS_JSON = "ours (parse_api)"
BS4 = "bs4 html.parser"
BS4_LXML = "bs4 lxml"
PLAIN_JSON = "json.loads + dict walk"
FLOOR = "bare selectolax (floor)"
GOAL = "ours ≥ 10× bs4 html.parser on the HTML pages (HF Daily, arXiv listing)"
FLOOR_GOAL = "ours ≤ 1.3× the time of bare selectolax on the HF page (×floor ≤ 1.3)"
LIBRARIES = ("selectolax", "beautifulsoup4", "lxml")
BATCHES = {"hf": 20, "arxiv": 10, "api": 50}  # calls per round: rounds of ~0.1-0.5 s


def hf_key(listing: Listing) -> list[tuple[str, str, int | None]]:
    return [(i.paper.arxiv_id, i.paper.title, i.upvotes) for i in listing.items]


def hf_record_key(records: list[dict[str, Any]]) -> list[tuple[str, str, int | None]]:
    return [(r["id"], r["title"], r["upvotes"]) for r in records]


def arxiv_key(listing: Listing) -> list[tuple[str, str, tuple[str, ...], str | None]]:
    return [
        (
            i.paper.arxiv_id,
            i.paper.title,
            tuple(a.name for a in i.paper.authors),
            i.paper.primary_category,
        )
        for i in listing.items
    ]


def arxiv_record_key(
    records: list[dict[str, Any]],
) -> list[tuple[str, str, tuple[str, ...], str | None]]:
    return [(r["id"], r["title"], tuple(r["authors"]), r["primary"]) for r in records]


def backends() -> list[str]:
    """html.parser always (the peers' usual choice); lxml as a second baseline when installed."""
    return ["html.parser"] + (["lxml"] if importlib.util.find_spec("lxml") else [])


def require_same(case: str, competitor: str, ours: object, theirs: object) -> None:
    """A race is only fair over the same values: refuse to time a baseline that disagrees."""
    if ours != theirs:
        raise BenchmarkError(
            f"{case}: {competitor} extracts other values than ours; fix the baseline in "
            f"bench/soup_parsers.py before timing it"
        )


def build_cases(data: Path, *, quick: bool) -> list[Case]:
    from bench import soup_parsers  # bs4 is the [bench] extra: imported once we know we need it

    # Ours gets bytes, as fetching hands them over; bs4 gets text decoded outside the timing
    # (as `response.text` would be), which spares it the charset sniffing bytes would cost.
    hf_bytes, arxiv_bytes = read_bytes(data / HF_PAGE), read_bytes(data / ARXIV_PAGE)
    hf_html, arxiv_html = decode(hf_bytes, data / HF_PAGE), decode(arxiv_bytes, data / ARXIV_PAGE)
    api_bytes = read_bytes(data / API_DAY)

    def ours_hf() -> Listing:
        return hf_daily.parse_page(hf_bytes, url="hf", requested_date=HF_DAY, fetched_at=FETCHED_AT)

    def ours_arxiv() -> Listing:
        return arxiv_listing.parse_listing(arxiv_bytes, ARXIV_URL, fetched_at=FETCHED_AT)

    def ours_api() -> Listing:
        return hf_daily.parse_api(
            api_bytes, url="api", requested_date=HF_DAY, fetched_at=FETCHED_AT
        )

    def soup(
        parse: Callable[[str, str], list[dict[str, Any]]], html: str, backend: str
    ) -> Callable[[], object]:
        return lambda: parse(html, backend)

    hf_name = f"HF Daily page ({format_bytes(len(hf_bytes))})"
    arxiv_name = f"arXiv /recent page ({format_bytes(len(arxiv_bytes))})"
    api_name = f"HF API day ({format_bytes(len(api_bytes))})"
    hf_ours, arxiv_ours = hf_key(ours_hf()), arxiv_key(ours_arxiv())
    hf_competitors = [Competitor(name=OURS, run=ours_hf)]
    arxiv_competitors = [Competitor(name=OURS, run=ours_arxiv)]
    # The floor is given bytes, as ours is: the same lexbor parse of the same input.
    require_same(hf_name, FLOOR, hf_ours, hf_record_key(soup_parsers.floor_hf_page(hf_bytes)))
    require_same(
        arxiv_name,
        FLOOR,
        arxiv_ours,
        arxiv_record_key(soup_parsers.floor_arxiv_listing(arxiv_bytes)),
    )
    hf_competitors.append(Competitor(name=FLOOR, run=lambda: soup_parsers.floor_hf_page(hf_bytes)))
    arxiv_competitors.append(
        Competitor(name=FLOOR, run=lambda: soup_parsers.floor_arxiv_listing(arxiv_bytes))
    )
    for backend in backends():
        name = f"bs4 {backend}"
        require_same(hf_name, name, hf_ours, hf_record_key(soup_parsers.hf_page(hf_html, backend)))
        require_same(
            arxiv_name,
            name,
            arxiv_ours,
            arxiv_record_key(soup_parsers.arxiv_listing(arxiv_html, backend)),
        )
        hf_competitors.append(
            Competitor(name=name, run=soup(soup_parsers.hf_page, hf_html, backend))
        )
        arxiv_competitors.append(
            Competitor(name=name, run=soup(soup_parsers.arxiv_listing, arxiv_html, backend))
        )
    require_same(
        api_name, PLAIN_JSON, hf_key(ours_api()), hf_record_key(soup_parsers.hf_api(api_bytes))
    )

    def batch(kind: str) -> int:
        return 1 if quick else BATCHES[kind]

    return [
        Case(
            name=hf_name,
            unit="page",
            batch=batch("hf"),
            baseline=BS4,
            competitors=tuple(hf_competitors),
        ),
        Case(
            name=arxiv_name,
            unit="page",
            batch=batch("arxiv"),
            baseline=BS4,
            competitors=tuple(arxiv_competitors),
        ),
        Case(
            name=api_name,
            unit="page",
            batch=batch("api"),
            baseline=PLAIN_JSON,
            competitors=(
                Competitor(name=OURS_JSON, run=ours_api),
                Competitor(name=PLAIN_JSON, run=lambda: soup_parsers.hf_api(api_bytes)),
            ),
        ),
    ]


def with_floor_ratios(results: Sequence[Result]) -> list[Result]:
    """Add a "× floor" column to the cases that race the bare selectolax floor: this time over
    the floor's, taken per round like the baseline ratio (the harness knows one baseline)."""
    floors = {r.case: r.per_call_s for r in results if r.competitor == FLOOR}
    out = []
    for result in results:
        floor = floors.get(result.case)
        if floor is not None and result.competitor != FLOOR:
            ratios = [t / f for t, f in zip(result.per_call_s, floor, strict=True) if f > 0]
            cell = f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})"
            result = replace(result, extra=(*result.extra, ("× floor (min–max)", cell)))
        elif floor is not None:
            result = replace(result, extra=(*result.extra, ("× floor (min–max)", "floor")))
        out.append(result)
    return out


def decode(content: bytes, path: Path) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BenchmarkError(f"{path} is not UTF-8 ({exc}); is it the right capture?") from None


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BenchmarkError(f"cannot read the capture {path}: {exc.strerror}") from None


def run(argv: Sequence[str] | None = None) -> str:
    options = arguments(__doc__.splitlines()[0] if __doc__ else "parse benchmark", argv)
    if importlib.util.find_spec("bs4") is None:
        raise BenchmarkError(
            "BeautifulSoup is not installed: pip install -e '.[bench]' (beautifulsoup4)"
        )
    cases = build_cases(shared_data(options.data), quick=options.quick)
    host = machine(LIBRARIES)
    results = with_floor_ratios(measure(cases, rounds=options.rounds))
    return report(
        "parse",
        results,
        options,
        host=host,
        goals=[GOAL, FLOOR_GOAL],
        notes=[
            "Each call parses one page into the same values (checked before timing). Ours is "
            "given bytes as fetched; bs4 is given text decoded outside the timing. "
            "× baseline = baseline time / this time, per round (> 1: faster). "
            "× floor = this time / bare selectolax's time, per round (> 1: slower).",
        ],
    )


def main(argv: Sequence[str] | None = None) -> int:
    return main_guard(run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
