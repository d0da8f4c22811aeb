"""Chat and push channels through Apprise, against a real HTTP endpoint on 127.0.0.1."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import pytest

from paperpulse.core.errors import DeliveryError
from paperpulse.core.redaction import redact, url_secrets
from paperpulse.delivery.chat import send_chat
from tests.delivery.webhook import Webhook, webhook

SECRET = "xoxb-5f1e9c2d7a-very-secret"


@pytest.fixture
def hook() -> Iterator[Webhook]:
    with webhook() as endpoint:
        yield endpoint


def test_one_message_reaches_the_endpoint(hook: Webhook) -> None:
    send_chat(
        hook.url(SECRET), title="paperpulse · Daily", body="1. [A](https://x.org)", name="lab"
    )
    [got] = hook.received
    assert got["title"] == "paperpulse · Daily"
    assert "[A](https://x.org)" in got["message"]
    assert got["path"] == f"/hooks/{SECRET}"
    assert got["auth"] == "Basic " + base64.b64encode(f"bot:{SECRET}".encode()).decode()


def test_a_refusing_service_is_a_one_line_error_without_the_secret(
    hook: Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    hook.status = 500
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DeliveryError) as failure:
        send_chat(hook.url(SECRET), title="t", body="b", name="lab")
    message = str(failure.value)
    assert message.startswith("channel lab: not delivered (") and "next run retries" in message
    assert "\n" not in message
    assert len(hook.received) == 1  # tried once, not hammered
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged, "Apprise said nothing: the redaction was not exercised"
    for text in (message, logged):
        assert SECRET not in text and "very-secret" not in text


def test_an_unknown_scheme_names_the_channel_not_the_url() -> None:
    with pytest.raises(DeliveryError, match=r"^channel lab: its URL is not one Apprise") as bad:
        send_chat(f"nosuchservice://{SECRET}@example.org", title="t", body="b", name="lab")
    assert SECRET not in str(bad.value)


def test_redact_masks_the_url_and_its_long_parts() -> None:
    url = f"slack://T0001/B0002/{SECRET}"
    assert url_secrets(url)[0] == url
    assert redact(f"posting to {url} failed; token {SECRET}", url_secrets(url)) == (
        "posting to *** failed; token ***"
    )
    assert redact("nothing secret here", url_secrets(url)) == "nothing secret here"
