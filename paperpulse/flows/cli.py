"""The ``paperpulse`` command.

One-off ``run`` and ``backfill`` call the plain pipeline (``flows.pipeline``); they run as
Prefect flows only when asked (``--prefect``) or when a Prefect API is configured
(``PREFECT_API_URL``), so a one-off run neither waits for nor depends on a Prefect server.
Config and arguments are checked before anything heavy is imported, so ``--help`` and usage
errors answer at once. Every ``PaperpulseError`` becomes one line on stderr and a non-zero
exit code (2 for usage and configuration errors).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from paperpulse.core.errors import ConfigError, PaperpulseError
from paperpulse.core.kinds import DeliveryStatus, Edition, Source

if TYPE_CHECKING:
    from paperpulse.flows.config import Config
    from paperpulse.flows.pipeline import RunSummary
    from paperpulse.flows.settings import Settings

EXIT_ERROR = 1
EXIT_USAGE = 2
SOURCES = (Source.HF_DAILY, Source.HF_WEEK)  # what a backfill can fetch by list date


class UsageError(PaperpulseError):
    """The command line asked for something impossible (exit code 2)."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _prefect_flag(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--prefect",
        action="store_true",
        help=(
            "run as a Prefect flow run (tracked in the UI); the default when PREFECT_API_URL is "
            "set. Without a server Prefect starts a temporary one, which takes seconds"
        ),
    )


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
            "archive/YYYY/MM/YYYY-MM-DD.md and deliver the digest. Plain Python, no Prefect "
            "server needed; a Prefect flow run with --prefect or when PREFECT_API_URL is set."
        ),
    )
    run.add_argument(
        "--date", type=_date, metavar="YYYY-MM-DD", help="the list date (default: today, UTC)"
    )
    run.add_argument("--no-email", action="store_true", help="archive only; send no email")
    _prefect_flag(run)
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
    _prefect_flag(backfill)
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
    digest.add_argument("--edition", choices=tuple(Edition), default=Edition.DAILY)
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
    deliver.add_argument("--edition", choices=tuple(Edition), default=Edition.DAILY)
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

    web = _command(
        commands,
        "web",
        "serve the readers' web pages",
        (
            "Serve the web application: one-click unsubscribe, like / not for me links, each "
            "reader's manage page, and the archive to browse and search. Set [web] base_url "
            "in paperpulse.toml to where readers reach it, so emails link to it."
        ),
    )
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    web.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    web.set_defaults(handler=_cmd_web)

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
    _for_you_commands(commands)
    return parser


def _for_you_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    recommend = _command(
        commands,
        "recommend",
        "rank stored papers by your library",
        (
            "Rank the papers stored for a range of list dates by a library (BibTeX .bib, RIS "
            ".ris, Zotero CSL JSON .json, or .txt of arXiv ids / URLs / titles; or "
            "zotero:users/<id> with ZOTERO_API_KEY), with the reader's likes and hides, and "
            "print each with its score and the reason."
        ),
    )
    recommend.add_argument("--library", required=True, metavar="FILE", help="the library")
    recommend.add_argument(
        "--start", type=_date, metavar="YYYY-MM-DD", help="first list date (default: --end - 29)"
    )
    recommend.add_argument(
        "--end", type=_date, metavar="YYYY-MM-DD", help="last list date (default: today, UTC)"
    )
    recommend.add_argument("--top", type=int, default=20, metavar="N", help="how many (20)")
    recommend.add_argument("--reader", default="archive", metavar="EMAIL", help=_READER_HELP)
    recommend.add_argument("--json", action="store_true", help="print a JSON list")
    recommend.set_defaults(handler=_cmd_recommend)
    for kind, summary in (("like", "more like this paper"), ("hide", "not this paper")):
        command = _command(
            commands,
            kind,
            f"{summary}, in your For you ranking",
            (
                f"Record that a reader {'likes' if kind == 'like' else 'hides'} a paper: "
                "the next For you ranking learns from it"
                + (" and never shows it." if kind == "hide" else ".")
            ),
        )
        command.add_argument("arxiv_id", metavar="ARXIV_ID", help="an arXiv id or URL")
        command.add_argument("--reader", default="archive", metavar="EMAIL", help=_READER_HELP)
        command.set_defaults(handler=_cmd_feedback, signal=kind)


_READER_HELP = "whose ranking: a recipient's address (default: archive, the archive's digest)"


# --- commands ----------------------------------------------------------------------------


def _quiet_prefect(verbose: bool) -> None:
    # Must happen before Prefect is imported: its settings are read once.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # Quiet by default: a failed run is summed up in one line by main(), not by Prefect's
    # tracebacks; our own one-line warnings (retries) still show. -v shows everything.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "CRITICAL")


def _today() -> date:
    """Today (UTC) on the product's clock (``PAPERPULSE_NOW`` moves it for demos and tests)."""
    from paperpulse.flows.settings import Settings

    return Settings.from_env().clock.now().astimezone(UTC).date()


