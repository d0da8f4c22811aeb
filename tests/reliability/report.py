"""Regenerate docs/reliability.md from a real run of the reliability suites.

    python -m tests.reliability.report                 # run tests/reliability, write the doc
    python -m tests.reliability.report --check         # fail if the doc is out of date
    PAPERPULSE_FUZZ_PROFILE=deep python -m tests.reliability.report   # 10,000 fuzz examples

Each test notes what it tried only after its assertions passed (``tests/reliability/record``),
so every row of the table is a verified outcome. A failing suite writes nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from paperpulse.digest.escaping import md_escape
from tests.conftest import ROOT, SHARED_DATA
from tests.reliability.conftest import FUZZ_PROFILE_ENV
from tests.reliability.record import LOG_ENV, Trial, read_trials

DOC = ROOT / "docs" / "reliability.md"
# The fast suites, the flow-level faults (whole backfills and daily runs under Prefect), and
# issue 15's hostile world (the CLI against real servers, git and SQLite).
SUITE = (
    "tests/reliability",
    "tests/flows/test_flow_faults.py",
    "tests/flows/test_hostile_world.py",
    "tests/delivery/test_smtp_unconfirmed.py",
    "tests/delivery/test_archive_safety.py",
    # Issue 25: every wait bounded, every byte survives.
    "tests/flows/test_hostile_world_25.py",
    "tests/flows/test_library_bounds.py",
    "tests/delivery/test_delivery_isolation.py",
    "tests/delivery/test_hostile_peers.py",
    "tests/storage/test_absurd_counts.py",
)


@dataclass(frozen=True)
class Section:
    category: str
    title: str
    intro: str
    columns: tuple[str, str, str, str]  # case, where, trials, outcome
    show_injected: bool = False


SECTIONS = (
    Section(
        category="Flow fault",
        title="Faults through whole runs (the `paperpulse` CLI and Prefect flows, real SQLite)",
        intro=(
            "Whole backfills and daily runs against the replay server, compared with a clean "
            "run's database (papers, authors, sightings, complete periods). SIGKILL lands at a "
            "random moment (seeded); ten trials per flow, run with `PAPERPULSE_SLOW=1` "
            "(as in CI)."
        ),
        columns=("Fault", "Where", "Runs", "Outcome"),
        show_injected=True,
    ),
    Section(
        category="HTTP fault",
        title="HTTP faults (real replay server on 127.0.0.1, real HttpClient and HF fetchers)",
        intro=(
            "Each fault is injected by `tests/replay.py` into real Hugging Face captures and "
            "fetched through `HttpClient` + `scrapers.hf_daily` (API paged JSON and HTML page). "
            "Backoff and Retry-After run on a fake clock; read timeouts are real (0.3 s). "
            "*Identical* means equal to a clean fetch of the same day, item for item."
        ),
        columns=("Fault", "Where", "Fetches", "Outcome"),
        show_injected=True,
    ),
    Section(
        category="Hostile world",
        title="A hostile world (the `paperpulse` CLI against real servers, git and SQLite)",
        intro=(
            "The scenarios an adversarial run of the installed CLI still broke (issue 15), each "
            "met the way a user meets it: a real process, a replay server that trickles its "
            "body, an aiosmtpd server that hangs up after DATA, a real git archive with a "
            "person's edits, a database that cannot grow. Each test failed before its fix."
        ),
        columns=("Scenario", "Where", "Runs", "Outcome"),
    ),
    Section(
        category="Issue 25",
        title="Every wait bounded, every byte survives (issue 25: raw hostile servers on "
        "127.0.0.1, the CLI in real processes, real git, SQLite and PostgreSQL)",
        intro=(
            "Servers that trickle a status line, headers, a body, an SMTP greeting or a "
            "webhook reply a byte at a time, ask for a day's wait, or hang; SIGTERM and SIGINT "
            "while a worker thread is stuck; gzip bombs, lone surrogates, absurd counts, "
            "rejected pushes, stale locks, colliding names, unknown readers. Times are real "
            "(no fake clock). Each test failed on the code before its fix; all 106 scenarios "
            "are listed above (Issue 25: the 106 scenarios)."
        ),
        columns=("Scenario", "Where", "Runs", "Outcome"),
    ),
    Section(
        category="Hostile input",
        title="Hostile content through every output",
        intro=(
            "Each string fills every field a source or a section can set (17), then goes "
            "through every output (8): HTML, the email's HTML and text parts and its headers "
            "(parsed back), Markdown read by markdown-it in CommonMark mode with raw HTML on and "
            "off (the archive and the Prefect artifact), the Atom feed (parsed back) and the "
            "archive index. Each output is compared with a twin built from benign text: no tag, "
            "attribute, Markdown token, header or line may be added; links must be http(s). "
            "Checks = fields x outputs."
        ),
        columns=("Input", "Where", "Checks", "Outcome"),
    ),
    Section(
        category="Parser fuzzing",
        title="Parser fuzzing (hypothesis, mutated real pages and responses)",
        intro=(
            "Byte damage (truncation, slices, dropped tags, overwritten ranges) and structural "
            "changes that stay well-formed (JSON values replaced, keys deleted or renamed, "
            "items copied; tags and text runs deleted, copied, swapped or rewritten, numbers "
            "and attributes changed; HF hydration JSON mutated and re-embedded). Any other "
            "exception fails the suite."
        ),
        columns=("Parser", "Seeds", "Examples", "Outcome"),
    ),
    Section(
        category="Secrets",
        title="Secrets (unique canaries, grepped everywhere)",
        intro=(
            "HF_TOKEN, the Semantic Scholar key and the SMTP password are unique canaries; "
            "everything captured is searched for them and for their base64 forms."
        ),
        columns=("Secret and failure", "Searched", "Runs", "Outcome"),
    ),
)

FINDINGS = (
    "**Mail header injection through RFC 2047 encoded-words.** A paper title such as "
    "`=?utf-8?b?SGkNCkJjYzog...?=` reached the Subject; Python's email package decoded it "
    "and (CPython < 3.11.10, CVE-2024-6923) wrote the decoded CR/LF verbatim, adding a Bcc "
    "header or replacing the body. Fixed in `digest/escaping.header_safe`.",
    "**Raw labels and sparklines in Markdown; raw labels in the text email.** The only "
    "template values printed unescaped. Fixed in `templates/digest.md.j2`, `digest.txt.j2`.",
    "**Control, bidi and lone-surrogate characters in the HTML.** Autoescaping kept them: a "
    "bidi override reordered the reader's view, a lone surrogate made the email unencodable. "
    "Fixed once for every template by a Jinja `finalize` (`digest/render.printed`).",
    "**Lone surrogates from JSON escapes** (`\\ud83d`, what JavaScript writes for a string cut "
    "inside an emoji) crashed storage, email and archive. Replaced by U+FFFD at parse "
    "(`scrapers/text.valid_text`, HF items, Semantic Scholar).",
    "**A server echoing credentials** put the HF token into ParseError messages (hence run "
    "errors, digests, the archive) and httpcore's DEBUG logs. `HttpClient` now replaces its "
    "secrets in response bodies and headers; `scrapers/redaction` filters httpx/httpcore logs.",
    '**An unknown XML encoding** (`encoding="ATF-8"`, found by the deep fuzzing profile: '
    "27 tests x 10,000 examples) made the arXiv API parser leak ElementTree's LookupError. "
    "Now a ParseError (`scrapers/arxiv_api`).",
    "**A server trickling its body hung a run forever** (a byte every 2 s never trips a read "
    "timeout; a `running` row was left). `HttpSettings.deadline` bounds each attempt, connect "
    "to last byte (`PAPERPULSE_HTTP_DEADLINE`, default 120 s).",
    "**Eight copies of one email** when the SMTP server hung up after DATA: each attempt, and "
    "each later run, resent it. A message whose DATA got no answer is now *unconfirmed*: "
    "never resent automatically; `paperpulse deliver --resend-unconfirmed` resends it once, "
    "same Message-ID (`delivery/smtp`, `app/deliver`).",
    "**The SMTP password over plain TCP** with `PAPERPULSE_SMTP_SECURITY=none`: now a config "
    "error unless the host is loopback and `PAPERPULSE_SMTP_ALLOW_PLAIN_AUTH=1`.",
    "**`cron = '61 25 * * *'` passed validation** and `serve` died in a Prefect traceback: "
    "checked at load by croniter, as Prefect checks it (`config/cron`), naming `schedule.cron`.",
    "**A person's uncommitted archive edits were overwritten**; the lock sat beside the "
    "archive; bad archive paths gave tracebacks. Now refused in one line naming the files, "
    "the lock is `.git/paperpulse.lock`, bad paths are one line (`delivery/git_archive`).",
    "**A dead source was never called out.** Failing `[digest] alert_after_failed_runs` (3) "
    "runs in a row heads every digest until it recovers and fails the run "
    "(`digest/dead_sources`).",
    "**Smaller:** `digest` on a missing SQLite directory created it (now one line); a 650 KB "
    "abstract and a 100 KB title reached every output (now cut, with a warning: "
    "`core/bounds`); a paper twice in one listing with other values was silent (a warning); "
    "a bare id then v2 counted as 0 updated; a run unable to close itself stayed `running` "
    "(the next start closes it); two fault tests failed without `../shared`; the replay "
    "server served `[]` from a missing or empty folder (now refuses).",
)


# Issue 25's adversarial run: 106 scenarios, 81 held, 25 broke. The 16 numbered failures
# (several hold more than one scenario), and the held ones by the kinds the issue names, each
# with the test that shows it now.
ISSUE_25_FAILED = (
    (
        "1",
        '`RateLimit: "api";r=0;t=86400` blocked the HF host for the whole `t`',
        "waits capped like Retry-After; a wait past the run's time ends the source at once, "
        "saying when to retry",
        "test_bounded_waits::test_a_ratelimit_reset_of_a_day_*, "
        "test_hostile_world_25::test_a_ratelimit_block_*",
    ),
    (
        "2",
        "Zotero outside the HttpClient: trickled body hung; gzip bomb took 4.4 GB; no "
        "pacing without Total-Results, 5 items read as 10,000",
        "Zotero through HttpClient: deadline, 8 MiB decoded cap, 0.5 s pacing, a short page ends "
        "it",
        "test_library_bounds::test_a_trickled_zotero_*, *_gzip_bomb_*, *_short_zotero_page_*",
    ),
    (
        "3",
        "a lone surrogate in a library title: delivery traceback, later readers never reached; "
        "`recommend` crashed",
        "library text made valid once at load; one reader's unexpected failure fails only their "
        "email (recorded, never left `sending`)",
        "test_library_bounds::test_lone_surrogates_*, test_delivery_isolation::test_one_readers_*",
    ),
    (
        "4",
        "response headers trickled a line a second bypassed the deadline; SIGTERM ignored "
        "while a worker was stuck",
        "one deadline per attempt over connect, headers and body (`DeadlineTransport`); "
        "SIGTERM/SIGINT stop every wait, mark runs, one line, < 10 s",
        "test_bounded_waits::test_headers_trickled_*, test_hostile_world_25::test_a_signal_ends_*",
    ),
    (
        "5",
        "a trickled body retried 4 times: a run past 200 s, no run deadline",
        "`PAPERPULSE_RUN_DEADLINE` (1 h): the run stops, marks its rows, lists what it left undone",
        "test_bounded_waits::test_a_trickled_body_retried_*, "
        "test_hostile_world_25::test_headers_trickled_forever_*",
    ),
    (
        "6",
        "an SMTP greeting trickled hung `deliver`; a trickling chat endpoint: SIGTERM traceback",
        "`PAPERPULSE_SMTP_DEADLINE` (120 s) for a whole send, enforced by a watchdog; chat on a "
        "daemon thread with a deadline",
        "test_hostile_peers (4 tests)",
    ),
    (
        "7",
        "upvotes 10^30: OverflowError, the day lost; -5000 shown",
        "counts clamped to 10^9 or dropped, each flagged naming paper and URL",
        "test_absurd_counts (SQLite, PostgreSQL), test_hostile_world_25::test_absurd_upvotes_*",
    ),
    (
        "8",
        "a rejected push was silent (exit 0); any archive problem stopped every email",
        "the archive is one delivery among others; a failed push is its own failed outcome "
        "(exit 1)",
        "test_delivery_isolation::test_a_rejected_push_*, *_stale_index_lock_*",
    ),
    (
        "9",
        "a listing jumping from 11 to 90 papers raised no warning",
        "a warning naming both counts, the URL and the parse command",
        "test_hostile_world_25::test_a_listing_that_jumps_*",
    ),
    (
        "10",
        "after an upgrade the feeds' `<id>` changed: old papers shown as new",
        "the ids the first archives wrote",
        "test_hostile_world_25::test_feed_ids_*",
    ),
    (
        "11",
        "a database at an unknown newer revision: an 89-line Alembic traceback",
        "one line saying so and what to do",
        "test_hostile_world_25::test_a_database_at_*",
    ),
    (
        "12",
        "topics C++ and C# shared `feeds/c.xml`; a!b@ and a#b@ one outbox file; "
        "DUP@ beside dup@ two emails",
        "a short hash where names would meet (plain names unchanged); addresses compared "
        "without case, with a warning",
        "test_archive_nav::test_topics_whose_slugs_meet_*, test_outbox::*_read_alike_*, "
        "test_hostile_world_25::test_colliding_outbox_*",
    ),
    (
        "13",
        "nested JSON library: RecursionError; a library at /dev/zero grew to 22 GB",
        "64 MiB cap and a depth error, one line each",
        "test_library_bounds::test_library_files_*",
    ),
    (
        "14",
        "`backfill 0001-01-01..9999-12-31` showed 0/?; HTTP_DEADLINE=inf and "
        "SMTP_PORT=99999 accepted",
        "refused in one line",
        "test_hostile_world_25::test_an_absurd_backfill_*, *_absurd_deadlines_*",
    ),
    (
        "15",
        "like/hide for an unknown reader or one with a newline; feedback.txt lines for "
        "unknown or case-variant readers: accepted silently",
        "refused (exit 2) / warned and ignored; a case variant lands on the configured reader",
        "test_hostile_world_25::test_unknown_readers_*, "
        "test_foryou::test_the_archives_feedback_file_*",
    ),
    (
        "16",
        "a 1,300-character final line with an error twice; `parse` suggesting itself; "
        "'Input should be a valid tuple'; 300,000 include terms; `serve` ignoring SIGINT",
        "each failure once, under 600 characters; a hint that helps; 'write include = [...]'; "
        "lists capped at 1,000; SIGINT handled like SIGTERM (forced exit after 8 s)",
        "test_hostile_world_25::test_operator_messages_* (serve: not tested here)",
    ),
)
ISSUE_25_HELD = (
    (
        "redirect loops; redirects to `file://` or another host (no token forwarded)",
        "test_bounded_waits::test_hostile_answers_that_held_*, test_http::test_redirect_*",
    ),
    (
        "HF gzip bombs and a 2 GB Content-Length",
        "test_bounded_waits::test_hostile_answers_*, "
        "test_http::test_size_cap_*, test_http::test_declared_oversize_*",
    ),
    (
        "hostile text in every output",
        "test_hostile (the table below: 61 inputs x 17 fields x 8 outputs)",
    ),
    ("secrets in no log", "test_secrets (the Secrets table)"),
    (
        "a full disk on the archive or the database",
        "test_hostile_world::test_the_disk_fills_*, "
        "test_delivery_isolation (an archive failure stops no email)",
    ),
    (
        "concurrent runs and delivers",
        "test_orchestration, test_scale_out, test_storage ledger tests (claims, exclusive runs)",
    ),
    (
        "upgrades from an older commit, no mail re-sent",
        "test_migrations (storage), test_hostile_world_25::test_feed_ids_*",
    ),
    ("38 invalid configs refused in one line", "test_config, test_settings (parametrised)"),
)


def issue_25_lines() -> list[str]:
    out = [
        "",
        "## Issue 25: the 106 scenarios",
        "",
        "An adversarial run of the installed CLI tried 106 scenarios; 81 held and 25 broke. "
        "The 25 are the issue's 16 numbered failures (several are more than one scenario); "
        "each is now held, shown by the tests named (files under `tests/`). The 81 that held "
        "are listed by kind, as the issue names them, with the tests that show them.",
        "",
        "| # | Broke | Holds now | Shown by |",
        "|---:|---|---|---|",
    ]
    out += [f"| {n} | {cell(a)} | {cell(b)} | {cell(c)} |" for n, a, b, c in ISSUE_25_FAILED]
    out += ["", "| Held (81 in all) | Shown by |", "|---|---|"]
    out += [f"| {cell(a)} | {cell(b)} |" for a, b in ISSUE_25_HELD]
    return out


def run_suite(log: Path, pytest_args: Sequence[str]) -> tuple[int, str]:
    """Run the reliability suites with ``log`` as the trial log; exit code and summary line."""
    env = {**os.environ, LOG_ENV: str(log)}
    command = [sys.executable, "-m", "pytest", *SUITE, "-q", "-p", "no:cacheprovider", *pytest_args]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    summary = next(
        (line.strip("= ") for line in reversed(lines) if re.search(r"\d+ (passed|failed)", line)),
        "no summary",
    )
    if result.returncode != 0:
        sys.stdout.write(result.stdout[-4000:] + result.stderr[-2000:])
    return result.returncode, summary


@dataclass
class Row:
    case: str
    where: str
    outcome: str
    trials: int = 0
    injected: int = 0


def aggregate(trials: Iterable[Trial], category: str) -> list[Row]:
    """Rows summed by (case, where, outcome), grouped by case in order of first appearance."""
    rows: dict[tuple[str, str, str], Row] = {}
    order: dict[str, int] = {}
    for trial in trials:
        if trial.category != category:
            continue
        order.setdefault(trial.case, len(order))
        row = rows.setdefault(
            (trial.case, trial.where, trial.outcome), Row(trial.case, trial.where, trial.outcome)
        )
        row.trials += trial.trials
        row.injected += trial.injected
    return sorted(rows.values(), key=lambda r: order[r.case])


def cell(text: str) -> str:
    return md_escape(text)


def render(trials: Sequence[Trial], summary: str, profile: str) -> str:
    captures = "present" if SHARED_DATA.is_dir() else "absent (fixtures only)"
    out = [
        "# Reliability: faults and hostile input, measured",
        "",
        "<!-- Generated by `python -m tests.reliability.report`; do not edit by hand. -->",
        "",
        "Every row is an outcome a test asserted, with how many times it was tried. "
        "Regenerate after changing a suite or what it covers:",
        "",
        "```",
        "python -m tests.reliability.report            # CI fuzz profile",
        "python -m tests.reliability.report --check    # fails when this file is stale",
        f"{FUZZ_PROFILE_ENV}=deep python -m tests.reliability.report   # 10,000 examples",
        "```",
        "",
        f"Last run: `pytest {' '.join(SUITE)}`: {summary}; fuzz profile `{profile}`; real captures "
        f"(../shared/data) {captures}; Python {platform.python_version()}.",
        "",
        "| Category | Cases | Trials |",
        "|---|---:|---:|",
    ]
    for section in SECTIONS:
        rows = aggregate(trials, section.category)
        cases = len({r.case for r in rows})
        out.append(f"| {section.title.split(' (')[0]} | {cases} | {sum(r.trials for r in rows)} |")
    out += ["", "## Holes found and fixed", ""]
    out += [f"{n}. {finding}" for n, finding in enumerate(FINDINGS, start=1)]
    out += issue_25_lines()
    for section in SECTIONS:
        rows = aggregate(trials, section.category)
        case, where, count, outcome = section.columns
        header = [case, where, count] + (["Injected"] if section.show_injected else []) + [outcome]
        out += ["", f"## {section.title}", "", section.intro, ""]
        out.append("| " + " | ".join(header) + " |")
        out.append(
            "|" + "|".join("---:" if h in (count, "Injected") else "---" for h in header) + "|"
        )
        for row in rows:
            cells = [cell(row.case), cell(row.where), str(row.trials)]
            if section.show_injected:
                cells.append(str(row.injected))
            cells.append(cell(row.outcome))
            out.append("| " + " | ".join(cells) + " |")
        if not rows:
            out.append(
                "| (not run) | | 0 | |"
                if not section.show_injected
                else "| (not run) | | 0 | 0 | |"
            )
    return "\n".join(out) + "\n"


def strip_run_line(text: str) -> str:
    """The document without its "Last run" line (timings differ between runs)."""
    return re.sub(r"^Last run: .*$", "", text, flags=re.MULTILINE)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate docs/reliability.md.")
    parser.add_argument("--output", type=Path, default=DOC, help="where to write the Markdown")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    profile = os.environ.get(FUZZ_PROFILE_ENV, "ci")
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "trials.jsonl"
        code, summary = run_suite(log, args.pytest_args)
        if code != 0:
            print(f"reliability suite failed ({summary}): {args.output} left unchanged")
            return code
        document = render(read_trials(log), summary.split(" in ")[0], profile)
    if args.check:
        current = args.output.read_text("utf-8") if args.output.is_file() else ""
        if strip_run_line(current) != strip_run_line(document):
            print(f"{args.output} is out of date: run python -m tests.reliability.report")
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(document, encoding="utf-8")
    print(f"wrote {args.output} ({summary})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
