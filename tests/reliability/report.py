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
    "same Message-ID (`delivery/smtp`, `flows/deliver`).",
    "**The SMTP password over plain TCP** with `PAPERPULSE_SMTP_SECURITY=none`: now a config "
    "error unless the host is loopback and `PAPERPULSE_SMTP_ALLOW_PLAIN_AUTH=1`.",
    "**`cron = '61 25 * * *'` passed validation** and `serve` died in a Prefect traceback: "
    "checked at load by Prefect's own croniter (`flows/cron`), naming `schedule.cron`.",
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
