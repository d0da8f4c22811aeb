"""``paperpulse.toml``: what to follow and where to deliver, validated on load.

The file is optional: without it HF Daily Papers is followed and digests go to the archive only.
``PAPERPULSE_CONFIG`` names another path (``Settings.config_file``). Errors name the file, the
key and the problem.
Secrets (SMTP password, HF token) never live here: they come from the environment.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from paperpulse.config.cron import cron_problem
from paperpulse.core.errors import ConfigError

DEFAULT_PATH = Path("paperpulse.toml")

Term = Annotated[str, Field(min_length=1, max_length=200)]


class _Model(BaseModel):
    # Unknown keys are errors: a typo ("exlude") must not silently do nothing.
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourcesConfig(_Model):
    hf_daily: bool = True
    hf_weekly: bool = False
    hf_trending: bool = False
    hf_search: bool = True  # run each topic's hf_queries
    arxiv_categories: tuple[Term, ...] = ()  # arXiv /list/<cat>/new pages
    followed_authors: bool = True  # arXiv au: queries for [[authors]]
    semantic_scholar: bool = False  # author profile snapshots (h-index, citations)


MAX_TERMS = 1_000  # per list of a topic: 300,000 include terms once held a run for minutes
Terms = Annotated[tuple[Term, ...], Field(max_length=MAX_TERMS)]


class TopicConfig(_Model):
    name: Term
    include: Terms = ()
    exclude: Terms = ()
    categories: Terms = ()
    hf_queries: Terms = ()
    ai_keywords: Terms = ()
    authors: Terms = ()


class AuthorConfig(_Model):
    name: Term
    semantic_scholar_id: str | None = None


class DigestConfig(_Model):
    top_trending: Annotated[int, Field(ge=1, le=100)] = 5  # per topic section
    top_rising: Annotated[int, Field(ge=0, le=100)] = 10  # the "Rising" section
    rising_threshold: Annotated[int, Field(ge=1)] = 10  # upvotes gained since the reader saw it
    rising_days: Annotated[int, Field(ge=0, le=60)] = 7  # list dates back that may still rise
    # A reader who missed days gets one email for up to this many of them (0: one per day).
    catch_up_days: Annotated[int, Field(ge=0, le=60)] = 7
    for_you: Annotated[int, Field(ge=0, le=50)] = 5  # "For you" cap, for readers with a library
    # A source failing this many runs in a row is called out atop every digest until it recovers.
    alert_after_failed_runs: Annotated[int, Field(ge=1, le=1000)] = 3


class RecipientConfig(_Model):
    address: Term
    topics: tuple[Term, ...] = ()  # empty: every topic
    editions: tuple[Literal["daily", "weekly"], ...] = ("daily",)
    library: Term | None = None  # "For you": a .bib/.ris/.json/.txt file or zotero:users/<id>
    language: Term | None = None  # TL;DRs in this language (else [summaries] language)


class EmailConfig(_Model):
    sender: Annotated[str, Field(min_length=1, max_length=200, alias="from")] = (
        "paperpulse@localhost"
    )
    list_id: Term = "paperpulse.localhost"
    unsubscribe: Term = "mailto:unsubscribe@localhost?subject=unsubscribe"
    recipients: tuple[RecipientConfig, ...] = ()
    max_bytes: Annotated[int, Field(ge=20_000)] = 100_000


class ChannelConfig(_Model):
    """A chat or push channel (Slack, Discord, Telegram, Matrix, ntfy...) as an Apprise URL.

    Its URL usually holds a token, so it comes from the environment variable ``url_env``;
    ``url`` is for URLs without a secret. ``name`` identifies it in logs and the ledger.
    """

    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
    url_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    url: Term | None = None
    topics: tuple[Term, ...] = ()  # empty: every topic
    editions: tuple[Literal["daily", "weekly"], ...] = ("daily",)
    top: Annotated[int, Field(ge=1, le=25)] = 5  # papers in the message

    @model_validator(mode="after")
    def _one_url(self) -> ChannelConfig:
        if (self.url is None) == (self.url_env is None):
            raise ValueError(
                f"channel {self.name!r}: give url_env (the environment variable holding the "
                "Apprise URL) or url, exactly one"
            )
        return self


class ArchiveConfig(_Model):
    git: bool = True
    author_name: Term = "paperpulse"
    author_email: Term = "paperpulse@localhost"
    remote: str | None = None
    branch: Term = "main"
    library: Term | None = None  # "For you" in the archive's digest (as on a recipient)
    # Where readers view the archive's files, e.g. https://github.com/me/papers/blob/main: the
    # email links a digest as web_url/2024/08/2024-08-01.md and the index as web_url/README.md.
    web_url: str | None = None
    # Where feed.xml and feeds/ are served as files (their rel="self"), e.g. a raw or Pages URL.
    feed_url: str | None = None

    @field_validator("web_url", "feed_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value.rstrip("/") if value else None


class WebConfig(_Model):
    """``paperpulse web``: where readers reach it. With ``base_url`` set, emails carry signed
    links to it (unsubscribe, manage, like, not for me) and List-Unsubscribe points there."""

    base_url: str | None = None  # e.g. https://papers.example.org
    rate_per_minute: Annotated[int, Field(ge=1, le=100_000)] = 120  # per client, per replica

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value.rstrip("/") if value else None


class ScheduleConfig(_Model):
    # HF lists a day's papers through the (US) morning; arXiv announces at 20:00 US Eastern.
    cron: Term = "0 6 * * *"
    timezone: Term = "UTC"
    heal_days: Annotated[int, Field(ge=0, le=365)] = 14

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if problem := cron_problem(value):
            raise ValueError(problem)
        return value


class CitationsConfig(_Model):
    """ "Cites your work" and "Now published": Semantic Scholar asked about readers' papers."""

    enabled: bool = False
    # Papers announced to a reader in this many days are watched for a venue too.
    announced_days: Annotated[int, Field(ge=0, le=3650)] = 90
    max_pages: Annotated[int, Field(ge=1, le=100)] = 5  # citation pages (1,000 each) per paper
    cap: Annotated[int, Field(ge=1, le=100)] = 10  # lines per section; the rest the next day


