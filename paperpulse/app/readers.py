"""Who the readers are, wherever a command or a file names one.

A reader is ``archive`` (the archive's digest), a configured recipient (or one named by
``PAPERPULSE_MAIL_TO``), or a chat channel (``chat:<name>``). A name is matched without case
(``Ada@Example.org`` is ``ada@example.org``) and answered with the configured spelling, so
likes and hides land on the ledger the digest reads; an unknown name is refused, never
recorded for a reader who gets no digest.
"""

from __future__ import annotations

from paperpulse.config.file import Config
from paperpulse.config.settings import Settings
from paperpulse.core.errors import ConfigError

ARCHIVE = "archive"


def mailbox_key(address: str) -> str:
    """What two spellings of one mailbox share: the domain is case-insensitive (RFC 5321),
    and so, at every mainstream provider, is the local part."""
    return address.strip().casefold()


def known_readers(settings: Settings, config: Config) -> dict[str, str]:
    """``mailbox_key`` -> the configured spelling (the first, where one is given twice)."""
    addresses = list(settings.mail_to) or [r.address for r in config.email.recipients]
    names = [ARCHIVE, *addresses, *(f"chat:{c.name}" for c in config.channels)]
    readers: dict[str, str] = {}
    for name in names:
        readers.setdefault(mailbox_key(name), name)
    return readers


def resolve_reader(name: str, readers: dict[str, str]) -> str:
    """The configured spelling of reader ``name``; ConfigError naming the readers if unknown."""
    found = readers.get(mailbox_key(name)) if name.isprintable() else None
    if found is None:
        listed = ", ".join(sorted(readers.values())[:10])
        raise ConfigError(
            f"unknown reader {name[:80]!r}: name one of {listed} (recipients come from "
            "paperpulse.toml [[email.recipients]] or PAPERPULSE_MAIL_TO)"
        )
    return found
