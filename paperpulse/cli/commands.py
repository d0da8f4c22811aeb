"""What each command does, in a few lines: check the configuration, open the run's context,
call the use case in ``paperpulse.app``, print what it did. Heavy modules are imported inside
each command, after its arguments and configuration were checked, so ``--help`` and usage
errors answer at once."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, date
from typing import TYPE_CHECKING

from paperpulse.cli.prefect_env import prefect_errors, quiet_prefect, wants_prefect
from paperpulse.core.errors import PaperpulseError, SourceError
from paperpulse.core.kinds import DeliveryStatus, Source

if TYPE_CHECKING:
    from paperpulse.app.context import Context
    from paperpulse.app.pipeline import RunSummary
    from paperpulse.config.file import Config
    from paperpulse.config.settings import Settings

SOURCES = (Source.HF_DAILY, Source.HF_WEEK)  # what a backfill can fetch by list date
MAX_BACKFILL_DAYS = 3_660  # ten years: far past any source's history, far short of 9999


class UsageError(PaperpulseError):
    """The command line asked for something impossible (exit code 2)."""


def _checked() -> tuple[Settings, Config]:
    """Settings and config, validated before anything heavy is imported or started."""
    from paperpulse.config.settings import from_environment

    return from_environment()


def _today(settings: Settings) -> date:
    """Today (UTC) on the product's clock (``PAPERPULSE_NOW`` moves it for demos and tests)."""
    return settings.clock.now().astimezone(UTC).date()


def _not_future(day: date, settings: Settings, what: str = "--date") -> date:
    """A list date after today (UTC, on the product's clock) has no listing yet: refused."""
    today = _today(settings)
    if day > today:
        raise UsageError(
            f"{what} {day} is in the future (today is {today}, UTC): no papers are listed for "
            "it yet; give a past date or leave --date out for today"
        )
    return day


def _context(settings: Settings, config: Config) -> Context:
    """The command's run context; a password kept in a Prefect Secret is read through Prefect
    only when an email is sent."""
    from paperpulse.app.context import Context
    from paperpulse.flows.secrets import prefect_secret

    return Context.open(settings, config, secret=prefect_secret)


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


def _summed_up(run: Callable[[], RunSummary]) -> RunSummary:
    """Run, print the one summary line (also when sources failed), raise on failures."""
    from paperpulse.app.pipeline import SourcesFailed

    try:
        summary = run().raise_for_failures()
    except SourcesFailed as exc:
        print(exc.summary.line())
        raise
    return summary


