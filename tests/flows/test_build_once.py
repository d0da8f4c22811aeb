"""Build once, deliver many: an edition's shared data is read once per period, however many
readers get it; each reader costs only their own ledger (docs/digest-semantics.md unchanged).

Every call of the repository's reads is counted (the class's methods wrapped) while a real
``deliver`` writes the archive and each reader's email to an outbox, with 1 and with 5 readers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any

import pytest

from paperpulse.app.deliver import deliver
from paperpulse.config.file import (
    AuthorConfig,
    Config,
    EmailConfig,
    RecipientConfig,
    TopicConfig,
)
from paperpulse.config.settings import Settings
from paperpulse.core.kinds import DeliveryStatus
from paperpulse.digest.calendar import period_for
from paperpulse.storage.repository import Repository
from tests.contexts import context, repository
from tests.storage.builders import T0, save_a_digest_day

DAY = T0.date()
H = timedelta(hours=1)
# What every reader's edition shares: the listings, rising pool, papers, sightings, search hits,
# failing sources, followed authors' papers and profiles.
SHARED = (
    "runs",
    "runs_of",
    "first_starts_after",
    "listing_items",
    "listed_on",
    "papers",
    "sightings",
    "ids_in_runs",
    "first_seen",
    "author_profiles",
)
# Each reader's own: their ledger, their previous digest, their deliveries, their health window.
PER_READER = ("shown", "last_digest_moment", "claim_delivery", "runs_between")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    counted: Counter[str] = Counter()

    def counting(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(method)
        def call(self: Repository, *args: Any, **kwargs: Any) -> Any:
            counted[name] += 1
            return method(self, *args, **kwargs)

        return call

    for name in SHARED + PER_READER:
        monkeypatch.setattr(Repository, name, counting(name, getattr(Repository, name)))
    yield counted


def _deliver(tmp_path: Path, readers: int, calls: Counter[str]) -> Counter[str]:
    folder = tmp_path / f"readers-{readers}"
    settings = Settings(
        database_url=f"sqlite:///{folder / 'db.sqlite'}",
        archive_dir=folder / "archive",
        outbox_dir=folder / "outbox",
    )
    config = Config(
        topics=(
            TopicConfig(name="Agents", include=("paper",), hf_queries=("agents",)),
            TopicConfig(name="Other", include=("nothing matches this",)),
        ),
        authors=(AuthorConfig(name="Ada Lovelace"),),
        email=EmailConfig(
            recipients=tuple(
                RecipientConfig(address=f"r{n}@example.org", topics=("Agents",) if n else ())
                for n in range(readers)
            )
        ),
    )
    repo = repository(settings.database_url)
    save_a_digest_day(repo)
    calls.clear()
    outcomes = deliver(context(settings, config), period_for("daily", DAY))
    assert [(o.channel, o.status) for o in outcomes] == [("archive", DeliveryStatus.SENT)] + [
        ("outbox", DeliveryStatus.SENT)
    ] * readers
    assert len(list((folder / "outbox").rglob("*.eml"))) == readers
    return Counter(calls)


def test_shared_reads_do_not_grow_with_readers(tmp_path: Path, calls: Counter[str]) -> None:
    one = _deliver(tmp_path, 1, calls)
    five = _deliver(tmp_path, 5, calls)
    shared = {name: (one[name], five[name]) for name in SHARED}
    assert all(a == b for a, b in shared.values()), shared
    assert sum(one[name] for name in SHARED) > 0  # the shared reads were really counted
    # Each reader (and the archive, its own reader) reads their own ledger once.
    assert (one["shown"], five["shown"]) == (2, 6)
    assert (one["last_digest_moment"], five["last_digest_moment"]) == (2, 6)


def test_a_password_in_a_prefect_secret_is_loaded_once_per_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not once per reader: each load is a call to the Prefect API. The send is recorded, not
    made (the real SMTP path, password and TLS rules are tested in tests/delivery)."""
    from prefect.blocks.system import Secret

    from paperpulse.app import deliver as delivering
    from paperpulse.delivery.smtp import SmtpSettings

    loads: list[str] = []
    sent: list[tuple[str, str | None]] = []

    class Loaded:
        def get(self) -> str:
            return "s3cret"

    def load(name: str, *args: object, **kwargs: object) -> Loaded:
        loads.append(name)
        return Loaded()

    def send(message: Any, smtp: SmtpSettings) -> str:
        sent.append((str(message["To"]), smtp.password))
        return str(message["Message-ID"])

    monkeypatch.setattr(Secret, "load", load)
    monkeypatch.setattr(delivering, "send", send)
    settings = Settings.from_env(
        {
            "PAPERPULSE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "PAPERPULSE_ARCHIVE_DIR": str(tmp_path / "archive"),
            "PAPERPULSE_SMTP_HOST": "127.0.0.1",
            "PAPERPULSE_SMTP_SECURITY": "starttls",
            "PAPERPULSE_SMTP_USER": "paperpulse",
            "PAPERPULSE_SMTP_PASSWORD_BLOCK": "smtp-password",
        }
    )
    readers = tuple(RecipientConfig(address=f"r{n}@example.org") for n in range(3))
    save_a_digest_day(repository(settings.database_url))
    deliver(
        context(settings, Config(email=EmailConfig(recipients=readers))), period_for("daily", DAY)
    )
    assert loads == ["smtp-password"]
    assert sorted(sent) == [(r.address, "s3cret") for r in readers]
