"""A month in the life of two readers: every digest and email tells the truth, day after day.

30 consecutive list dates, each digested at 06:00 UTC the next morning, with upvotes growing
between runs along the replay's curves and two papers surging days after their listing. Two
readers follow different topics through a real SMTP server; the archive is a real git
repository. The machine is off for a week in the middle (one catch-up email each, no weekend
emails), HF fails for two runs (healed the next day). Then the same month is rebuilt from a
backfill and must agree with the lived one. On SQLite and PostgreSQL, on real captures
(../shared/data, skipped when absent) and on a month of our own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from paperpulse.config.file import Config, load_config
from paperpulse.config.settings import Settings
from paperpulse.delivery.smtp import SmtpSettings
from tests.delivery.conftest import RunningServer
from tests.flows.month import (
    RISING_REASON,
    Email,
    Month,
    SimClock,
    listing_ids,
    received,
    run_moment,
    write_synthetic_month,
)
from tests.replay import ReplayServer, TimeTravel

READERS = {"ada@example.org": "Language models", "alan@example.org": "Vision"}
CONFIG = """
[sources]
hf_search = false

[[topics]]
name = "Language models"
include = ["language model", "LLM", "reasoning"]

[[topics]]
name = "Vision"
include = ["vision", "image", "video", "diffusion"]

[email]
from = "digest@paperpulse.test"
list_id = "daily.paperpulse.test"

[[email.recipients]]
address = "ada@example.org"
topics = ["Language models"]

[[email.recipients]]
address = "alan@example.org"
topics = ["Vision"]

[archive]
author_name = "paperpulse bot"
author_email = "bot@paperpulse.test"
"""
MISSED = range(12, 18)  # no runs for these list dates (the machine was off for a week)
FAILING = (5, 6)  # HF answers 404 to every request during these runs
DAYS = 30


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """A factory of fresh, empty databases on the backend under test (URL by name)."""
    if request.param == "sqlite":
        yield lambda name: f"sqlite:///{tmp_path / name}.db"
        return
    from paperpulse.storage import create_engine
    from tests.contexts import close_all
    from tests.storage.conftest import _drop_schema, _in_schema, _new_schema, _postgres_url

    admin = create_engine(_postgres_url())
    schemas: list[str] = []
    urls: list[str] = []

    def new(name: str) -> str:
        schemas.append(_new_schema(admin))
        urls.append(_in_schema(_postgres_url(), schemas[-1]).render_as_string(hide_password=False))
        return urls[-1]

    try:
        yield new
    finally:
        close_all()  # release the connections before DROP SCHEMA
        for schema in schemas:
            _drop_schema(admin, schema)
        admin.dispose()


@pytest.fixture(params=["ours", "real"])
def data(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, date]:
    if request.param == "ours":
        folder = tmp_path / "days"
        write_synthetic_month(folder, date(2025, 3, 3), DAYS + 1)
        return folder, date(2025, 3, 3)
    shared: Path = request.getfixturevalue("shared_data")
    return shared / "hf_api_daily", date(2024, 8, 1)


def _month(
    data: Path, first: date, database: str, tmp: Path, smtp: RunningServer | None, name: str
) -> Iterator[Month]:
    config_path = tmp / f"{name}.toml"
    config_path.write_text(CONFIG, encoding="utf-8")
    config: Config = load_config(config_path)
    clock = SimClock(run_moment(first))
    travel = TimeTravel(now=clock.at)
    ids = {d: listing_ids(data, d) for d in (first + timedelta(days=n) for n in range(DAYS))}
    # Two papers surge days after their listing: the second-listed of day 3 and of day 8.
    for n, after in ((2, 4), (7, 3)):
        day_ids = ids[first + timedelta(days=n)]
        if len(day_ids) > 1:
            travel.surges[day_ids[1]] = (after, 80)
    mail = None if smtp is None else SmtpSettings(host="127.0.0.1", port=smtp.port, security="none")
    with ReplayServer(data, timeline=travel) as server:
        settings = Settings(
            database_url=database,
            archive_dir=tmp / name / "archive",
            hf_url=server.url,
            hf_min_interval=0.0,
            clock=clock,
            smtp=mail,
            outbox_dir=tmp / name / "outbox",
        )
        yield Month(settings=settings, config=config, server=server, travel=travel, clock=clock)


@pytest.fixture
def smtp_env(smtp: RunningServer) -> RunningServer:
    """The readers' SMTP server (passed in the month's ``Settings.smtp``)."""
    return smtp


def test_a_month_in_the_life_of_two_readers(
    data: tuple[Path, date],
    databases: Callable[[str], str],
    tmp_path: Path,
    smtp_env: RunningServer,
) -> None:
    folder, first = data
    days = [first + timedelta(days=n) for n in range(DAYS)]
    listed = {d: listing_ids(folder, d) for d in days}
    emails_by_run: dict[date, list[Email]] = {}
    gen = _month(folder, first, databases("lived"), tmp_path, smtp_env, "lived")
    month = next(gen)
    try:
        for n, day in enumerate(days):
            if n in MISSED:
                continue
            before = len(smtp_env.handler.received)
            month.server.faults.fail_dates = (
                {d.isoformat(): 404 for d in days} if n in FAILING else {}
            )
            month.live(day)
            emails_by_run[day] = received(smtp_env, before)
            _check_emails(month, emails_by_run[day], listed, day)
        lived = _archive_days(month, days, listed)
        lived_new = month.announced()
    finally:
        gen.close()

    _check_the_readers_month(emails_by_run, listed, days)

    # The same month rebuilt from a backfill at its end agrees with the lived one.
    gen = _month(folder, first, databases("rebuilt"), tmp_path, None, "rebuilt")
    rebuilt_month = next(gen)
    try:
        rebuilt_month.clock.at = run_moment(days[-1])
        rebuilt_month.travel.now = rebuilt_month.clock.at
        rebuilt_month.backfill(days)
        rebuilt = _archive_days(rebuilt_month, days, listed)
        assert rebuilt == lived
        assert rebuilt_month.announced() == lived_new
    finally:
        gen.close()


def _check_emails(
    month: Month, emails: list[Email], listed: dict[date, list[str]], day: date
) -> None:
    """Every email of one run: header counts equal what it shows, its day papers are exactly
    the listings of the days it covers, each rising number is the replay's."""
    for email in emails:
        items = email.items()
        shown = {i for _, i, _ in items}
        papers, new, rising = email.header()
        assert papers == len(shown), email.subject
        assert new == len(set(email.new_ids())), email.subject
        rising_items = [(i, t) for s, i, t in items if s == "Rising"]
        assert rising == len(rising_items)
        day_papers = {i for s, i, _ in items if s != "Rising"}
        assert day_papers <= {i for d in listed if d <= day for i in listed[d]}, email.subject
        for arxiv_id, text in rising_items:
            match = RISING_REASON.search(text)
            assert match, text
            gain, _, before, now = (match.group(k).replace(",", "") for k in (1, 2, 3, 4))
            assert int(gain) == int(now) - int(before) >= 10
            listed_on = next(d for d, ids in listed.items() if arxiv_id in ids)
            assert int(now) == _replay_upvotes(month, arxiv_id, listed_on), text


