"""Runtime settings from the environment (the embedded defaults need none of them).

This module is the one place paperpulse reads its environment (``tests/test_architecture.py``
holds every other module to that): ``Settings.from_env`` reads the variables README.md lists,
``from_environment`` adds the config file they name and the chat URLs that file's channels
name (``url_env``). Everything else takes what it needs from a ``Settings``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from paperpulse.config.file import Config, load_config
from paperpulse.core.clock import SYSTEM_CLOCK, ShiftedClock, WallClock
from paperpulse.core.database import DEFAULT_DATABASE_URL
from paperpulse.core.errors import ConfigError
from paperpulse.delivery.smtp import SmtpSettings

DEFAULT_CONTACT = "https://github.com/paperpulse/paperpulse"
DEFAULT_HF_URL = "https://huggingface.co"
DEFAULT_ARXIV_URL = "https://arxiv.org"
DEFAULT_ARXIV_API_URL = "http://export.arxiv.org"
DEFAULT_S2_URL = "https://api.semanticscholar.org"
DEFAULT_ZOTERO_URL = "https://api.zotero.org"


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    archive_dir: Path = Path("archive")
    hf_url: str = DEFAULT_HF_URL
    arxiv_url: str = DEFAULT_ARXIV_URL
    arxiv_api_url: str = DEFAULT_ARXIV_API_URL
    semantic_scholar_url: str = DEFAULT_S2_URL
    hf_via: str = "api"  # "api" (default) or "html"
    contact: str | None = None  # else the config's contact, else DEFAULT_CONTACT
    hf_token: str | None = field(default=None, repr=False)  # never printed
    s2_api_key: str | None = field(default=None, repr=False)  # never printed
    # Seconds between HF requests at least; None: by HF's published limit (token or not).
    hf_min_interval: float | None = None
    # What time it is for runs, windows and the reader's ledger (tests live through a month).
    clock: WallClock = field(default=SYSTEM_CLOCK, compare=False, repr=False)
    config_file: Path | None = None  # PAPERPULSE_CONFIG; None: ./paperpulse.toml if present
    http_deadline: float = 120.0  # seconds for one request, connect to last byte
    # Email: None writes .eml files to ``outbox_dir`` instead (PAPERPULSE_SMTP_*).
    smtp: SmtpSettings | None = None
    # A Prefect Secret block holding the SMTP password, loaded only when mail is sent.
    smtp_password_block: str | None = None
    mail_to: tuple[str, ...] = ()  # overrides the config's recipients (PAPERPULSE_MAIL_TO)
    mail_from: str | None = None  # overrides ``[email] from``
    outbox_dir: Path = Path("outbox")
    zotero_api_key: str | None = field(default=None, repr=False)  # never printed
    zotero_url: str = DEFAULT_ZOTERO_URL
    # Chat channels' Apprise URLs by their ``url_env`` variable: tokens, never printed.
    channel_urls: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str, default: str) -> str:
            value = env.get(name, "").strip()
            return value or default

        hf_via = get("PAPERPULSE_HF_VIA", "api")
        if hf_via not in ("api", "html"):
            raise ConfigError(f"PAPERPULSE_HF_VIA must be 'api' or 'html', not {hf_via!r}")
        try:
            floor = get("PAPERPULSE_HF_MIN_INTERVAL", "")
            hf_min_interval = float(floor) if floor else None
        except ValueError:
            raise ConfigError("PAPERPULSE_HF_MIN_INTERVAL must be a number of seconds") from None
        if hf_min_interval is not None and hf_min_interval < 0:
            raise ConfigError("PAPERPULSE_HF_MIN_INTERVAL must not be negative")
        try:
            http_deadline = float(get("PAPERPULSE_HTTP_DEADLINE", "120"))
        except ValueError:
            raise ConfigError("PAPERPULSE_HTTP_DEADLINE must be a number of seconds") from None
        if not http_deadline > 0:
            raise ConfigError("PAPERPULSE_HTTP_DEADLINE must be a positive number of seconds")
        settings = cls(
            database_url=get("PAPERPULSE_DATABASE_URL", DEFAULT_DATABASE_URL),
            archive_dir=Path(get("PAPERPULSE_ARCHIVE_DIR", "archive")),
            hf_url=get("PAPERPULSE_HF_URL", DEFAULT_HF_URL),
            arxiv_url=get("PAPERPULSE_ARXIV_URL", DEFAULT_ARXIV_URL),
            arxiv_api_url=get("PAPERPULSE_ARXIV_API_URL", DEFAULT_ARXIV_API_URL),
            semantic_scholar_url=get("PAPERPULSE_S2_URL", DEFAULT_S2_URL),
            hf_via=hf_via,
            contact=env.get("PAPERPULSE_CONTACT", "").strip() or None,
            hf_token=env.get("HF_TOKEN") or None,
            s2_api_key=env.get("PAPERPULSE_S2_API_KEY") or None,
            hf_min_interval=hf_min_interval,
            clock=_clock(
                env.get("PAPERPULSE_NOW", "").strip(), env.get("PAPERPULSE_NOW_SINCE", "").strip()
            ),
            config_file=Path(config) if (config := get("PAPERPULSE_CONFIG", "")) else None,
            http_deadline=http_deadline,
            smtp=_smtp(env),
            smtp_password_block=get("PAPERPULSE_SMTP_PASSWORD_BLOCK", "") or None,
            mail_to=tuple(
                a.strip() for a in env.get("PAPERPULSE_MAIL_TO", "").split(",") if a.strip()
            ),
            mail_from=get("PAPERPULSE_MAIL_FROM", "") or None,
            outbox_dir=Path(get("PAPERPULSE_OUTBOX_DIR", "outbox")),
            zotero_api_key=get("ZOTERO_API_KEY", "") or None,
            zotero_url=get("PAPERPULSE_ZOTERO_URL", DEFAULT_ZOTERO_URL).rstrip("/"),
        )
        for name, url in (
            ("PAPERPULSE_HF_URL", settings.hf_url),
            ("PAPERPULSE_ARXIV_URL", settings.arxiv_url),
            ("PAPERPULSE_ARXIV_API_URL", settings.arxiv_api_url),
            ("PAPERPULSE_S2_URL", settings.semantic_scholar_url),
        ):
            if not url.startswith(("http://", "https://")):
                raise ConfigError(f"{name} must be an http(s) URL, not {url!r}")
        return settings


def _smtp(env: Mapping[str, str]) -> SmtpSettings | None:
    """PAPERPULSE_SMTP_*; None (no host) means "write .eml files to the outbox"."""
    host = env.get("PAPERPULSE_SMTP_HOST", "").strip()
    if not host:
        return None
    port_text = env.get("PAPERPULSE_SMTP_PORT", "").strip()
    try:
        port = int(port_text) if port_text else None
    except ValueError:
        raise ConfigError(f"PAPERPULSE_SMTP_PORT must be a number, not {port_text!r}") from None
    security = env.get("PAPERPULSE_SMTP_SECURITY", "").strip() or "starttls"
    if security not in ("ssl", "starttls", "none"):
        raise ConfigError("PAPERPULSE_SMTP_SECURITY must be ssl (465), starttls (587) or none")
    plain = env.get("PAPERPULSE_SMTP_ALLOW_PLAIN_AUTH", "").strip()
    if plain not in ("", "0", "1"):
        raise ConfigError(f"PAPERPULSE_SMTP_ALLOW_PLAIN_AUTH must be 1 or 0, not {plain!r}")
    user = env.get("PAPERPULSE_SMTP_USER") or None
    password = env.get("PAPERPULSE_SMTP_PASSWORD") or None
    if user and password is None and env.get("PAPERPULSE_SMTP_PASSWORD_BLOCK", "").strip():
        password = ""  # the Prefect Secret block's, loaded when mail is sent (deliver.py)
    return SmtpSettings(
        host=host,
        port=port,
        security=security,  # type: ignore[arg-type]
        user=user,
        password=password,
        ca_file=env.get("PAPERPULSE_SMTP_CA_FILE") or None,
        allow_plain_auth=plain == "1",
    )


def _clock(now: str, since: str) -> WallClock:
    """``PAPERPULSE_NOW`` (an ISO time) starts the clock there: demos and tests of past days.
    ``PAPERPULSE_NOW_SINCE`` (Unix seconds) is the real moment it read that time, shared by
    every process of one life (``core.clock.life_clock``); without it, this process's start."""
    if not now:
        if since:
            raise ConfigError("PAPERPULSE_NOW_SINCE is set without PAPERPULSE_NOW; set both")
        return SYSTEM_CLOCK
    try:
        start = datetime.fromisoformat(now)
    except ValueError:
        raise ConfigError(
            f"PAPERPULSE_NOW must be an ISO date-time like 2024-08-02T09:00+00:00, not {now!r}"
        ) from None
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    if not since:
        return ShiftedClock(start)
    try:
        anchor = float(since)
    except ValueError:
        anchor = float("nan")
    if not math.isfinite(anchor):
        raise ConfigError(f"PAPERPULSE_NOW_SINCE must be Unix seconds, not {since!r}")
    return ShiftedClock(start, since=anchor)


def from_environment(environ: Mapping[str, str] | None = None) -> tuple[Settings, Config]:
    """The settings from the environment, and the config file they name (with the chat URLs
    its channels keep in the environment: ``url_env``)."""
    env = os.environ if environ is None else environ
    settings = Settings.from_env(env)
    config = load_config(settings.config_file)
    names = {c.url_env for c in config.channels if c.url_env}
    urls = {name: value for name in names if (value := env.get(name, "").strip())}
    return replace(settings, channel_urls=urls), config
