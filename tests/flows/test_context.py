"""A run's context: one client per run, and the User-Agent names who to contact."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import httpx
import pytest
import respx

from paperpulse.app.context import Context
from paperpulse.config.file import Config, load_config
from paperpulse.config.settings import DEFAULT_CONTACT, Settings
from paperpulse.core.errors import ConfigError

HF = "https://hf.test"


def user_agent(settings: Settings, config: Config) -> str:
    """The User-Agent a run's context really sends."""
    with respx.mock, closing(Context.open(settings, config)) as ctx:
        route = respx.get(f"{HF}/api/daily_papers").mock(return_value=httpx.Response(200))
        ctx.http.get(f"{HF}/api/daily_papers", source="hf-daily")
        return str(route.calls.last.request.headers["user-agent"])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", hf_url=HF)


def test_the_config_contact_reaches_the_user_agent(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "paperpulse.toml"
    path.write_text('contact = "mailto:lab@example.org"\n', encoding="utf-8")
    agent = user_agent(settings, load_config(path))
    assert agent.startswith("paperpulse/") and "mailto:lab@example.org" in agent


def test_the_environment_overrides_the_config_contact(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "PAPERPULSE_HF_URL": HF,
            "PAPERPULSE_CONTACT": "https://lab.example.org/contact",
            # never the default ./data/paperpulse.db of the checkout the tests run in
            "PAPERPULSE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        }
    )
    agent = user_agent(settings, Config(contact="mailto:lab@example.org"))
    assert "https://lab.example.org/contact" in agent and "lab@example.org)" not in agent


def test_without_a_contact_the_project_is_named(tmp_path: Path, settings: Settings) -> None:
    assert DEFAULT_CONTACT in user_agent(settings, Config())


def test_a_contact_that_would_break_the_header_is_refused_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "paperpulse.toml"
    path.write_text('contact = "me (at) example.org"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"paperpulse.toml: contact: must be an e-mail"):
        load_config(path)
