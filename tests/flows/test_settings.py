"""The environment is read in one place: every variable README.md lists reaches ``Settings``,
and a bad value is one line naming the variable (``tests/test_architecture.py`` holds every
other module to reading none)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paperpulse.config.settings import Settings, from_environment
from paperpulse.core.errors import ConfigError
from paperpulse.delivery.smtp import SmtpSettings

ROOT = Path(__file__).resolve().parents[2]
# Read by others: Prefect's own, the tests' and the benchmarks'.
NOT_OURS = {"PAPERPULSE_SCREENSHOT_DIR"}

EVERY = {
    "PAPERPULSE_DATABASE_URL": "postgresql+psycopg://u@db/pp",
    "PAPERPULSE_ARCHIVE_DIR": "/srv/archive",
    "PAPERPULSE_HF_URL": "http://hf.test",
    "PAPERPULSE_HF_VIA": "html",
    "PAPERPULSE_ARXIV_URL": "http://arxiv.test",
    "PAPERPULSE_ARXIV_API_URL": "http://api.arxiv.test",
    "PAPERPULSE_S2_URL": "http://s2.test",
    "PAPERPULSE_S2_API_KEY": "s2-key",
    "PAPERPULSE_CONTACT": "me@example.org",
    "HF_TOKEN": "hf_secret",
    "PAPERPULSE_HF_MIN_INTERVAL": "0.25",
    "PAPERPULSE_HTTP_DEADLINE": "30",
    "PAPERPULSE_NOW": "2024-08-02T09:00+00:00",
    "PAPERPULSE_SMTP_HOST": "127.0.0.1",
    "PAPERPULSE_SMTP_PORT": "2525",
    "PAPERPULSE_SMTP_SECURITY": "none",
    "PAPERPULSE_SMTP_USER": "bot",
    "PAPERPULSE_SMTP_PASSWORD": "smtp-secret",
    "PAPERPULSE_SMTP_PASSWORD_BLOCK": "smtp-password",
    "PAPERPULSE_SMTP_CA_FILE": "/etc/ca.pem",
    "PAPERPULSE_SMTP_ALLOW_PLAIN_AUTH": "1",
    "PAPERPULSE_MAIL_TO": " ada@example.org, alan@example.org ,",
    "PAPERPULSE_MAIL_FROM": "digest@example.org",
    "PAPERPULSE_OUTBOX_DIR": "/srv/outbox",
    "ZOTERO_API_KEY": "zotero-secret",
    "PAPERPULSE_ZOTERO_URL": "http://zotero.test/",
    "PAPERPULSE_WEB_SECRET": "web-secret-of-16-chars",
    "PAPERPULSE_SUMMARIES_API_KEY": "sk-summaries",
    "PAPERPULSE_RUN_DEADLINE": "1800",
    "PAPERPULSE_SMTP_DEADLINE": "60",
    "PAPERPULSE_NOW_SINCE": "1733540000",
}


def test_from_env_reads_every_variable(tmp_path: Path) -> None:
    config = tmp_path / "paperpulse.toml"
    config.write_text('[[channels]]\nname = "lab"\nurl_env = "LAB_CHAT_URL"\n', encoding="utf-8")
    env = {**EVERY, "PAPERPULSE_CONFIG": str(config), "LAB_CHAT_URL": "json://chat.test/tok"}
    settings, loaded = from_environment(env)
    assert loaded.channels[0].name == "lab" and settings.config_file == config
    assert settings.database_url == "postgresql+psycopg://u@db/pp"
    assert settings.archive_dir == Path("/srv/archive")
    assert (settings.hf_url, settings.hf_via) == ("http://hf.test", "html")
    assert (settings.arxiv_url, settings.arxiv_api_url) == (
        "http://arxiv.test",
        "http://api.arxiv.test",
    )
    assert (settings.semantic_scholar_url, settings.s2_api_key) == ("http://s2.test", "s2-key")
    assert (settings.contact, settings.hf_token) == ("me@example.org", "hf_secret")
    assert (settings.hf_min_interval, settings.http_deadline) == (0.25, 30.0)
    assert settings.clock.now() >= datetime(2024, 8, 2, 9, tzinfo=UTC)
    assert settings.smtp == SmtpSettings(
        host="127.0.0.1",
        port=2525,
        security="none",
        user="bot",
        password="smtp-secret",
        ca_file="/etc/ca.pem",
        allow_plain_auth=True,
        deadline=60.0,
    )
    assert settings.smtp_password_block == "smtp-password"
    assert settings.mail_to == ("ada@example.org", "alan@example.org")
    assert (settings.mail_from, settings.outbox_dir) == ("digest@example.org", Path("/srv/outbox"))
    assert (settings.zotero_api_key, settings.zotero_url) == ("zotero-secret", "http://zotero.test")
    assert settings.channel_urls == {"LAB_CHAT_URL": "json://chat.test/tok"}
    assert settings.web_secret == "web-secret-of-16-chars"
    shown = repr(settings)
    assert settings.summaries_api_key == "sk-summaries"
    for secret in (
        "hf_secret",
        "s2-key",
        "smtp-secret",
        "zotero-secret",
        "chat.test/tok",
        "web-secret",
        "sk-summaries",
    ):
        assert secret not in shown


def test_every_variable_readme_lists_is_read() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `((?:PAPERPULSE|HF|ZOTERO)_[A-Z0-9_]+)`", readme, re.M))
    listed |= set(re.findall(r"`, `(PAPERPULSE_[A-Z_]+)` \|", readme))
    assert listed - NOT_OURS == set(EVERY) | {"PAPERPULSE_CONFIG"}


def test_the_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.smtp is None and settings.mail_to == () and settings.mail_from is None
    assert settings.outbox_dir == Path("outbox") and settings.channel_urls == {}  # no config read
    assert settings.zotero_url == "https://api.zotero.org" and settings.zotero_api_key is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PAPERPULSE_SMTP_PORT", "twenty-five", "PAPERPULSE_SMTP_PORT must be a number"),
        ("PAPERPULSE_SMTP_SECURITY", "tls", "PAPERPULSE_SMTP_SECURITY must be ssl (465)"),
        ("PAPERPULSE_SMTP_ALLOW_PLAIN_AUTH", "yes", "PAPERPULSE_SMTP_ALLOW_PLAIN_AUTH must be 1"),
        ("PAPERPULSE_HF_VIA", "rss", "PAPERPULSE_HF_VIA must be 'api' or 'html'"),
        ("PAPERPULSE_HTTP_DEADLINE", "soon", "PAPERPULSE_HTTP_DEADLINE must be a number"),
        ("PAPERPULSE_HF_MIN_INTERVAL", "-1", "PAPERPULSE_HF_MIN_INTERVAL must not be negative"),
        ("PAPERPULSE_NOW", "yesterday", "PAPERPULSE_NOW must be an ISO date-time"),
        ("PAPERPULSE_HF_URL", "hf.test", "PAPERPULSE_HF_URL must be an http(s) URL"),
        ("PAPERPULSE_WEB_SECRET", "short", "PAPERPULSE_WEB_SECRET must be at least 16"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(name: str, value: str, message: str) -> None:
    env = {"PAPERPULSE_SMTP_HOST": "smtp.example.org", name: value}
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_a_password_in_a_prefect_block_is_loaded_only_when_mail_is_sent() -> None:
    settings = Settings.from_env(
        {
            "PAPERPULSE_SMTP_HOST": "smtp.example.org",
            "PAPERPULSE_SMTP_USER": "bot",
            "PAPERPULSE_SMTP_PASSWORD_BLOCK": "smtp-password",
        }
    )
    assert settings.smtp is not None and settings.smtp.user == "bot"
    assert settings.smtp_password_block == "smtp-password"