def _wants_prefect(args: argparse.Namespace) -> bool:
    return bool(args.prefect or os.environ.get("PREFECT_API_URL", "").strip())


def _checked() -> tuple[Settings, Config]:
    """Settings and config, validated before anything heavy is imported or started."""
    from paperpulse.flows.settings import from_environment

    return from_environment()


def _plain_logging(verbose: bool) -> None:
    """Plain runs log like Prefect's quiet default: our one-line warnings (retries) show;
    per-job lines only with -v (a failed run is summed up in one line by main())."""
    import logging

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(name)s: %(message)s" if verbose else "paperpulse: %(message)s",
    )
    if not verbose:
        logging.getLogger("paperpulse.pipeline").setLevel(logging.CRITICAL)


PREFECT_STARTUP_HINT = (
    "Prefect's temporary API server did not start in time (a busy machine?): set "
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=120 (default 20), point PREFECT_API_URL "
    "at a running server (`prefect server start`), or run without --prefect"
)


@contextmanager
def _prefect_errors() -> Iterator[None]:
    """Prefect failing to start or to answer is one line saying what to set, not a traceback."""
    import httpx

    try:
        yield
    except PaperpulseError:
        raise
    except RuntimeError as exc:
        if "ephemeral Prefect API server" in str(exc):
            raise PaperpulseError(PREFECT_STARTUP_HINT) from None
        if "Failed to reach API" not in str(exc):
            raise
        raise PaperpulseError(_unreachable(exc)) from None
    except httpx.HTTPError as exc:  # our fetches raise FetchError: this is Prefect's API client
        raise PaperpulseError(_unreachable(exc)) from None


def _unreachable(exc: Exception) -> str:
    where = os.environ.get("PREFECT_API_URL", "").strip() or "its temporary server"
    return (
        f"cannot reach the Prefect API at {where} ({type(exc).__name__}); start it "
        "(`prefect server start`) or unset PREFECT_API_URL to run without Prefect"
    )


def _summed_up(run: Callable[[], RunSummary]) -> RunSummary:
    """Run, print the one summary line (also when sources failed), raise on failures."""
    from paperpulse.flows.pipeline import SourcesFailed

    try:
        summary = run().raise_for_failures()
    except SourcesFailed as exc:
        print(exc.summary.line())
        raise
    return summary


def _cmd_run(args: argparse.Namespace) -> int:
    settings, config = _checked()
    day = args.date or _today()
    email = not args.no_email
    if _wants_prefect(args):
        _quiet_prefect(args.verbose)
        with _prefect_errors():
            from paperpulse.flows.daily import daily

            summary = _summed_up(lambda: daily(list_date=day, email=email))
    else:
        _plain_logging(args.verbose)
        from paperpulse.flows.pipeline import daily_run

        summary = _summed_up(lambda: daily_run(settings, config, day, email))
    print(summary.line())
    return 0


def _cmd_backfill(args: argparse.Namespace) -> int:
    if args.end < args.start:
        raise UsageError(f"--end {args.end} is before --start {args.start}")
    settings, config = _checked()
    prefect = _wants_prefect(args)
    if prefect:
        _quiet_prefect(args.verbose)
    else:
        _plain_logging(args.verbose)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from paperpulse.core.kinds import RunStatus
    from paperpulse.flows.pipeline import backfill_run, progress_hook

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
            failed += getattr(outcome, "status", "") == RunStatus.FAILED
            label = f"{getattr(outcome, 'source', '')} {getattr(outcome, 'period', '')}"
            bar.update(
                task,
                completed=done,
                total=total,
                description=f"backfill {label}" + (f" ({failed} failed)" if failed else ""),
            )

        def run() -> RunSummary:
            if not prefect:
                return backfill_run(
                    settings,
                    config,
                    args.start,
                    args.end,
                    args.sources,
                    force=args.force,
                    deliver=args.deliver,
                )
            from paperpulse.flows.backfill import backfill

            return backfill(
                start=args.start,
                end=args.end,
                sources=args.sources,
                force=args.force,
                deliver=args.deliver,
            )

        token = progress_hook.set(advance)
        try:
            with _prefect_errors() if prefect else nullcontext():
                summary = _summed_up(run)
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
    from paperpulse.flows.foryou import add_for_you
    from paperpulse.flows.settings import from_environment
    from paperpulse.storage.db import require_existing

    period = period_for(args.edition, args.date or _today())
    settings, config = from_environment()
    require_existing(settings.database_url)  # rendering never creates a database
    digest = add_for_you(
        build(settings, config, period),
        settings,
        reader="archive",
        library=config.archive.library,
        cap=config.digest.for_you,
        end=period.days[-1],
    )
    text = render(digest, args.fmt)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"{digest.key}: {digest.paper_count} papers written to {args.out}")
    return 0


