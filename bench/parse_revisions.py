"""Before/after for the parse benchmark: our parsers at a git revision against the working tree.

    python -m bench.parse_revisions --rev 3b3e91f [--rounds N] [--quick] [--json PATH]

``git archive`` exports ``scrapers/`` at ``--rev`` into a temporary folder as the package
``scrapers_at_rev``, so both versions load in one process and are timed interleaved on the same
real pages, with BeautifulSoup (html.parser) as the common baseline. Both versions must extract
the same values, or the comparison is refused.
"""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from types import ModuleType

from bench import parse as parse_bench
from bench.harness import (
    DEFAULT_ROUNDS,
    REPO_ROOT,
    BenchmarkError,
    Case,
    Competitor,
    Options,
    machine,
    main_guard,
    measure,
    report,
    shared_data,
)
from paperpulse.scrapers import arxiv_listing, hf_daily

PACKAGE = "scrapers_at_rev"


def export_scrapers(rev: str, into: Path) -> tuple[ModuleType, ModuleType]:
    """The scrapers at ``rev`` as the package ``scrapers_at_rev``: (hf_daily, arxiv_listing).

    They live in ``paperpulse/scrapers/`` since the package move, in ``scrapers/`` before it.
    """
    folder = next((f for f in ("paperpulse/scrapers", "scrapers") if _exists(rev, f)), None)
    if folder is None:
        raise BenchmarkError(f"no scrapers at {rev!r} (neither paperpulse/scrapers/ nor scrapers/)")
    try:
        archive = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", rev, folder],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        raise BenchmarkError(
            f"cannot export {folder}/ at {rev!r}: {detail.decode(errors='replace').strip() or exc}"
        ) from None
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (into / folder).rename(into / PACKAGE)
    if folder != "scrapers":
        (into / "paperpulse").rmdir()  # emptied: it must not stand beside the real package
    for path in (into / PACKAGE).rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        path.write_text(
            re.sub(r"\b(?:paperpulse\.)?scrapers\.", f"{PACKAGE}.", source), encoding="utf-8"
        )
    # A previous export in this process (another --rev) must not answer the imports.
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]
    sys.path.insert(0, str(into))
    return (
        importlib.import_module(f"{PACKAGE}.hf_daily"),
        importlib.import_module(f"{PACKAGE}.arxiv_listing"),
    )


def _exists(rev: str, path: str) -> bool:
    probe = ["git", "-C", str(REPO_ROOT), "cat-file", "-e", f"{rev}:{path}"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def build_cases(
    rev: str, old_hf: ModuleType, old_arxiv: ModuleType, data: Path, *, quick: bool
) -> list[Case]:
    from bench import soup_parsers

    hf_bytes = parse_bench.read_bytes(data / parse_bench.HF_PAGE)
    arxiv_bytes = parse_bench.read_bytes(data / parse_bench.ARXIV_PAGE)
    api_bytes = parse_bench.read_bytes(data / parse_bench.API_DAY)
    hf_html = parse_bench.decode(hf_bytes, data / parse_bench.HF_PAGE)
    arxiv_html = parse_bench.decode(arxiv_bytes, data / parse_bench.ARXIV_PAGE)
    day, at, arxiv_url = parse_bench.HF_DAY, parse_bench.FETCHED_AT, parse_bench.ARXIV_URL

    def hf(module: ModuleType) -> Competitor:
        name = f"ours at {rev}" if module is old_hf else "ours now"
        return Competitor(
            name=name,
            run=lambda: module.parse_page(hf_bytes, url="hf", requested_date=day, fetched_at=at),
        )

    def arxiv(module: ModuleType) -> Competitor:
        name = f"ours at {rev}" if module is old_arxiv else "ours now"
        return Competitor(
            name=name, run=lambda: module.parse_listing(arxiv_bytes, arxiv_url, fetched_at=at)
        )

    def api(module: ModuleType) -> Competitor:
        name = f"ours at {rev}" if module is old_hf else "ours now"
        return Competitor(
            name=name,
            run=lambda: module.parse_api(api_bytes, url="api", requested_date=day, fetched_at=at),
        )

    cases = [
        Case(
            name="HF Daily page",
            unit="page",
            batch=1 if quick else parse_bench.BATCHES["hf"],
            baseline=parse_bench.BS4,
            competitors=(
                hf(old_hf),
                hf(hf_daily),
                Competitor(
                    name=parse_bench.FLOOR, run=lambda: soup_parsers.floor_hf_page(hf_bytes)
                ),
                Competitor(
                    name=parse_bench.BS4, run=lambda: soup_parsers.hf_page(hf_html, "html.parser")
                ),
            ),
        ),
        Case(
            name="arXiv /recent page",
            unit="page",
            batch=1 if quick else parse_bench.BATCHES["arxiv"],
            baseline=parse_bench.BS4,
            competitors=(
                arxiv(old_arxiv),
                arxiv(arxiv_listing),
                Competitor(
                    name=parse_bench.FLOOR,
                    run=lambda: soup_parsers.floor_arxiv_listing(arxiv_bytes),
                ),
                Competitor(
                    name=parse_bench.BS4,
                    run=lambda: soup_parsers.arxiv_listing(arxiv_html, "html.parser"),
                ),
            ),
        ),
        Case(
            name="HF API day",
            unit="page",
            batch=1 if quick else parse_bench.BATCHES["api"],
            baseline=parse_bench.PLAIN_JSON,
            competitors=(
                api(old_hf),
                api(hf_daily),
                Competitor(name=parse_bench.PLAIN_JSON, run=lambda: soup_parsers.hf_api(api_bytes)),
            ),
        ),
    ]
    for case in cases:
        before, after = (repr(c.run()) for c in case.competitors[:2])
        if before.replace(PACKAGE, "scrapers") != after:
            raise BenchmarkError(f"{case.name}: the parser at {rev} extracts other values than now")
    return cases


def run(argv: Sequence[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rev", required=True, help="git revision to compare against")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path, metavar="PATH")
    parser.add_argument("--data", type=Path, metavar="DIR")
    args = parser.parse_args(argv)
    options = Options(rounds=args.rounds, quick=args.quick, json_path=args.json, data=args.data)
    with tempfile.TemporaryDirectory(prefix="paperpulse-rev-") as folder:
        try:
            old_hf, old_arxiv = export_scrapers(args.rev, Path(folder))
            data = shared_data(args.data)
            cases = build_cases(args.rev, old_hf, old_arxiv, data, quick=args.quick)
            host = machine(parse_bench.LIBRARIES)
            results = parse_bench.with_floor_ratios(measure(cases, rounds=options.rounds))
        finally:
            if folder in sys.path:
                sys.path.remove(folder)
    return report(
        f"parse: {args.rev} vs working tree",
        results,
        options,
        host=host,
        goals=[parse_bench.GOAL, parse_bench.FLOOR_GOAL],
    )


def main(argv: Sequence[str] | None = None) -> int:
    return main_guard(run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
