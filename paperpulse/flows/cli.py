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

from paperpulse.core.errors import PaperpulseError

EXIT_ERROR = 1
EXIT_USAGE = 2
SOURCES = ("hf-daily", "hf-week")  # what a backfill can fetch by list date


class UsageError(PaperpulseError):
    """The command line asked for something impossible (exit code 2)."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
) -> argparse.ArgumentParser:
    return commands.add_parser(name, help=summary, description=description)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paperpulse",
        description=(
            "Follow research papers: fetch Hugging Face Daily Papers, arXiv and followed "
            "authors, keep every observation in a database, and deliver a digest of what is "
            "new and rising per topic."
        ),
        epilog="Configuration: paperpulse.toml and environment variables; see README.md.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show Prefect's run logs")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = _command(
        commands,
        "run",
        "run the daily job for one list date",
        (
            "Run the daily flow for one list date: fetch every enabled source (healing missed "
            "dates and refreshing recent ones), store papers and sightings, write "
            "archive/YYYY/MM/YYYY-MM-DD.md and deliver the digest. Runs Prefect in ephemeral "
            "mode: no Prefect server needed."
        ),
    )
    run.add_argument(
        "--date", type=_date, metavar="YYYY-MM-DD", help="the list date (default: today, UTC)"
    )
    run.add_argument("--no-email", action="store_true", help="archive only; send no email")
    run.set_defaults(handler=_cmd_run)

    backfill = _command(
        commands,
        "backfill",
        "fetch a range of list dates",
        (
            "Fetch every list date in a range at each host's pace, with a progress bar. "
            "Resumable: dates already complete are skipped unless --force."
        ),
    )
    backfill.add_argument("--start", type=_date, required=True, metavar="YYYY-MM-DD")
    backfill.add_argument("--end", type=_date, required=True, metavar="YYYY-MM-DD")
    backfill.add_argument(
        "--source",
        action="append",
        choices=SOURCES,
        dest="sources",
        help="a source to fetch (repeatable; default: hf-daily)",
    )
    backfill.add_argument("--force", action="store_true", help="refetch complete dates too")
    backfill.add_argument(
        "--deliver", action="store_true", help="also deliver each day's digest (archive, email)"
    )
    backfill.set_defaults(handler=_cmd_backfill)

    digest = _command(
        commands,
        "digest",
        "render a digest from the database",
        (
            "Render the daily or weekly digest of a date from what the database holds, without "
            "fetching anything."
        ),
    )
    digest.add_argument(
        "--date",
        type=_date,
        metavar="YYYY-MM-DD",
        help="a day of the edition (default: today, UTC)",
    )
    digest.add_argument("--edition", choices=("daily", "weekly"), default="daily")
    digest.add_argument("--format", choices=("md", "html", "txt"), default="md", dest="fmt")
    digest.add_argument("--out", type=Path, metavar="PATH", help="write here (default: stdout)")
    digest.set_defaults(handler=_cmd_digest)

    deliver = _command(
        commands,
        "deliver",
        "deliver what is missing",
        (
            "Deliver a stored digest on every configured channel (archive commit, feeds, email) "
            "where it has not been delivered yet; a channel already done is skipped."
        ),
    )
    deliver.add_argument(
        "--date",
        type=_date,
        metavar="YYYY-MM-DD",
        help="a day of the edition (default: today, UTC)",
    )
    deliver.add_argument("--edition", choices=("daily", "weekly"), default="daily")
    deliver.add_argument(
        "--resend-unconfirmed",
        action="store_true",
        help="send again, with the same Message-ID, emails the server took without answering",
    )
    deliver.set_defaults(handler=_cmd_deliver)

    parse = _command(
        commands,
        "parse",
        "parse a saved page offline",
        (
            "Parse a saved page or response with the same parser the live fetch uses, and "
            "print the listing: the loop for fixing a parser after a site changes. hf-daily "
            "accepts both the HTML page and the API JSON."
        ),
    )
    parse.add_argument("source", metavar="SOURCE", help="hf-daily, hf-search, arxiv-listing, ...")
    parse.add_argument("file", metavar="FILE", type=Path, help="the saved page or response")
    parse.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parse.set_defaults(handler=_cmd_parse)

    serve = _command(
        commands,
        "serve",
        "run the schedule on this machine",
        (
            "Serve the daily and backfill deployments in this process (Prefect's flow.serve) "
            "with the cron and time zone from paperpulse.toml [schedule]. Stop with Ctrl-C."
        ),
    )
    serve.set_defaults(handler=_cmd_serve)

    topics = _command(
        commands,
        "topics",
        "inspect topic rules",
        ("Inspect how the configured topics classify papers."),
    )
    topic_commands = topics.add_subparsers(dest="topics_command", metavar="COMMAND", required=True)
    explain = _command(
        topic_commands,
        "explain",
        "why a paper is in a topic, or not",
        ("Print, for every configured topic, which rule put a stored paper in it or kept it out."),
    )
    explain.add_argument("arxiv_id", metavar="ARXIV_ID")
    explain.set_defaults(handler=_cmd_topics_explain)
    return parser


# --- commands ----------------------------------------------------------------------------


def _quiet_prefect(verbose: bool) -> None:
    # Must happen before Prefect is imported: its settings are read once.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # Quiet by default: a failed run is summed up in one line by main(), not by Prefect's
    # tracebacks; our own one-line warnings (retries) still show. -v shows everything.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "CRITICAL")


def _today() -> date:
    return datetime.now(UTC).date()


def _cmd_run(args: argparse.Namespace) -> int:
    _quiet_prefect(args.verbose)
    from paperpulse.flows.daily import daily
    from paperpulse.flows.tasks import SourcesFailed

    try:
        summary = daily(list_date=args.date or _today(), email=not args.no_email)
    except SourcesFailed as exc:
        print(exc.summary.line())
        raise
    print(summary.line())
    return 0


def _cmd_backfill(args: argparse.Namespace) -> int:
    _quiet_prefect(args.verbose)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from paperpulse.flows.backfill import backfill
    from paperpulse.flows.tasks import SourcesFailed, progress_hook

    if args.end < args.start:
        raise UsageError(f"--end {args.end} is before --start {args.start}")
    failed = 0
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=False,
    ) as bar:
        task = bar.add_task("backfill", total=None)

        def advance(done: int, total: int, outcome: object) -> None:
            nonlocal failed
            failed += getattr(outcome, "status", "") == "failed"
            label = f"{getattr(outcome, 'source', '')} {getattr(outcome, 'period', '')}"
            bar.update(
                task,
                completed=done,
                total=total,
                description=f"backfill {label}" + (f" ({failed} failed)" if failed else ""),
            )

        token = progress_hook.set(advance)
        try:
            summary = backfill(
                start=args.start,
                end=args.end,
                sources=args.sources,
                force=args.force,
                deliver=args.deliver,
            )
        except SourcesFailed as exc:
            print(exc.summary.line())
            raise
        finally:
            progress_hook.reset(token)
    done = len(summary.outcomes)
    print(
        summary.line()
        if done
        else "backfill: every date in range is already complete (use --force to refetch)"
    )
    return 0


def _cmd_digest(args: argparse.Namespace) -> int:
    from paperpulse.digest.render import render
    from paperpulse.flows.compose import build, period_for
    from paperpulse.flows.config import load_config
    from paperpulse.flows.settings import Settings
    from paperpulse.storage.db import require_existing

    period = period_for(args.edition, args.date or _today())
    settings = Settings.from_env()
    require_existing(settings.database_url)  # rendering never creates a database
    edition = build(settings, load_config(), period)
    text = render(edition.digest, args.fmt)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"{edition.digest.key}: {edition.digest.paper_count} papers written to {args.out}")
    return 0


def _cmd_deliver(args: argparse.Namespace) -> int:
    from paperpulse.flows.compose import period_for
    from paperpulse.flows.config import load_config
    from paperpulse.flows.deliver import deliver
    from paperpulse.flows.settings import Settings

    period = period_for(args.edition, args.date or _today())
    outcomes = deliver(
        Settings.from_env(), load_config(), period, resend_unconfirmed=args.resend_unconfirmed
    )
    for outcome in outcomes:
        print(
            f"{period.edition}/{period.key} {outcome.channel} {outcome.recipient}: "
            f"{outcome.status}{' — ' + outcome.detail if outcome.detail else ''}"
        )
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        raise PaperpulseError(
            f"{len(failed)} delivery(ies) failed; they are retried by the "
            "next run or `paperpulse deliver`"
        )
    if unconfirmed := [o for o in outcomes if o.status == "unconfirmed"]:
        raise PaperpulseError(
            f"{len(unconfirmed)} email(s) unconfirmed (the server took them without answering); "
            "not resent automatically: check the inbox, or add --resend-unconfirmed"
        )
    return 0


def _cmd_parse(args: argparse.Namespace) -> int:
    from paperpulse.scrapers.registry import PARSERS, listing_as_json, parse_file

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
        authors = item.paper.authors
        byline = (authors[0].name + (" et al." if len(authors) > 1 else "")) if authors else "–"
        print(
            f"{item.rank:4d}. {item.paper.arxiv_id}{votes}{section}  {item.paper.title} — {byline}"
        )
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    _quiet_prefect(args.verbose)
    from paperpulse.flows.config import load_config
    from paperpulse.flows.serve import serve

    schedule = load_config().schedule
    print(
        f"serving daily at '{schedule.cron}' ({schedule.timezone}) and backfill on demand; "
        "Ctrl-C to stop"
    )
    serve(schedule.cron, schedule.timezone)
    return 0


def _cmd_topics_explain(args: argparse.Namespace) -> int:
    from paperpulse.core.models import normalize_arxiv_id
    from paperpulse.digest.topics import explain
    from paperpulse.flows.collect import repository
    from paperpulse.flows.compose import query_hits, topics_of
    from paperpulse.flows.config import load_config
    from paperpulse.flows.settings import Settings

    try:
        arxiv_id = normalize_arxiv_id(args.arxiv_id)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    topics = topics_of(load_config())
    if not topics:
        raise UsageError(
            "no topics are configured: add [[topics]] to paperpulse.toml "
            "(see paperpulse.example.toml)"
        )
    repo = repository(Settings.from_env().database_url)
    paper = repo.papers([arxiv_id]).get(arxiv_id)
    if paper is None:
        raise UsageError(
            f"{arxiv_id} is not in the database; fetch its listing first "
            "(paperpulse run / backfill)"
        )
    hits = query_hits(repo, topics, datetime.now(UTC))
    print(f"{paper.arxiv_id}: {paper.title}")
    for topic in topics:
        print()
        print(explain(paper, topic, hf_query_hits=hits))
    return 0


# --- entry point -------------------------------------------------------------------------


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit so Prefect stops its ephemeral server with us."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


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
