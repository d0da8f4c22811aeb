"""A reader's email as delivered to the outbox: the footer's unsubscribe is the header's, the
footer names the reader's topics, and the archive links point into its public web view."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from paperpulse.app.deliver import deliver
from paperpulse.config.file import (
    ArchiveConfig,
    Config,
    EmailConfig,
    RecipientConfig,
    TopicConfig,
)
from paperpulse.config.settings import Settings
from paperpulse.digest.calendar import period_for
from paperpulse.digest.email_message import footer_unsubscribe
from tests.contexts import context
from tests.flows.month import SimClock
from tests.flows.test_archive_publish import DAYS, at, observe

WEB = "https://github.com/example/papers/blob/main"
UNSUBSCRIBE = "https://example.org/unsubscribe?list=daily"


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "outbox"


def test_the_delivered_email_links_its_footer_and_the_archive(tmp_path: Path, outbox: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        archive_dir=tmp_path / "archive",
        clock=SimClock(at(DAYS[0])),
        outbox_dir=outbox,
    )
    config = Config(
        topics=(
            TopicConfig(name="Decoding", include=("decoding",)),
            TopicConfig(name="Robotics", include=("robot",)),
        ),
        email=EmailConfig(
            unsubscribe=UNSUBSCRIBE,
            recipients=(RecipientConfig(address="ada@example.org", topics=("Robotics",)),),
        ),
        archive=ArchiveConfig(web_url=WEB),
    )
    observe(settings, DAYS[0])
    outcomes = deliver(context(settings, config), period_for("daily", DAYS[0]))
    assert [(o.channel, o.status) for o in outcomes] == [("archive", "sent"), ("outbox", "sent")]
    [eml] = outbox.rglob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert f'href="{UNSUBSCRIBE}"' in html and f"Unsubscribe: {UNSUBSCRIBE}" in text
    assert "You receive the daily digest for Robotics." in text
    digest = f"{WEB}/2026/11/2026-11-19.md"
    assert f'href="{digest}"' in html and f"Read it in the archive: {digest}" in text
    assert f'href="{WEB}/README.md"' in html and f"All digests: {WEB}/README.md" in text


def test_the_footer_shows_the_https_target_when_there_is_one() -> None:
    both = ["mailto:leave@example.org?subject=unsubscribe", UNSUBSCRIBE]
    assert footer_unsubscribe(both) == UNSUBSCRIBE
    assert footer_unsubscribe(both[0]) == both[0]
