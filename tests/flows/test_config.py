"""paperpulse.toml: defaults, the shipped example, and errors that name file, key and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperpulse.config.file import Config, load_config
from paperpulse.config.settings import from_environment
from paperpulse.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "paperpulse.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config == Config()
    assert config.sources.hf_daily and not config.topics


def test_the_shipped_example_is_valid() -> None:
    config = load_config(ROOT / "paperpulse.example.toml")
    assert [t.name for t in config.topics] == ["LLM inference", "Agents"]
    assert config.email.sender == "paperpulse@example.org"
    assert config.schedule.timezone == "Europe/Berlin"
    assert config.email.recipients[0].editions == ("daily", "weekly")


def test_env_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        from_environment({"PAPERPULSE_CONFIG": str(tmp_path / "nope.toml")})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[topics]]\nname = 'x'\nexlude = ['y']\n", "topics.0.exlude: unknown key"),
        ("[digest]\ntop_trending = 0\n", "digest.top_trending: Input should be greater"),
        ("[schedule]\ntimezone = 'Mars/Olympus'\n", "schedule.timezone: unknown time zone"),
        ("[schedule]\ncron = '* *'\n", "schedule.cron: cron needs 5 fields"),
        ("[schedule]\ncron = '61 25 * * *'\n", "schedule.cron: invalid cron '61 25 * * *'"),
        ("[schedule]\ncron = '0 6 * * 8'\n", "schedule.cron: invalid cron"),
        ("[schedule]\ncron = 'H 6 * * *'\n", "schedule.cron: random and hashed"),
        ("[[topics]]\nname = 'A'\n[[topics]]\nname = 'a'\n", "topic names must be unique"),
        ("topics = 3\n", "topics: Input should be a valid"),
        ("[sources\n", "not valid TOML"),
    ],
)
def test_errors_name_file_key_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ")
    assert expected in str(info.value)


@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan"])
def test_a_bad_http_deadline_is_a_config_error_naming_the_variable(value: str) -> None:
    from paperpulse.config.settings import Settings

    with pytest.raises(ConfigError, match="PAPERPULSE_HTTP_DEADLINE"):
        Settings.from_env({"PAPERPULSE_HTTP_DEADLINE": value})
    assert Settings.from_env({"PAPERPULSE_HTTP_DEADLINE": "7.5"}).http_deadline == 7.5
