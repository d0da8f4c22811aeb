"""What every step of a run shares, made once where the run starts and passed down.

A flow (or the CLI, or a benchmark) opens one ``Context`` and hands it to each step, then
closes it (``with closing(Context.open(...)) as ctx``): no HTTP client is cached behind a module
global, so a test or a benchmark swaps the client by building its own context instead of
patching a function.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache, partial

from paperpulse.core.deadline import RunBudget
from paperpulse.flows import signals
from paperpulse.flows.config import Config
from paperpulse.flows.settings import DEFAULT_CONTACT, Settings
from paperpulse.scrapers.http import HttpClient, HttpSettings, default_settings
from paperpulse.scrapers.pacing import HostPolicy
from paperpulse.storage.db import create_engine
from paperpulse.storage.migrate import upgrade
from paperpulse.storage.open_runs import fail_open_runs
from paperpulse.storage.repository import Repository


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    settings: Settings
    config: Config
    repository: Repository
    # One client per run: per-host pacing must hold across the run's concurrent tasks.
    http: HttpClient
    # The run's time (PAPERPULSE_RUN_DEADLINE, from when the context opened), shared by its
    # client and its steps: past it, nothing more is started.
    budget: RunBudget = field(default_factory=RunBudget)

    @classmethod
    def open(cls, settings: Settings, config: Config) -> Context:
        budget = RunBudget(seconds=settings.run_deadline)
        repo = repository(settings.database_url)
        # A stopped process marks the runs it left open in this database.
        signals.watch(settings.database_url, partial(fail_open_runs, repo.engine))
        http = http_client(settings, config)
        http.budget = budget
        return cls(settings=settings, config=config, repository=repo, http=http, budget=budget)

    def close(self) -> None:
        self.http.close()


def contact(settings: Settings, config: Config) -> str:
    """Who site operators can reach: ``PAPERPULSE_CONTACT``, else the config's ``contact``."""
    return settings.contact or config.contact or DEFAULT_CONTACT


# Set while a Prefect flow runs (``shared_pacing``): every request attempt of the clients made
# meanwhile first takes a slot of its host's shared budget.
request_permit: ContextVar[Callable[[str, HostPolicy], None] | None] = ContextVar(
    "paperpulse_request_permit", default=None
)


def client_settings(settings: Settings, config: Config) -> HttpSettings:
    return default_settings(
        hf_url=settings.hf_url,
        arxiv_url=settings.arxiv_url,
        arxiv_api_url=settings.arxiv_api_url,
        semantic_scholar_url=settings.semantic_scholar_url,
        contact=contact(settings, config),
        hf_token=settings.hf_token,
        s2_api_key=settings.s2_api_key,
        hf_min_interval=settings.hf_min_interval,
        deadline=settings.http_deadline,
    )


def http_client(settings: Settings, config: Config) -> HttpClient:
    client = HttpClient(client_settings(settings, config))
    client.permit = request_permit.get()
    return client


@cache
def repository(database_url: str) -> Repository:
    """One engine (its connection pool and one migration check) per database per process.

    A repository holds no state beyond its engine, so sharing it is safe; contexts and the
    digest and delivery steps, which find it by the settings' URL, get the same one.
    """
    engine = create_engine(database_url)
    upgrade(engine)
    return Repository(engine)