def _cmd_deliver(args: argparse.Namespace) -> int:
    from paperpulse.flows.compose import period_for
    from paperpulse.flows.deliver import deliver
    from paperpulse.flows.settings import from_environment

    period = period_for(args.edition, args.date or _today())
    outcomes = deliver(
        *from_environment(), period, resend_unconfirmed=args.resend_unconfirmed, catch_up=False
    )
    for outcome in outcomes:
        print(
            f"{period.edition}/{period.key} {outcome.channel} {outcome.recipient}: "
            f"{outcome.status}{' — ' + outcome.detail if outcome.detail else ''}"
        )
    failed = [o for o in outcomes if o.status == DeliveryStatus.FAILED]
    if failed:
        raise PaperpulseError(
            f"{len(failed)} delivery(ies) failed; they are retried by the "
            "next run or `paperpulse deliver`"
        )
    if unconfirmed := [o for o in outcomes if o.status == DeliveryStatus.UNCONFIRMED]:
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
    _, config = _checked()
    _quiet_prefect(args.verbose)
    schedule = config.schedule
    print(
        f"serving daily at '{schedule.cron}' ({schedule.timezone}) and backfill on demand; "
        "Ctrl-C to stop"
    )
    with _prefect_errors():
        from paperpulse.flows.serve import serve

        serve(schedule.cron, schedule.timezone)
    return 0


def _cmd_web(args: argparse.Namespace) -> int:
    _checked()  # a bad config is one line here, not a trace from inside the server
    import uvicorn

    print(f"paperpulse web on http://{args.host}:{args.port}/ ; Ctrl-C to stop")
    # By import string: flows never imports the web layer, which sits above it.
    uvicorn.run(
        "paperpulse.web.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        proxy_headers=True,
        log_level="warning",
    )
    return 0


def _cmd_topics_explain(args: argparse.Namespace) -> int:
    from paperpulse.core.models import normalize_arxiv_id
    from paperpulse.digest.topics import explain
    from paperpulse.flows.compose import query_hits, topics_of
    from paperpulse.flows.context import repository
    from paperpulse.flows.settings import from_environment

    try:
        arxiv_id = normalize_arxiv_id(args.arxiv_id)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings, config = from_environment()
    topics = topics_of(config)
    if not topics:
        raise UsageError(
            "no topics are configured: add [[topics]] to paperpulse.toml "
            "(see paperpulse.example.toml)"
        )
    repo = repository(settings.database_url)
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


def _cmd_recommend(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from paperpulse.flows.context import repository
    from paperpulse.flows.foryou import (
        POOL_DAYS,
        import_feedback_file,
        load_library,
        pull_archive,
        reader_model,
        recent_corpus,
    )
    from paperpulse.flows.settings import Settings

    end = args.end or _today()
    start = args.start or end - timedelta(days=POOL_DAYS - 1)
    if end < start:
        raise UsageError(f"--end {end} is before --start {start}")
    if args.top < 1:
        raise UsageError("--top must be at least 1")
    settings = Settings.from_env()
    library = load_library(args.library, settings)
    for warning in library.warnings:
        print(f"paperpulse: warning: {warning}", file=sys.stderr)
    repo = repository(settings.database_url)
    pull_archive(settings)  # feedback.txt edited on the git host counts here too
    import_feedback_file(repo, settings.archive_dir, "archive", settings.clock.now())
    corpus = recent_corpus(repo, end, start)
    if not corpus.papers:
        raise UsageError(
            f"no stored papers listed from {start} to {end}; fetch them first "
            f"(paperpulse backfill --start {start} --end {end})"
        )
    model = reader_model(repo, corpus, library, args.reader)
    ranked = model.rank(corpus.papers, top=args.top)
    if args.json:
        rows = [
            {
                "arxiv_id": r.paper.arxiv_id,
                "title": r.paper.title,
                "score": round(r.score, 4),
                "reason": r.reason,
                "url": r.paper.hf_url,
                "list_date": r.paper.list_date.isoformat() if r.paper.list_date else None,
            }
            for r in ranked
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    print(
        f"{len(library.entries)} library entries ({model.matched} found among stored papers), "
        f"{len(corpus.papers)} papers listed {start} – {end}:"
    )
    for number, r in enumerate(ranked, start=1):
        print(f"{number:3d}. {r.paper.arxiv_id}  {r.score:+.3f}  {r.paper.title}")
        print(f"     {r.reason}")
    return 0


def _cmd_feedback(args: argparse.Namespace) -> int:
    from paperpulse.core.models import normalize_arxiv_id
    from paperpulse.flows.context import repository
    from paperpulse.flows.settings import Settings

    try:
        arxiv_id = normalize_arxiv_id(args.arxiv_id)
    except ValueError as exc:
        raise UsageError(f"{exc}; give an arXiv id like 2408.01234 or its URL") from None
    settings = Settings.from_env()
    repo = repository(settings.database_url)
    repo.record_feedback(
        args.reader, {arxiv_id: args.signal}, origin="cli", at=settings.clock.now(), renew=True
    )
    stored = "" if repo.papers([arxiv_id]) else " (not stored yet: it counts once fetched)"
    done = {"like": "liked", "hide": "hid"}[args.signal]
    print(f"{done} {arxiv_id} for {args.reader}{stored}")
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
    except (UsageError, ConfigError) as exc:
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
