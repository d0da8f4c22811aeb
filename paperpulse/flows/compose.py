"""Read what an edition needs from the database and build it (I/O here, logic in digest/).

A digest is a function of the ledger: the edition's moment (``as_of``) is when its own listing
was last observed, so re-rendering a past digest from the database gives the same digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from paperpulse.core.models import RunRecord, Sighting
from paperpulse.digest.dead_sources import SAME_RUN, FailingSource, failing_sources
from paperpulse.digest.diff import DiffParams, DiffWindow, PaperHistory, PaperState
from paperpulse.digest.edition import (
    AuthorNews,
    Caps,
    Edition,
    EditionInputs,
    build_edition,
    weekend_note,
)
from paperpulse.digest.models import SourceHealth
from paperpulse.digest.topics import Topic
from paperpulse.flows.collect import SourceOutcome, repository
from paperpulse.flows.config import Config, TopicConfig
from paperpulse.flows.jobs import Job, iso_week
from paperpulse.flows.settings import Settings
from paperpulse.scrapers.authors import profile_changes
from paperpulse.storage.merge import TrackedFields
from paperpulse.storage.repository import Repository

ARCHIVE = "archive"  # the sent-ledger "recipient" of the public archive and feeds
EDITIONS = ("daily", "weekly")


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    edition: str  # "daily" | "weekly"
    key: str  # "2024-08-01" | "2024-W31"
    days: tuple[date, ...]  # the list dates it covers

    @property
    def window(self) -> timedelta:
        return timedelta(days=len(self.days))

    def previous(self) -> Period:
        return period_for(self.edition, self.days[0] - timedelta(days=1))

    @property
    def title(self) -> str:
        if self.edition == "daily":
            return f"Daily Papers · {self.days[0]:%A %d %B %Y}"
        return f"Week {self.key} · {self.days[0]:%d %b} – {self.days[-1]:%d %b %Y}"


def period_for(edition: str, day: date) -> Period:
    if edition == "daily":
        return Period(edition="daily", key=day.isoformat(), days=(day,))
    if edition == "weekly":
        monday = day - timedelta(days=day.weekday())
        return Period(
            edition="weekly",
            key=iso_week(day),
            days=tuple(monday + timedelta(days=n) for n in range(7)),
        )
    raise ValueError(f"unknown edition {edition!r}; choose one of {', '.join(EDITIONS)}")


def topics_of(config: Config, names: Sequence[str] = ()) -> tuple[Topic, ...]:
    """The configured topics as values (all of them, or the recipient's selection)."""
    wanted = {n.casefold() for n in names}
    return tuple(_topic(t) for t in config.topics if not wanted or t.name.casefold() in wanted)


def _topic(t: TopicConfig) -> Topic:
    return Topic(
        name=t.name,
        include=t.include,
        exclude=t.exclude,
        categories=t.categories,
        hf_queries=t.hf_queries,
        ai_keywords=t.ai_keywords,
        authors=t.authors,
    )


def digest_periods(
    day: date, jobs: Sequence[Job], outcomes: Sequence[SourceOutcome]
) -> list[Period]:
    """The digests a daily run for ``day`` delivers: one per HF list date it fetched as
    scheduled or healed (not a refresh) and got an answer for; on Sundays, the week's too."""
    days = sorted(
        {
            date.fromisoformat(j.period)
            for j, o in zip(jobs, outcomes, strict=True)
            if j.source == "hf-daily"
            and j.reason in ("scheduled", "heal")
            and o.status in ("complete", "empty")
        }
    )
    periods = [period_for("daily", d) for d in days]
    if day.weekday() == 6 and day in days:
        periods.append(period_for("weekly", day))
    return periods


def build(
    settings: Settings,
    config: Config,
    period: Period,
    *,
    recipient: str = ARCHIVE,
    topic_names: Sequence[str] = (),
    caps: Caps | None = None,
    now: datetime | None = None,
) -> Edition:
    """The edition for one recipient: their topics, their sent ledger."""
    repo = repository(settings.database_url)
    primary_runs = [
        r
        for day in period.days
        if (r := _latest_run(repo, "hf-daily", day.isoformat())) is not None
    ]
    as_of = _moment(primary_runs) or now or datetime.now(UTC)
    # Since the previous digest of this edition: its listing's moment, else one period back.
    previous = _moment(
        [
            r
            for day in period.previous().days
            if (r := _latest_run(repo, "hf-daily", day.isoformat())) is not None
        ]
    )
    start = previous if previous is not None and previous < as_of else as_of - period.window
    window = DiffWindow(start=start, end=as_of)

    in_window = repo.runs_between(start, as_of)
    ids = repo.ids_in_runs([r.id for r in in_window if r.status == "complete"])
    primary: list[Sighting] = []
    for run in primary_runs:
        if run.status == "complete":
            primary += [s for _, s in repo.listing_items(run.id)]
    ids |= {s.arxiv_id for s in primary}
    papers = repo.papers(ids)
    history = repo.sightings(ids, until=as_of + timedelta(microseconds=1))
    before = repo.tracked_before(ids, start)
    first_seen = repo.first_seen(ids)
    histories = tuple(
        PaperHistory(
            paper=papers[i],
            before=_state(before.get(i)),
            sightings=tuple(history.get(i, ())),
            first_seen_at=first_seen.get(i),
        )
        for i in sorted(ids)
        if i in papers
    )
    listings = {(s.source, s.period) for h in histories for s in h.sightings}
    runs = tuple(r for source, p in sorted(listings) for r in repo.runs(source, p))
    topics = topics_of(config, topic_names)
    digest_cfg = config.digest
    inputs = EditionInputs(
        edition=period.edition,
        period=period.key,
        title=period.title,
        window=window,
        histories=histories,
        runs=runs,
        primary=tuple(primary),
        topics=topics,
        hf_query_hits=query_hits(repo, topics, as_of),
        # Announcements at or after the window start are this digest's own (a re-run of the
        # same period): they must not stop it from saying "new" again.
        sent_as_new={
            arxiv_id: at
            for arxiv_id, at in repo.sent_new(
                recipient, period.edition, since=as_of - timedelta(days=digest_cfg.new_window_days)
            ).items()
            if at <= start
        },
        sent_window=timedelta(days=digest_cfg.new_window_days),
        health=_health(in_window, primary_runs),
        notes=(
            *(f.notice() for f in failing(repo, config, as_of)),
            *_notes(period, primary_runs),
        ),
        authors=_authors(repo, config, start, as_of),
        caps=caps
        or Caps(
            top_trending=digest_cfg.top_trending,
            top_new=digest_cfg.top_new,
            other_notable=digest_cfg.other_notable,
        ),
        diff_params=DiffParams(rising_threshold=digest_cfg.rising_threshold),
    )
    return build_edition(inputs)


def failing(repo: Repository, config: Config, as_of: datetime) -> tuple[FailingSource, ...]:
    """Sources failing ``[digest] alert_after_failed_runs`` runs in a row as of ``as_of``
    (runs of the last 90 days; a run's sources finish within ``SAME_RUN`` of its listing)."""
    runs = repo.runs_between(as_of - timedelta(days=90), as_of + SAME_RUN)
    return failing_sources(runs, config.digest.alert_after_failed_runs)


def _moment(runs: Sequence[RunRecord]) -> datetime | None:
    """When a period's listing was last observed (a failed run observed nothing): the
    digest's "as of"."""
    ended = [r.finished_at or r.started_at for r in runs if r.status in ("complete", "empty")]
    return max(ended) if ended else None


def _latest_run(repo: Repository, source: str, period: str) -> RunRecord | None:
    """The last run of a listing that got an answer (complete or empty), else the last one."""
    runs = repo.runs(source, period)
    answered = [r for r in runs if r.status in ("complete", "empty")]
    pool = answered or runs
    return max(pool, key=lambda r: r.id) if pool else None


def _state(fields: TrackedFields | None) -> PaperState | None:
    if fields is None:
        return None
    return PaperState(
        title=fields.title,
        abstract=fields.abstract or "",
        github_repo=fields.github_repo,
        version=fields.version,
    )


def query_hits(
    repo: Repository, topics: Sequence[Topic], as_of: datetime
) -> dict[str, frozenset[str]]:
    hits: dict[str, frozenset[str]] = {}
    for query in {q for t in topics for q in t.hf_queries}:
        runs = [
            r
            for r in repo.runs("hf-search", query)
            if r.status == "complete" and r.started_at <= as_of
        ]
        if runs:
            latest = max(runs, key=lambda r: r.id)
            hits[query] = frozenset(p.arxiv_id for p, _ in repo.listing_items(latest.id))
    return hits


def _health(runs: Sequence[RunRecord], primary: Sequence[RunRecord]) -> tuple[SourceHealth, ...]:
    """Per source: the state of its listings' latest runs in the window."""
    latest: dict[tuple[str, str], RunRecord] = {}
    for run in sorted((*runs, *primary), key=lambda r: r.id):
        latest[(run.source, run.period)] = run
    by_source: dict[str, list[RunRecord]] = {}
    for (source, _), run in sorted(latest.items()):
        by_source.setdefault(source, []).append(run)
    health = []
    for source, source_runs in by_source.items():
        failed = [r for r in source_runs if r.status == "failed"]
        status = (
            "failed"
            if failed
            else ("complete" if any(r.status == "complete" for r in source_runs) else "empty")
        )
        errors = "; ".join(f"{r.period}: {r.error}" for r in failed)
        health.append(
            SourceHealth(
                source=source,
                status=status,
                fetched=sum(r.fetched for r in source_runs),
                error=errors or None,
            )
        )
    return tuple(health)


def _notes(period: Period, primary_runs: Sequence[RunRecord]) -> tuple[str, ...]:
    notes = []
    fetched = {
        date.fromisoformat(r.period) for r in primary_runs if r.status in ("complete", "empty")
    }
    empty = [date.fromisoformat(r.period) for r in primary_runs if r.status == "empty"]
    if period.edition == "daily":
        day = period.days[0]
        if day in empty:
            notes.append(weekend_note(day))
        elif day not in fetched:
            notes.append(
                f"Hugging Face Daily Papers for {day:%A %d %B %Y} have not been "
                "fetched yet (run `paperpulse run --date "
                f"{day.isoformat()}`)."
            )
    else:
        missing = [d for d in period.days if d not in fetched and d.weekday() < 5]
        if missing:
            notes.append("Not fetched yet: " + ", ".join(f"{d:%a %d %b}" for d in missing) + ".")
    return tuple(notes)


def _authors(
    repo: Repository, config: Config, start: datetime, as_of: datetime
) -> tuple[AuthorNews, ...]:
    """Followed authors' papers first seen in the window, and how their profiles changed."""
    news = []
    for author in config.authors:
        runs = [
            r
            for r in repo.runs("arxiv-author", author.name)
            if r.status == "complete" and r.started_at <= as_of
        ]
        ids = repo.ids_in_runs([r.id for r in runs])
        first_seen = repo.first_seen(ids)
        fresh = [i for i in sorted(ids) if start <= first_seen.get(i, start) <= as_of]
        found = repo.papers(fresh)
        profiles = repo.author_profiles(author.name, until=as_of, limit=2)
        changes: tuple[str, ...] = ()
        if profiles and start <= profiles[0][0] <= as_of:
            before = profiles[1][1] if len(profiles) > 1 else None
            changes = profile_changes(before, profiles[0][1])
        news.append(
            AuthorNews(
                name=author.name,
                papers=tuple(found[i] for i in fresh if i in found),
                profile_changes=changes,
            )
        )
    return tuple(news)
