"""Living through a month as readers do, in seconds: a simulated clock, a time-travel replay of
HF Daily Papers, a real SMTP server, a real git archive, and the product's own plain steps.

``Month.live(day)`` is the daily job for list date ``day`` at 06:00 UTC the next morning (as
the schedule runs it); ``Month.backfill`` rebuilds the same days into a fresh database at the
end. What the readers received is parsed from the emails as delivered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path

from paperpulse.app.collect import SourceOutcome, collect, daily_jobs, failed_outcome
from paperpulse.app.compose import ARCHIVE, digest_periods
from paperpulse.app.context import Context
from paperpulse.app.deliver import deliver, deliver_archive
from paperpulse.app.jobs import Job
from paperpulse.config.file import Config
from paperpulse.config.settings import Settings
from paperpulse.core.errors import PaperpulseError
from paperpulse.digest.calendar import period_for
from tests.contexts import context, repository
from tests.delivery.conftest import RunningServer
from tests.replay import ReplayServer, TimeTravel

PAPER_LINK = re.compile(r"(?:huggingface\.co/papers|arxiv\.org/abs)/(\d{4}\.\d{4,5})")
RISING_REASON = re.compile(r"\+([\d,]+) upvotes since (.+?): ([\d,]+) → ([\d,]+)")
HEADER = re.compile(r"(\d+) papers?, (\d+) new, (\d+) rising")


@dataclass
class SimClock:
    """The product's wall clock in a test: it says what the test says."""

    at: datetime

    def now(self) -> datetime:
        return self.at


def run_moment(day: date) -> datetime:
    """When the schedule digests list date ``day``: 06:00 UTC the next morning."""
    return datetime.combine(day + timedelta(days=1), time(6), UTC)


@dataclass
class Email:
    to: str
    subject: str
    text: str

    def sections(self) -> dict[str, list[tuple[str, str]]]:
        """``{section title: [(arxiv_id, item text)]}`` from the text part."""
        found: dict[str, list[tuple[str, str]]] = {}
        current = ""
        block: list[str] = []

        def flush() -> None:
            text = "\n".join(block)
            ids = PAPER_LINK.findall(text)
            if ids:
                found.setdefault(current, []).append((ids[0], text))

        for line in self.text.splitlines():
            heading = re.match(r"^== (.+) ==$", line)
            if heading:
                flush()
                block = []
                current = heading.group(1)
            elif re.match(r"^\d+\. ", line):
                flush()
                block = [line]
            elif block:
                block.append(line)
        flush()
        return found

    def items(self) -> list[tuple[str, str, str]]:
        return [(s, i, t) for s, items in self.sections().items() for i, t in items]

    def new_ids(self) -> list[str]:
        return [i for _, i, text in self.items() if "[new]" in text.splitlines()[0]]

    def header(self) -> tuple[int, int, int]:
        match = HEADER.search(self.text)
        assert match, self.text[:300]
        return int(match.group(1)), int(match.group(2)), int(match.group(3))


def received(smtp: RunningServer, since: int = 0) -> list[Email]:
    emails = []
    for envelope in smtp.handler.received[since:]:
        message = message_from_bytes(envelope.original_content or b"")
        emails.append(
            Email(to=envelope.rcpt_tos[0], subject=str(message["Subject"]), text=_text(message))
        )
    return emails


def _text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text/plain part")


@dataclass
class Month:
    """One simulated deployment: its settings, config, replay server and clock."""

    settings: Settings
    config: Config
    server: ReplayServer
    travel: TimeTravel
    clock: SimClock
    runs: list[date] = field(default_factory=list)

    def live(self, day: date, *, email: bool = True) -> list[str]:
        """The daily job for list date ``day``, at its scheduled moment; returns the statuses."""
        moment = run_moment(day)
        self.clock.at = moment
        self.travel.now = moment
        with self.context() as ctx:
            jobs = daily_jobs(ctx, day)
            outcomes = [_collect(ctx, job) for job in jobs]
            periods = digest_periods(day, jobs, outcomes)
            dailies = [p for p in periods if p.edition == "daily"]
            for period in periods:
                mail = email and (
                    period is (dailies[-1] if dailies else None) or period.edition == "weekly"
                )
                deliver(ctx, period, email=mail)
        self.runs.append(day)
        return [o.status for o in outcomes]

    def backfill(self, days: Iterable[date]) -> None:
        """Fetch ``days`` at the current moment, then deliver each to the archive in order."""
        days = list(days)
        with self.context() as ctx:
            for day in days:
                _collect(ctx, Job(source="hf-daily", period=day, reason="backfill"))
        for day in days:
            with self.context() as ctx:
                deliver_archive(ctx, period_for("daily", day))

    def context(self) -> Context:
        """A run's context, as each command of this life opens one."""
        return context(self.settings, self.config)

    def announced(self, reader: str = ARCHIVE) -> dict[str, str]:
        """``{arxiv_id: digest key}`` of every paper announced to ``reader`` as new."""
        from sqlalchemy import text

        engine = repository(self.settings.database_url).engine
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT arxiv_id, new_digest FROM shown "
                    "WHERE recipient = :r AND new_at IS NOT NULL"
                ),
                {"r": reader},
            )
            return {arxiv_id: key for arxiv_id, key in rows}


def _collect(ctx: Context, job: Job) -> SourceOutcome:
    try:
        return collect(ctx, job)
    except PaperpulseError as exc:
        return failed_outcome(job, exc)


def listing_ids(data: Path, day: date) -> list[str]:
    path = data / f"{day.isoformat()}.json"
    if not path.exists():
        return []
    from paperpulse.scrapers.hf_daily import parse_api_payload
    from paperpulse.scrapers.hf_items import as_mapping

    raw, _ = parse_api_payload(path.read_bytes(), url=str(path), requested_date=None)
    return [
        str(as_mapping(item, source="t", url="t", where="item")["paper"]["id"])  # type: ignore[index]
        for item in raw
    ]


def write_synthetic_month(folder: Path, first: date, days: int) -> None:
    """Our own month of HF Daily Papers: weekdays list 4-7 papers, weekends none; titles name
    language models or vision so two readers' topics split them."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(days):
        day = first + timedelta(days=n)
        if day.weekday() >= 5:
            continue
        items = []
        for k in range(4 + n % 4):
            arxiv_id = f"{day:%y%m}.{10000 + day.day * 100 + k:05d}"
            subject = "language model" if k % 2 == 0 else "vision transformer"
            items.append(
                {
                    "paper": {
                        "id": arxiv_id,
                        "title": f"A {subject} study number {k} of {day:%d %B}",
                        "summary": f"We study a {subject}. It works on day {day}.",
                        "authors": [{"name": f"Author {k}"}, {"name": "Ada Lovelace"}],
                        "publishedAt": f"{day - timedelta(days=1)}T12:00:00.000Z",
                        "upvotes": 30 + 17 * k + n,
                    },
                    "title": f"A {subject} study number {k} of {day:%d %B}",
                    "numComments": k,
                    "publishedAt": f"{day}T08:00:00.000Z",
                }
            )
        (folder / f"{day.isoformat()}.json").write_text(json.dumps(items), encoding="utf-8")