def cmd_run(args: argparse.Namespace) -> int:
    settings, config = _checked()
    day = _not_future(args.date or _today(settings), settings)
    email = not args.no_email
    if wants_prefect(args):
        quiet_prefect(args.verbose)
        with prefect_errors():
            from paperpulse.flows.daily import daily

            summary = _summed_up(lambda: daily(list_date=day, email=email))
    else:
        _plain_logging(args.verbose)
        from paperpulse.app.pipeline import daily_run

        with _context(settings, config) as ctx:
            summary = _summed_up(lambda: daily_run(ctx, day, email))
    print(summary.line())
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    if args.end < args.start:
        raise UsageError(f"--end {args.end} is before --start {args.start}")
    span = (args.end - args.start).days + 1
    if span > MAX_BACKFILL_DAYS:
        raise UsageError(
            f"--start {args.start} to --end {args.end} is {span:,} days; a backfill covers at "
            f"most {MAX_BACKFILL_DAYS:,} (Hugging Face lists papers since 2023): give a "
            "shorter range, one backfill per range"
        )
    settings, config = _checked()
    _not_future(args.end, settings, "--end")
    prefect = wants_prefect(args)
    if prefect:
        quiet_prefect(args.verbose)
    else:
        _plain_logging(args.verbose)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from paperpulse.app.pipeline import backfill_run, progress_hook
    from paperpulse.core.kinds import RunStatus

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
                with _context(settings, config) as ctx:
                    return backfill_run(
                        ctx,
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
            with prefect_errors() if prefect else nullcontext():
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


def cmd_digest(args: argparse.Namespace) -> int:
    from paperpulse.app.compose import build
    from paperpulse.app.foryou import add_for_you
    from paperpulse.digest.calendar import period_for
    from paperpulse.digest.render import render
    from paperpulse.storage.db import require_existing

    settings, config = _checked()
    period = period_for(args.edition, _not_future(args.date or _today(settings), settings))
    require_existing(settings.database_url)  # rendering never creates a database
    with _context(settings, config) as ctx:
        digest = add_for_you(
            ctx,
            build(ctx, period),
            reader="archive",
            library=config.archive.library,
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


def cmd_deliver(args: argparse.Namespace) -> int:
    from paperpulse.app.deliver import deliver
    from paperpulse.digest.calendar import period_for

    settings, config = _checked()
    period = period_for(args.edition, _not_future(args.date or _today(settings), settings))
    with _context(settings, config) as ctx:
        outcomes = deliver(ctx, period, resend_unconfirmed=args.resend_unconfirmed, catch_up=False)
    for outcome in outcomes:
        print(
            f"{period.digest_key} {outcome.channel} {outcome.recipient}: "
            f"{outcome.status}{' — ' + outcome.detail if outcome.detail else ''}"
        )
    failed = [o for o in outcomes if o.status == DeliveryStatus.FAILED]
    if failed:
        first = failed[0]
        more = f" (and {len(failed) - 1} more above)" if len(failed) > 1 else ""
        raise PaperpulseError(
            f"{len(failed)} delivery(ies) failed, first {first.channel} {first.recipient}: "
            f"{first.detail}{more}; they are retried by the next run or `paperpulse deliver`"
        )
    if unconfirmed := [o for o in outcomes if o.status == DeliveryStatus.UNCONFIRMED]:
        raise PaperpulseError(
            f"{len(unconfirmed)} email(s) unconfirmed (the server took them without answering); "
            "not resent automatically: check the inbox, or add --resend-unconfirmed"
        )
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    from paperpulse.core.bounds import bound_listing
    from paperpulse.scrapers.registry import PARSERS, listing_as_json, parse_file

    if args.source not in PARSERS:
        raise UsageError(f"unknown source {args.source!r}; choose one of: {', '.join(PARSERS)}")
    try:
        content = args.file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    try:
        parsed = parse_file(args.source, content, str(args.file))
    except SourceError as exc:
        # The parser's hint ("save the page and run `paperpulse parse ...`") is what was just
        # run: here the question is whether FILE is that source's page at all.
        said = _PARSE_HINT.sub("", str(exc)).rstrip(" ;,")
        raise PaperpulseError(
            f"{said}; is {args.file} a saved {args.source} page or answer? (hf-daily reads "
            "the Daily Papers HTML page or its API JSON, arxiv-listing a /list/CAT/new page)"
        ) from None
    listing, warnings = bound_listing(parsed)
    for warning in warnings:
        print(f"paperpulse: warning: {warning}", file=sys.stderr)
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


_PARSE_HINT = re.compile(
    r"[;:,]?\s*\(?(?:save (?:the|a) pages? and )?(?:try|run) `paperpulse parse [^`]*`\)?"
)


def cmd_serve(args: argparse.Namespace) -> int:
    _, config = _checked()
    quiet_prefect(args.verbose)
    schedule = config.schedule
    print(
        f"serving daily at '{schedule.cron}' ({schedule.timezone}) and backfill on demand; "
        "Ctrl-C to stop"
    )
    with prefect_errors():
        from paperpulse.flows.serve import serve

        serve(schedule.cron, schedule.timezone)
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    _checked()  # a bad config is one line here, not a trace from inside the server
    import uvicorn

    print(f"paperpulse web on http://{args.host}:{args.port}/ ; Ctrl-C to stop")
    uvicorn.run(
        "paperpulse.web.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        proxy_headers=True,
        log_level="warning",
    )
    return 0


def cmd_topics_explain(args: argparse.Namespace) -> int:
    from paperpulse.app.compose import explain_paper
    from paperpulse.core.models import normalize_arxiv_id

    try:
        arxiv_id = normalize_arxiv_id(args.arxiv_id)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings, config = _checked()
    if not config.topics:
        raise UsageError(
            "no topics are configured: add [[topics]] to paperpulse.toml "
            "(see paperpulse.example.toml)"
        )
    with _context(settings, config) as ctx:
        found = explain_paper(ctx, arxiv_id)
    if found is None:
        raise UsageError(
            f"{arxiv_id} is not in the database; fetch its listing first "
            "(paperpulse run / backfill)"
        )
    title, explanations = found
    print(f"{arxiv_id}: {title}")
    for text in explanations:
        print()
        print(text)
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    from paperpulse.app.foryou import POOL_DAYS, recommend

    settings, config = _checked()
    end = args.end or _today(settings)
    start = args.start or date.fromordinal(end.toordinal() - (POOL_DAYS - 1))
    if end < start:
        raise UsageError(f"--end {end} is before --start {start}")
    if args.top < 1:
        raise UsageError("--top must be at least 1")
    with _context(settings, config) as ctx:
        found = recommend(ctx, args.library, args.reader, start, end, top=args.top)
    for warning in found.warnings:
        print(f"paperpulse: warning: {warning}", file=sys.stderr)
    if found.pool == 0:
        raise UsageError(
            f"no stored papers listed from {start} to {end}; fetch them first "
            f"(paperpulse backfill --start {start} --end {end})"
        )
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
            for r in found.ranked
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    print(
        f"{found.entries} library entries ({found.matched} found among stored papers), "
        f"{found.pool} papers listed {start} – {end}:"
    )
    for number, r in enumerate(found.ranked, start=1):
        print(f"{number:3d}. {r.paper.arxiv_id}  {r.score:+.3f}  {r.paper.title}")
        print(f"     {r.reason}")
    return 0


def cmd_feedback(args: argparse.Namespace) -> int:
    from paperpulse.app.foryou import record_feedback
    from paperpulse.core.models import normalize_arxiv_id

    try:
        arxiv_id = normalize_arxiv_id(args.arxiv_id)
    except ValueError as exc:
        raise UsageError(f"{exc}; give an arXiv id like 2408.01234 or its URL") from None
    settings, config = _checked()
    with _context(settings, config) as ctx:
        reader, stored = record_feedback(ctx, args.reader, arxiv_id, args.signal)
    later = "" if stored else " (not stored yet: it counts once fetched)"
    done = {"like": "liked", "hide": "hid"}[args.signal]
    print(f"{done} {arxiv_id} for {reader}{later}")
    return 0
