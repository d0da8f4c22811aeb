"""The ``paperpulse`` command.

Prefect is imported only by the commands that run flows, so ``--help`` and offline commands
stay fast. Every ``PaperpulseError`` becomes one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType

from scrapers.errors import PaperpulseError

EXIT_ERROR = 1
EXIT_USAGE = 2


class UsageError(PaperpulseError):
    """The command line asked for something impossible (exit code 2)."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paperpulse",
        description=(
            "Follow research papers: fetch Hugging Face Daily Papers (and more), keep every "
            "observation in a database, and write a digest of what is new and rising."
        ),
        epilog="Configuration comes from environment variables; see README.md.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show Prefect's run logs")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run the daily job for one list date",
        description=(
            "Run the daily flow for one list date: fetch the listing, store papers and "
            "sightings, and write archive/YYYY/MM/YYYY-MM-DD.md. Runs Prefect in ephemeral "
            "mode: no Prefect server needed."
        ),
    )
    run.add_argument(
        "--date",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the list date to fetch (default: today, UTC)",
    )
    run.set_defaults(handler=_cmd_run)

    parse = commands.add_parser(
        "parse",
        help="parse a saved page or API response offline and print its listing",
        description=(
            "Parse a saved page or response with the same parser the live fetch uses, and "
            "print the listing: the loop for fixing a parser after a site changes. "
            "hf-daily accepts both the HTML page and the API JSON."
        ),
    )
    parse.add_argument("source", metavar="SOURCE", help="hf-daily, hf-search, arxiv-listing, ...")
    parse.add_argument("file", metavar="FILE", type=Path, help="the saved page or response")
    parse.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parse.set_defaults(handler=_cmd_parse)
    return parser


def _quiet_prefect(verbose: bool) -> None:
    # Must happen before Prefect is imported: its settings are read once.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit so Prefect stops its ephemeral server with us."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def _cmd_run(args: argparse.Namespace) -> int:
    _quiet_prefect(args.verbose)
    from flows.daily import SourcesFailed, daily

    list_date = args.date or datetime.now(UTC).date()
    try:
        summary = daily(list_date=list_date)
    except SourcesFailed as exc:
        print(exc.summary.line())
        raise
    print(summary.line())
    return 0


def _cmd_parse(args: argparse.Namespace) -> int:
    from scrapers.registry import PARSERS, listing_as_json, parse_file

    if args.source not in PARSERS:
        raise UsageError(f"unknown source {args.source!r}; choose one of: {', '.join(PARSERS)}")
    try:
        content = args.file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    listing = parse_file(args.source, content, str(args.file))
    if args.json:
        print(json.dumps(listing_as_json(listing), indent=2, ensure_ascii=False))
        return 0
    declared = (
        "" if listing.declared_count is None else f" (page declares {listing.declared_count})"
    )
    print(f"{listing.source} {listing.period}: {len(listing.items)} papers{declared}")
    for note in listing.notes:
        print(f"  note: {note}")
    for item in listing.items:
        votes = "" if item.upvotes is None else f" ▲{item.upvotes}"
        section = f" [{item.section}]" if item.section else ""
        first = (
            item.paper.authors[0].name + (" et al." if len(item.paper.authors) > 1 else "")
            if item.paper.authors
            else "no authors"
        )
        print(
            f"{item.rank:4d}. {item.paper.arxiv_id}{votes}{section}  {item.paper.title} — {first}"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _exit_on_sigterm()
    try:
        result: int = args.handler(args)
        return result
    except UsageError as exc:
        print(f"paperpulse: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PaperpulseError as exc:
        print(f"paperpulse: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("paperpulse: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error; silence the flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
