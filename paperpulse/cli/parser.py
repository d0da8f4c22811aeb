"""The command line's grammar: commands, arguments and their help (argparse only).

Each command names its handler in ``paperpulse.cli.commands``; nothing here reads the
environment, the config or the database.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from paperpulse.cli import commands as cmd
from paperpulse.core.kinds import Edition


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
    run.set_defaults(handler=cmd.cmd_run)

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
        choices=cmd.SOURCES,
        dest="sources",
        help="a source to fetch (repeatable; default: hf-daily)",
    )
    backfill.add_argument("--force", action="store_true", help="refetch complete dates too")
    backfill.add_argument(
        "--deliver", action="store_true", help="also deliver each day's digest (archive, email)"
    )
    _prefect_flag(backfill)
    backfill.set_defaults(handler=cmd.cmd_backfill)

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
    digest.set_defaults(handler=cmd.cmd_digest)

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
    deliver.set_defaults(handler=cmd.cmd_deliver)

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
    parse.set_defaults(handler=cmd.cmd_parse)

    serve = _command(
        commands,
        "serve",
        "run the schedule on this machine",
        (
            "Serve the daily and backfill deployments in this process (Prefect's flow.serve) "
            "with the cron and time zone from paperpulse.toml [schedule]. Stop with Ctrl-C."
        ),
    )
    serve.set_defaults(handler=cmd.cmd_serve)

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
    explain.set_defaults(handler=cmd.cmd_topics_explain)
    _for_you_commands(commands)
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
    web.set_defaults(handler=cmd.cmd_web)
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
    recommend.set_defaults(handler=cmd.cmd_recommend)
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
        command.set_defaults(handler=cmd.cmd_feedback, signal=kind)


_READER_HELP = "whose ranking: a recipient's address (default: archive, the archive's digest)"
