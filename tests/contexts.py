"""The run context as tests open it: one repository per database per test process (as one
command has one per run), so a test can look into the database a use case just wrote."""

from __future__ import annotations

from paperpulse.app.context import Context
from paperpulse.config.file import Config
from paperpulse.config.settings import Settings
from paperpulse.flows.secrets import prefect_secret
from paperpulse.storage import Repository, create_engine, upgrade

_OPEN: dict[str, Repository] = {}


def repository(database_url: str) -> Repository:
    """The test process's repository of ``database_url``, migrated on first use."""
    if database_url not in _OPEN:
        engine = create_engine(database_url)
        upgrade(engine)
        _OPEN[database_url] = Repository(engine)
    return _OPEN[database_url]


def context(settings: Settings, config: Config) -> Context:
    """A run's context over the test process's repository of ``settings.database_url``; a
    Prefect Secret named for the SMTP password is read as the command line reads it."""
    return Context.open(
        settings, config, repository=repository(settings.database_url), secret=prefect_secret
    )


def close_all() -> None:
    """Release every repository's connections (before a schema is dropped, at the end)."""
    while _OPEN:
        _, repo = _OPEN.popitem()
        repo.close()