class SummariesConfig(_Model):
    """TL;DRs from an OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp, OpenAI). Its key,
    if it needs one, comes from PAPERPULSE_SUMMARIES_API_KEY."""

    enabled: bool = False
    endpoint: Term = "http://127.0.0.1:11434/v1"  # the base URL; /chat/completions is added
    model: Term = "llama3.2"
    language: Term = "English"  # a reader's own ``language`` wins
    translate_titles: bool = False
    daily_budget: Annotated[int, Field(ge=0, le=100_000)] = 200  # summaries made per UTC day
    timeout: Annotated[float, Field(gt=0, le=300)] = 20.0  # seconds for one summary
    # Consecutive failures after which the run stops asking (the digest never waits on it).
    breaker: Annotated[int, Field(ge=1, le=100)] = 2
    run_seconds: Annotated[float, Field(gt=0, le=3600)] = 120.0  # waited on it per run at most
    max_chars: Annotated[int, Field(ge=40, le=2000)] = 400

    @field_validator("endpoint")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value.rstrip("/")


class Config(_Model):
    contact: str | None = None  # URL or e-mail for the User-Agent
    sources: SourcesConfig = SourcesConfig()
    topics: tuple[TopicConfig, ...] = ()
    authors: tuple[AuthorConfig, ...] = ()
    digest: DigestConfig = DigestConfig()
    email: EmailConfig = EmailConfig()
    archive: ArchiveConfig = ArchiveConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    channels: tuple[ChannelConfig, ...] = ()
    web: WebConfig = WebConfig()
    citations: CitationsConfig = CitationsConfig()
    summaries: SummariesConfig = SummariesConfig()

    @field_validator("contact")
    @classmethod
    def _contact(cls, value: str | None) -> str | None:
        # It goes into the User-Agent's comment: no line breaks, no parentheses.
        if value is not None and (not value.strip() or any(c in value for c in "\r\n()")):
            raise ValueError("must be an e-mail address or URL, without parentheses")
        return value

    @field_validator("topics")
    @classmethod
    def _unique_topics(cls, topics: tuple[TopicConfig, ...]) -> tuple[TopicConfig, ...]:
        names = [" ".join(t.name.casefold().split()) for t in topics]  # as feed files see them
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"topic names must be unique; repeated: {', '.join(dupes)}")
        return topics

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, channels: tuple[ChannelConfig, ...]) -> tuple[ChannelConfig, ...]:
        names = [c.name.casefold() for c in channels]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"channel names must be unique; repeated: {', '.join(dupes)}")
        return channels


def load_config(path: Path | None = None) -> Config:
    """Read and validate the config at ``path`` (which must exist), else the optional
    ``./paperpulse.toml``: without it, the defaults."""
    explicit = path is not None
    path = path or DEFAULT_PATH
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: config file not found (check PAPERPULSE_CONFIG)")
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: " + "; ".join(_describe(e) for e in exc.errors())) from None


def _describe(error: Mapping[str, object]) -> str:
    loc = error.get("loc", ())
    key = ".".join(str(part) for part in loc) if isinstance(loc, tuple) else str(loc)
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden":
        message = "unknown key (check its spelling against paperpulse.example.toml)"
    elif error.get("type") == "tuple_type" and isinstance(error.get("input"), str):
        given = str(error.get("input"))[:40]
        name = key.rsplit(".", 1)[-1]
        message = f'a list is expected, not one string: write {name} = ["{given}"]'
    elif error.get("type") == "too_long":
        message = f"at most {MAX_TERMS:,} entries (a longer list is not a topic, and slows "
        message += "every run); split it into topics"
    return f"{key or '(top level)'}: {message}"
