"""What every step of a run shares, made once where the run starts and passed down.

A command or a flow run opens one ``Context`` (``with Context.open(settings, config) as ctx``)
and hands it to every use case: the settings and config, the repository (one engine for the
run), the product's clock, the HTTP client and the run's shared reads. Nothing is cached behind
a module global, so a test or a benchmark swaps a part by building its own context.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING

from paperpulse.app import signals
from paperpulse.config.file import Config
from paperpulse.config.settings import DEFAULT_CONTACT, Settings
from paperpulse.core.clock import WallClock
from paperpulse.core.deadline import RunBudget
from paperpulse.core.errors import ConfigError
from paperpulse.delivery.smtp import SmtpSettings
from paperpulse.scrapers.http import HttpClient, HttpSettings, default_settings
from paperpulse.scrapers.pacing import HostPolicy
from paperpulse.storage.db import create_engine
from paperpulse.storage.migrate import upgrade
from paperpulse.storage.open_runs import fail_open_runs
from paperpulse.storage.repository import Repository

if TYPE_CHECKING:
    from paperpulse.app.compose import EditionReads

# Reads a named secret (the SMTP password's Prefect Secret block); given by the flows and the
# CLI, which may import Prefect: the use cases never do.
SecretLoader = Callable[[str], str]


@dataclass(kw_only=True, eq=False)
class Context:
    settings: Settings
    config: Config
    repository: Repository
    # One client per run: per-host pacing must hold across the run's concurrent tasks.
    http: HttpClient
    secret: SecretLoader | None = None
    # The run's time (PAPERPULSE_RUN_DEADLINE, from when the context opened), shared by its
    # client and its steps: past it, nothing more is started.
    budget: RunBudget = field(default_factory=RunBudget)
    # The run's shared reads of editions (``compose.reads``), made on first use.
    shared_reads: EditionReads | None = field(default=None, repr=False)
    owns_engine: bool = False  # opened here: disposed on close
    _smtp: tuple[SmtpSettings | None] | None = field(default=None, repr=False)

    @classmethod
    def open(
        cls,
        settings: Settings,
        config: Config,
        *,
        secret: SecretLoader | None = None,
        repository: Repository | None = None,
    ) -> Context:
        """A run's context; ``repository`` shares one already open (a test's database)."""
        owns = repository is None
        if repository is None:
            engine = create_engine(settings.database_url)
            upgrade(engine)
            repository = Repository(engine)
        # A stopped process marks the runs it left open in this database.
        engine = repository.engine
        signals.watch(
            settings.database_url,
            lambda reason, _at: fail_open_runs(engine, reason, settings.clock.now()),
        )
        budget = RunBudget(seconds=settings.run_deadline)
        http = http_client(settings, config)
        http.budget = budget
        return cls(
            owns_engine=owns,
            settings=settings,
            config=config,
            repository=repository,
            http=http,
            secret=secret,
            budget=budget,
        )

    @property
    def clock(self) -> WallClock:
        return self.settings.clock

    def now(self) -> datetime:
        """What time it is for this run (``PAPERPULSE_NOW`` moves it in demos and tests)."""
        return self.settings.clock.now()

    def smtp(self) -> SmtpSettings | None:
        """The SMTP server to send through, resolved once per run (a password kept in a
        Prefect Secret is one API call per run, not one per reader); None: write .eml files."""
        if self._smtp is None:
            server = self.settings.smtp
            block = self.settings.smtp_password_block
            if server is not None and block:
                if self.secret is None:
                    raise ConfigError(
                        f"PAPERPULSE_SMTP_PASSWORD_BLOCK names {block!r}, but this run cannot "
                        "read Prefect secrets; deliver from the command line or a Prefect flow"
                    )
                server = replace(server, password=self.secret(block))
            self._smtp = (server,)
        return self._smtp[0]

    def close(self) -> None:
        self.http.close()
        if self.owns_engine:
            self.repository.close()

    def __enter__(self) -> Context:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


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
