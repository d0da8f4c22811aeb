"""The .eml outbox: file naming, atomic replacement, clear errors."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest

from paperpulse.core.errors import DeliveryError
from paperpulse.delivery.outbox import outbox_filename, write_to_outbox
from paperpulse.digest.email_message import build_message
from tests.digest_builders import render_sample


def compose(recipient: str = "alice@example.org", papers: int = 2) -> email.message.EmailMessage:
    return build_message(
        render_sample(papers, None),
        sender="digest@example.org",
        recipient=recipient,
        list_id="daily.paperpulse.example.org",
        unsubscribe="https://example.org/u",
        message_id_domain="example.org",
        date=datetime(2024, 8, 1, tzinfo=UTC),
    )


def test_writes_one_parseable_eml_per_digest_and_recipient(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    message = compose()

    path = write_to_outbox(message, outbox, key="daily/2024-08-01")

    assert path == outbox / "daily-2024-08-01__alice@example.org.eml"
    assert path.read_bytes() == message.as_bytes(policy=policy.SMTP)
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == message["Message-ID"]
    assert [p.name for p in outbox.iterdir()] == [path.name]  # no temporary file left


def test_rewriting_replaces_the_file_and_other_recipients_get_their_own(tmp_path: Path) -> None:
    first = write_to_outbox(compose(papers=2), tmp_path, key="daily/2024-08-01")
    again = write_to_outbox(compose(papers=5), tmp_path, key="daily/2024-08-01")
    bob = write_to_outbox(compose("Bob <bob@example.org>"), tmp_path, key="daily/2024-08-01")

    assert first == again
    assert again.read_bytes() == compose(papers=5).as_bytes(policy=policy.SMTP)
    assert bob.name == "daily-2024-08-01__bob@example.org.eml"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, bob.name])


@pytest.mark.parametrize(
    ("key", "recipient", "expected"),
    [
        ("weekly/2024-W31", "a.b+c@example.org", "weekly-2024-W31__a.b+c@example.org.eml"),
        ("../../etc/passwd", "x@y.org", "etc-passwd__x@y.org.eml"),
        # An address the name cannot hold as it is gets a hash of itself (never shared).
        ("daily/2024-08-01", "../../x@y.org", "daily-2024-08-01__x@y.org-e9536936.eml"),
        ("", "", "unnamed__unnamed-e3b0c442.eml"),
    ],
)
def test_file_names_are_safe(key: str, recipient: str, expected: str) -> None:
    assert outbox_filename(key, recipient) == expected


def test_an_unwritable_outbox_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")

    with pytest.raises(DeliveryError, match=r"make .* writable"):
        write_to_outbox(compose(), blocker / "outbox", key="daily/2024-08-01")


def test_several_to_addresses_need_an_explicit_recipient(tmp_path: Path) -> None:
    message = compose()
    del message["To"]
    message["To"] = "alice@example.org, bob@example.org"

    with pytest.raises(DeliveryError, match="pass recipient="):
        write_to_outbox(message, tmp_path, key="daily/2024-08-01")
    path = write_to_outbox(message, tmp_path, key="daily/2024-08-01", recipient="team@example.org")
    assert path.name == "daily-2024-08-01__team@example.org.eml"


def test_addresses_that_read_alike_never_share_a_file(tmp_path: Path) -> None:
    """Issue 25: ``a!b@`` and ``a#b@`` both read ``a-b@``; one email was lost."""
    names = {
        outbox_filename("daily/2024-08-01", a) for a in ("a!b@x.org", "a#b@x.org", "a-b@x.org")
    }
    assert len(names) == 3
    assert "daily-2024-08-01__a-b@x.org.eml" in names  # a plain address keeps its plain name
