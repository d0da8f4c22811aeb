"""The web application's world: a database (a SQLite file, or a PostgreSQL schema of its
own), the For you test pool stored as two days' listings, two readers with a library, and the
settings and config deliveries and the web share. Emails go to an outbox as ``.eml`` files."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from paperpulse.app.deliver import DeliveryOutcome, deliver
from paperpulse.config.file import (
    ArchiveConfig,
    Config,
    EmailConfig,
    RecipientConfig,
    TopicConfig,
    WebConfig,
)
from paperpulse.config.settings import Settings
from paperpulse.core.models import Paper
from paperpulse.digest.calendar import period_for
from paperpulse.web.app import create_app
from tests.contexts import close_all, context, repository
from tests.digest.foryou_pool import pool
from tests.flows.month import SimClock
from tests.storage.builders import make_listing, save
from tests.storage.conftest import pg_admin  # noqa: F401 - the PostgreSQL variant's fixture

DAY = date(2026, 8, 3)
NEXT = DAY + timedelta(days=1)
LIBRARY = Path(__file__).resolve().parents[1] / "fixtures" / "library" / "library.ris"
READERS = ("ada@example.org", "alan@example.org")
BASE_URL = "https://papers.example.org"
HOSTILE = "<script>alert('pwned')</script> & <b>Robot</b> \u202e arm"


def moment(day: date) -> datetime:
    """When the schedule delivers list date ``day``: 06:00 UTC the next morning."""
    return datetime.combine(day + timedelta(days=1), time(6), UTC)


def papers_of(day: date) -> list[Paper]:
    """The pool listed on ``day``; on the next day the same papers again (ranked the other
    way, so they are sighted, and rise) plus a hostile title."""
    papers = [replace(p, list_date=day) for p in pool()]
    if day == NEXT:
        papers = [*papers[::-1], Paper(arxiv_id="2408.99999", title=HOSTILE, list_date=day)]
    return papers


@dataclass
class World:
    settings: Settings
    config: Config
    tmp: Path

    @property
    def outbox(self) -> Path:
        return self.settings.outbox_dir

    def store(self, day: date, upvotes: int = 10) -> None:
        listing = make_listing(papers_of(day), period=day.isoformat(), upvotes=upvotes)
        save(repository(self.settings.database_url), listing, moment(day) - timedelta(hours=2))

    def deliver(self, day: date) -> list[DeliveryOutcome]:
        self.settings.clock.at = moment(day)  # type: ignore[attr-defined]
        return deliver(context(self.settings, self.config), period_for("daily", day))

    def emails(self, reader: str, day: date) -> list[EmailMessage]:
        found = []
        for path in sorted(self.outbox.rglob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(message, EmailMessage)
            if message["To"] == reader and day.isoformat() in str(message["Subject"]):
                found.append(message)
        return found

    def email(self, reader: str, day: date) -> EmailMessage:
        [message] = self.emails(reader, day)
        return message


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def make_config(base_url: str) -> Config:
    return Config(
        topics=(
            TopicConfig(name="Robots", include=("robot",)),
            TopicConfig(name="Speech", include=("speech",)),
        ),
        email=EmailConfig(
            recipients=tuple(
                RecipientConfig(address=r, library=str(LIBRARY), editions=("daily", "weekly"))
                for r in READERS
            )
        ),
        archive=ArchiveConfig(git=False),
        web=WebConfig(base_url=base_url, rate_per_minute=1000),
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'paperpulse.db'}"
        return
    from tests.storage.conftest import _drop_schema, _in_schema, _new_schema, _postgres_url

    admin = request.getfixturevalue("pg_admin")
    schema = _new_schema(admin)
    yield _in_schema(_postgres_url(), schema).render_as_string(hide_password=False)
    close_all()  # the test process's engines hold connections to the schema: let them go first
    _drop_schema(admin, schema)


def make_world(tmp: Path, database_url: str, base_url: str = BASE_URL) -> World:
    settings = Settings(
        database_url=database_url,
        archive_dir=tmp / "archive",
        outbox_dir=tmp / "outbox",
        clock=SimClock(moment(DAY)),
    )
    world = World(settings=settings, config=make_config(base_url), tmp=tmp)
    world.store(DAY)
    return world


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> World:
    return make_world(tmp_path, database_url)


def call(world: World, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request through the ASGI app (no server, no network)."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(world.settings, world.config))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(go())


def unique() -> str:
    return uuid.uuid4().hex[:8]