def _replay_upvotes(month: Month, arxiv_id: str, day: date) -> int:
    item = next(i for i in month.server.day_items(day.isoformat()) if i["paper"]["id"] == arxiv_id)
    return int(item["paper"]["upvotes"])


def _check_the_readers_month(
    emails_by_run: dict[date, list[Email]], listed: dict[date, list[str]], days: list[date]
) -> None:
    by_reader: dict[str, list[Email]] = defaultdict(list)
    for emails in emails_by_run.values():
        for email in emails:
            by_reader[email.to].append(email)
    assert set(by_reader) == set(READERS)
    weekday_days = {d for d in days if listed[d]}
    for reader, emails in by_reader.items():
        announced = Counter(i for e in emails for i in e.new_ids())
        twice = [i for i, n in announced.items() if n > 1]
        assert not twice, f"{reader} was told these were new more than once: {twice}"
        # Every listed paper reached the reader once as a paper of its day (in that day's
        # email or a catch-up), and no paper of the day came twice.
        as_day_paper = Counter(i for e in emails for s, i, _ in e.items() if s != "Rising")
        expected = {i for d in weekday_days for i in listed[d]}
        assert set(as_day_paper) == expected, sorted(set(as_day_paper) ^ expected)[:5]
        assert max(as_day_paper.values()) == 1
        # At most one email per run, none for a weekend alone.
        runs_with_mail = [d for d, es in emails_by_run.items() for e in es if e.to == reader]
        assert len(runs_with_mail) == len(set(runs_with_mail))
        assert not any(d.weekday() == 5 for d in runs_with_mail)  # Saturday's list is empty
    # The run after the missed week sent one catch-up email per reader.
    after_gap = next(d for d in sorted(emails_by_run) if (d - days[0]).days >= max(MISSED))
    catch_ups = emails_by_run[after_gap]
    assert sorted(e.to for e in catch_ups) == sorted(READERS)
    assert all("catch-up" in e.subject or "catch-up" in e.text for e in catch_ups)
    rising = sum(
        1 for es in emails_by_run.values() for e in es for s, _, _ in e.items() if s == "Rising"
    )
    assert rising > 0, "upvotes grew all month, yet nobody was told anything is rising"


def _archive_days(
    month: Month, days: list[date], listed: dict[date, list[str]]
) -> dict[date, set[str]]:
    """Each archived day's papers of the day (every section but Rising), checked against the
    listing: all of them and no others."""
    import re

    found: dict[date, set[str]] = {}
    for day in days:
        path = month.settings.archive_dir / f"{day:%Y/%m/%Y-%m-%d}.md"
        if not path.exists():
            assert not listed[day], f"{day} has papers but no archive file"
            continue
        text = path.read_text(encoding="utf-8")
        sections = re.split(r"^## ", text, flags=re.M)
        ids = {
            i
            for section in sections[1:]
            if not section.startswith("Rising")
            for i in re.findall(r"huggingface\.co/papers/(\d{4}\.\d{4,5})", section)
        }
        assert ids == set(listed[day]), f"{day}: {sorted(ids ^ set(listed[day]))[:5]}"
        found[day] = ids
    return found
