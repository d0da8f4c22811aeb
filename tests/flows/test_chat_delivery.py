"""Chat channels in the delivery loop: a real SQLite ledger, a real git archive and a real HTTP
endpoint; exactly one message per digest across reruns, retried after a failure."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperpulse.app.deliver import deliver
from paperpulse.config.file import ArchiveConfig, ChannelConfig, Config, TopicConfig
from paperpulse.config.settings import Settings
from paperpulse.core.models import Author, Listing, ListingItem, Paper
from paperpulse.digest.calendar import period_for
from tests.contexts import context, repository
from tests.delivery.webhook import Webhook, webhook
from tests.flows.month import SimClock
from tests.storage.builders import start_run

DAY = date(2026, 11, 20)
T = datetime(2026, 11, 20, 18, tzinfo=UTC)
SECRET = "T0SECRET-B0SECRET-abcdefghijkl"
ENV = "PAPERPULSE_TEST_CHAT_URL"
CONFIG = Config(
    topics=(TopicConfig(name="Decoding", include=("decoding",)),),
    channels=(ChannelConfig(name="lab-slack", url_env=ENV, top=2),),
    archive=ArchiveConfig(web_url="https://github.com/example/papers/blob/main/"),
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        archive_dir=tmp_path / "archive",
        clock=SimClock(T),
    )
    papers = [
        Paper(
            arxiv_id=f"2611.0000{n}",
            title=f"Speculative decoding trick {n}" if n % 2 else f"Robot arm {n}",
            authors=(Author(name="Ada Lovelace"),),
            ai_summary=f"Summary {n}.",
        )
        for n in range(1, 5)
    ]
    listing = Listing(
        source="hf-daily",
        period=DAY.isoformat(),
        url="u",
        fetched_at=T,
        items=tuple(
            ListingItem(paper=p, rank=i + 1, upvotes=10 * (5 - i)) for i, p in enumerate(papers)
        ),
    )
    repo = repository(settings.database_url)
    repo.save_listing(
        start_run(repo, "hf-daily", DAY.isoformat(), "u", T), listing, T, finished_at=T
    )
    return settings


@pytest.fixture
def hook() -> Iterator[Webhook]:
    with webhook() as endpoint:
        yield endpoint


def wired(settings: Settings, hook: Webhook) -> Settings:
    """The channel's URL as ``from_environment`` passes it: by its ``url_env`` name."""
    return replace(settings, channel_urls={ENV: hook.url(SECRET)})


def test_one_message_per_digest_across_reruns(
    settings: Settings, hook: Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = wired(settings, hook)
    period = period_for("daily", DAY)
    first = deliver(context(settings, CONFIG), period)
    second = deliver(context(settings, CONFIG), period)

    assert [(o.channel, o.status) for o in first] == [("archive", "sent"), ("chat", "sent")]
    assert [(o.channel, o.status) for o in second] == [
        ("archive", "unchanged"),
        ("chat", "skipped"),
    ]
    [message] = hook.received
    assert message["title"] == "paperpulse · Daily Papers · Friday 20 November 2026"
    lines = message["message"].splitlines()
    assert lines[0] == "4 papers · 4 new · 0 rising"
    assert lines[1].startswith("1. [Speculative decoding trick") and "2611.00001)" in lines[1]
    assert lines[2].startswith("2. ")  # top = 2
    assert lines[3] == (
        "[The whole digest](https://github.com/example/papers/blob/main/2026/11/2026-11-20.md)"
    )
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "127.0.0.1" in logged or "json" in logged.lower()  # Apprise did log the send
    assert SECRET not in logged and all(SECRET not in o.detail for o in first + second)


def test_a_failed_send_is_retried_by_the_next_run_and_sent_once(
    settings: Settings, hook: Webhook
) -> None:
    settings = wired(settings, hook)
    period = period_for("daily", DAY)
    hook.status = 503
    failed = deliver(context(settings, CONFIG), period)[-1]
    assert failed.status == "failed" and failed.detail.startswith("channel lab-slack: not ")
    assert SECRET not in failed.detail and "\n" not in failed.detail

    hook.status = 200
    assert deliver(context(settings, CONFIG), period)[-1].status == "sent"
    assert deliver(context(settings, CONFIG), period)[-1].status == "skipped"
    assert len(hook.received) == 2  # the refused attempt and the one that went through
    [state] = repository(settings.database_url).delivered("lab-slack", prefix="daily/2026-11-20")
    assert state.channel == "chat" and state.status == "sent" and state.attempts == 2


def test_a_missing_secret_fails_in_one_line_and_sends_nothing(
    settings: Settings, hook: Webhook
) -> None:
    outcome = deliver(context(settings, CONFIG), period_for("daily", DAY))[-1]
    assert outcome.status == "failed"
    assert outcome.detail == (
        f"channel lab-slack: environment variable {ENV} is not set; "
        "set it to the channel's Apprise URL (e.g. slack://...)"
    )
    assert hook.received == []


def test_channels_are_validated_on_load(tmp_path: Path) -> None:
    from paperpulse.config.file import load_config
    from paperpulse.core.errors import ConfigError

    path = tmp_path / "paperpulse.toml"
    path.write_text('[[channels]]\nname = "x"\nurl = "json://a"\nurl_env = "B"\n', "utf-8")
    with pytest.raises(ConfigError, match=r"channels\.0: .*give url_env .* or url, exactly one"):
        load_config(path)
