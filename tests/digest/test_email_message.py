"""Email composition: headers, header injection, CSS inlining, size (fitting: test_email_fit)."""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperpulse.core.errors import DeliveryError
from paperpulse.digest.email_message import (
    build_message,
)
from paperpulse.digest.escaping import header_safe
from paperpulse.digest.models import RenderedDigest
from tests.digest_builders import render_sample

OUR_HEADERS = {
    "Subject",
    "From",
    "To",
    "Date",
    "Message-ID",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
}
SENT_AT = datetime(2024, 8, 1, 6, 30, tzinfo=UTC)


def compose(rendered: RenderedDigest | None = None, **overrides: Any) -> EmailMessage:
    options: dict[str, Any] = {
        "sender": "paperpulse <digest@example.org>",
        "recipient": "alice@example.org",
        "list_id": "daily.paperpulse.example.org",
        "unsubscribe": "https://example.org/unsubscribe?token=abc",
        "message_id_domain": "example.org",
        "date": SENT_AT,
    }
    options.update(overrides)
    return build_message(rendered or render_sample(3, None), **options)


def reparse(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize(
    "subject",
    [
        "Daily\r\nBcc: victim@example.org",
        "Daily\nContent-Type: text/html\n\n<script>x</script>",
        "Daily\rX-Injected: yes",
        "Daily\x00\x1b[31m\u2028X-Injected: yes",
        # RFC 2047 encoded-words decoding to "Hi\r\nBcc: victim@example.org" and to a body.
        "Daily =?utf-8?b?SGkNCkJjYzogdmljdGltQGV4YW1wbGUub3Jn?=",
        "Daily =?utf-8?q?Hi=0D=0AX-Injected:_yes=0D=0A=0D=0A<script>?=",
    ],
)
def test_hostile_subjects_cannot_add_headers_or_body(subject: str) -> None:
    rendered = replace(render_sample(2, None), subject=subject)

    parsed = reparse(compose(rendered))

    assert set(parsed.keys()) == OUR_HEADERS
    assert "\n" not in parsed["Subject"] and "\r" not in parsed["Subject"]
    assert parsed["Subject"] == header_safe(subject) and parsed["Subject"].startswith("Daily")
    assert parsed.get_content_type() == "multipart/alternative"


@given(st.text(max_size=300))
def test_any_subject_round_trips_as_one_safe_header(subject: str) -> None:
    rendered = replace(render_sample(1, None), subject=subject)

    parsed = reparse(compose(rendered))

    assert set(parsed.keys()) == OUR_HEADERS
    assert parsed["Subject"] == (header_safe(subject) or rendered.key)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("recipient", "alice@example.org\r\nBcc: victim@example.org"),
        ("recipient", "alice@example.org\nX-Injected: yes"),
        ("recipient", "alice@example.org, victim@example.org"),
        ("recipient", "not-an-address"),
        ("recipient", "jörg@bücher.example"),  # SMTPUTF8 is not negotiated
        ("sender", "digest@example.org\r\nReply-To: evil@example.org"),
        ("list_id", "daily.example.org>\r\nX-Injected: yes"),
        ("list_id", "no spaces allowed.example.org"),
        ("unsubscribe", "https://example.org/u\r\nX-Injected: yes"),
        ("unsubscribe", "javascript:alert(1)"),
        ("unsubscribe", "http://example.org/u"),  # RFC 8058 requires https
        ("unsubscribe", "mailto:unsub@example.org>\r\nX: y"),
        ("message_id_domain", "example.org>\r\nX-Injected: yes"),
    ],
)
def test_hostile_header_inputs_are_refused(field: str, value: str) -> None:
    overrides: dict[str, Any] = {field: value}
    with pytest.raises(DeliveryError):
        compose(**overrides)


def test_message_id_is_stable_per_digest_and_recipient() -> None:
    first = compose()["Message-ID"]
    again = compose(date=SENT_AT + timedelta(hours=3))["Message-ID"]
    other_recipient = compose(recipient="bob@example.org")["Message-ID"]
    other_digest = compose(replace(render_sample(3, None), key="daily/2024-08-02"))["Message-ID"]

    assert first == again
    assert len({first, other_recipient, other_digest}) == 3
    assert first.startswith("<paperpulse.daily-2024-08-01.") and first.endswith("@example.org>")


def test_the_same_digest_composes_to_the_same_bytes() -> None:
    assert compose().as_bytes() == compose().as_bytes()


def test_date_is_utc_and_must_be_aware() -> None:
    paris = timezone(timedelta(hours=2))
    message = compose(date=datetime(2024, 8, 1, 8, 30, tzinfo=paris))
    assert message["Date"] == "Thu, 01 Aug 2024 06:30:00 +0000"
    with pytest.raises(DeliveryError, match="timezone-aware"):
        compose(date=datetime(2024, 8, 1, 6, 30))


def test_one_click_post_header_only_with_an_https_target() -> None:
    mail_only = compose(unsubscribe="mailto:unsubscribe@example.org?subject=stop")
    both = compose(unsubscribe=["https://example.org/u", "mailto:unsubscribe@example.org"])

    assert mail_only["List-Unsubscribe"] == "<mailto:unsubscribe@example.org?subject=stop>"
    assert "List-Unsubscribe-Post" not in mail_only
    assert both["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_css_is_inlined_and_media_queries_kept() -> None:
    rendered = RenderedDigest(
        key="daily/2024-08-01",
        subject="s",
        markdown="",
        text="hello",
        html=(
            "<html><head><style>p.lead { color: #333333; }"
            "@media (max-width: 600px) { p.lead { font-size: 12px; } }</style></head>"
            '<body><p class="lead">hello</p></body></html>'
        ),
    )

    html = compose(rendered).get_body(preferencelist=("html",))
    assert html is not None
    content = html.get_content()
    assert '<p class="lead" style="color: #333333;">hello</p>' in content
    assert "@media (max-width: 600px)" in content
    assert "p.lead { color" not in content  # the plain rule left the style block
