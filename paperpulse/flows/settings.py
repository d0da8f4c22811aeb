"""Runtime settings from the environment (the embedded defaults need none of them)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from paperpulse.core.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///./data/paperpulse.db"
DEFAULT_CONTACT = "https://github.com/paperpulse/paperpulse"
DEFAULT_HF_URL = "https://huggingface.co"
DEFAULT_ARXIV_URL = "https://arxiv.org"
DEFAULT_ARXIV_API_URL = "http://export.arxiv.org"
DEFAULT_S2_URL = "https://api.semanticscholar.org"


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    archive_dir: Path = Path("archive")
    hf_url: str = DEFAULT_HF_URL
    arxiv_url: str = DEFAULT_ARXIV_URL
    arxiv_api_url: str = DEFAULT_ARXIV_API_URL
    semantic_scholar_url: str = DEFAULT_S2_URL
    hf_via: str = "api"  # "api" (default) or "html"
    contact: str = DEFAULT_CONTACT
    hf_token: str | None = field(default=None, repr=False)  # never printed
    s2_api_key: str | None = field(default=None, repr=False)  # never printed
    hf_min_interval: float = 0.5  # seconds between HF requests at least
    http_deadline: float = 120.0  # seconds for one request, connect to last byte

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
            hf_min_interval = float(get("PAPERPULSE_HF_MIN_INTERVAL", "0.5"))
        except ValueError:
            raise ConfigError("PAPERPULSE_HF_MIN_INTERVAL must be a number of seconds") from None
        if hf_min_interval < 0:
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
            contact=get("PAPERPULSE_CONTACT", DEFAULT_CONTACT),
            hf_token=env.get("HF_TOKEN") or None,
            s2_api_key=env.get("PAPERPULSE_S2_API_KEY") or None,
            hf_min_interval=hf_min_interval,
            http_deadline=http_deadline,
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
