"""Read what an edition needs from the database and build it (I/O here, rules in digest/).

docs/digest-semantics.md is the contract: an edition covers list dates and is built *as of* a
moment; papers of a day are that day's listings; "new" and "rising" are per reader, from the
reader's ledger (``shown``); a reader's email covers the days not yet delivered to them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from paperpulse.app.collect import SourceOutcome
from paperpulse.app.context import Context
from paperpulse.app.jobs import Job
from paperpulse.app.scholarly_shared import ScholarShared
from paperpulse.config.file import Config, TopicConfig
from paperpulse.core.kinds import DONE_RUN_STATUSES, Edition, RunStatus, Source
from paperpulse.core.models import AuthorProfile, Paper, RunRecord, Sighting
from paperpulse.digest.calendar import Period, catch_up, day_of_key, digest_name, period_for
from paperpulse.digest.dead_sources import SAME_RUN, FailingSource, failing_sources
from paperpulse.digest.edition import (
    AuthorNews,
    Caps,
    DayListing,
    EditionInputs,
    ListingStatus,
    Seen,
    build_edition,
)
from paperpulse.digest.models import Digest, SourceHealth
from paperpulse.digest.topics import Explanation, Topic, explain
from paperpulse.scrapers.authors import profile_changes
from paperpulse.storage.records import ShownRecord
from paperpulse.storage.repository import Repository

if TYPE_CHECKING:  # scikit-learn loads in ~1 s: only runs that rank pay for it
    from paperpulse.digest.foryou import Corpus

ARCHIVE = "archive"  # the reader's-ledger "recipient" of the public archive and feeds
ANSWERED = DONE_RUN_STATUSES
_TICK = timedelta(microseconds=1)


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
    """The archive's daily digests after a daily run for ``day``: one per HF list date it
    fetched as scheduled or healed and got an answer for (or ``day`` itself when HF Daily is
    not followed and another source answered). Weeklies are owed by the ledger: ``owed_weeks``."""
    answered = [(j, o) for j, o in zip(jobs, outcomes, strict=True) if o.status in ANSWERED]
    days = {
        j.day
        for j, _ in answered
        if j.source == Source.HF_DAILY and j.reason in ("scheduled", "heal")
    }
    if not any(j.source == Source.HF_DAILY for j in jobs) and answered:
        days.add(day)
    return [period_for(Edition.DAILY, d) for d in sorted(days)]


WEEKLY_GRACE = timedelta(days=2)  # runs a week with a failed date waits for it to heal


def owed_weeks(ctx: Context, day: date, readers: Sequence[str]) -> list[Period]:
    """The weeklies owed after a run for list date ``day`` (rule 5): every ISO week that ended
    by ``day`` within the catch-up window, not yet delivered to the archive or to one of the
    weekly ``readers``. A week waits while one of its dates is unanswered, for
    ``WEEKLY_GRACE`` after it ended (the next runs heal such dates); a week none of whose
    dates was ever fetched (before the first run) is never owed."""
    span = max(ctx.config.digest.catch_up_days, 7)
    weeks = {period_for(Edition.WEEKLY, day - timedelta(days=back)) for back in range(span + 7)}
    repo = ctx.repository
    archived = set(repo.sent_digests("archive", ARCHIVE))
    owed = []
    for week in sorted(weeks, key=lambda p: p.days[0]):
        if week.days[-1] > day:
            continue
        statuses = [reads(ctx).day_listing(d).status for d in week.days]
        if all(s == "missing" for s in statuses):
            continue
        if "missing" in statuses and week.days[-1] >= day - WEEKLY_GRACE:
            continue
        delivered = week.digest_key in archived and all(
            any(r.digest_key == week.digest_key for r in repo.delivered(reader, week.digest_key))
            for reader in readers
        )
        if not delivered:
            owed.append(week)
    return owed


@dataclass(frozen=True, slots=True, kw_only=True)
class EditionData:
    """What every reader's view of one period shares, read once per period per run: the
    listings, the rising pool, their papers and sightings, search hits, failing sources and
    followed authors' papers and profiles, all as of the edition's moment."""

    period: Period
    as_of: datetime
    listings: tuple[DayListing, ...]
    ids: frozenset[str]  # every paper the edition may name (listings, rising pool, authors)
    rising_pool: tuple[str, ...]
    papers: Mapping[str, Paper]
    sightings: Mapping[str, Sequence[Sighting]]
    hf_query_hits: Mapping[str, frozenset[str]]  # every configured topic's queries
    notes: tuple[str, ...]  # failing sources
    author_papers: Mapping[str, str]  # {arxiv_id: followed author}
    first_seen: Mapping[str, datetime]  # of the followed authors' papers
    # Per followed author: their two latest profile snapshots by ``as_of``, newest first.
    author_profiles: Mapping[str, tuple[tuple[datetime, AuthorProfile], ...]]


def read_edition(ctx: Context, period: Period) -> EditionData:
    """The shared reads of ``period``'s edition (``build_for`` adds each reader's)."""
    repo, config = ctx.repository, ctx.config
    horizon = config.digest.rising_days
    earlier = [period.days[0] - timedelta(days=back) for back in range(1, horizon + 1)]
    ledger = DayRuns.read(repo, [*earlier, *period.days])
    moments = {day: ledger.moment(day, ctx.now()) for day in period.days}
    as_of = max(moments.values())
    listings = tuple(_day_listing(repo, config, ledger, d, moments[d]) for d in period.days)
    pool = _rising_pool(repo, ledger, earlier, as_of)
    authors_found = _author_papers(repo, config, as_of)
    ids = {i for listing in listings for i in listing.ids} | set(pool) | set(authors_found)
    return EditionData(
        period=period,
        as_of=as_of,
        listings=listings,
        ids=frozenset(ids),
        rising_pool=tuple(pool),
        papers=repo.papers(ids),
        sightings=repo.sightings(ids, until=as_of + _TICK),
        hf_query_hits=query_hits(repo, topics_of(config), as_of),
        notes=(
            *ledger.healed_notes(period.days, as_of),
            *(f.reader_notice() for f in failing(repo, config, as_of)),
        ),
        author_papers=authors_found,
        first_seen=repo.first_seen(authors_found) if authors_found else {},
        author_profiles={
            a.name: tuple(repo.author_profiles(a.name, until=as_of, limit=2))
            for a in config.authors
        },
    )


def build(
    ctx: Context,
    period: Period,
    *,
    reader: str = ARCHIVE,
    topic_names: Sequence[str] = (),
    caps: Caps | None = None,
    data: EditionData | None = None,
) -> Digest:
    """The edition of ``period`` for one reader: their topics, their ledger. ``data`` is the
    period's shared reads when the caller already has them (one read for many readers)."""
    shared = data if data is not None else read_edition(ctx, period)
    return build_for(ctx, shared, reader=reader, topic_names=topic_names, caps=caps)


def build_for(
    ctx: Context,
    data: EditionData,
    *,
    reader: str = ARCHIVE,
    topic_names: Sequence[str] = (),
    caps: Caps | None = None,
) -> Digest:
    """One reader's edition over the shared ``data``: only their ledger is read here."""
    repo, config = ctx.repository, ctx.config
    period, as_of, papers = data.period, data.as_of, data.papers
    shown = repo.shown(reader, data.ids, before=period.digest_key)
    previous = repo.last_digest_moment(reader, before=period.digest_key)
    if previous is not None and previous >= as_of:
        previous = None  # a digest rebuilt for an earlier date than the reader's latest
    last_day = period.days[-1].isoformat()
    topics = topics_of(config, topic_names)
    queries = {q for t in topics for q in t.hf_queries}
    digest_cfg = config.digest
    listed = [x.day for x in data.listings if x.status == "complete"]
    # A Monday digest that also covers the empty weekend is Monday's digest, with a note; the
    # subject names the same dates as the title.
    one = len(listed) == 1 and period.edition == Edition.DAILY
    title = period_for(Edition.DAILY, listed[0]).title if one else period.title
    first, last = (listed[0], listed[0]) if one else (period.days[0], period.days[-1])
    label = (
        period.key
        if period.edition == Edition.WEEKLY
        else first.isoformat()
        if first == last
        else f"{first.isoformat()} – {last.isoformat()}"
    )
    inputs = EditionInputs(
        edition=period.edition,
        key=period.key,
        label=label,
        title=title,
        as_of=as_of,
        listings=data.listings,
        papers=papers,
        sightings=data.sightings,
        rising_pool=data.rising_pool,
        seen={
            # A showing after this edition's moment (a rebuilt past day) is no baseline.
            i: Seen(
                announced_new=r.announced_new,
                at=r.seen_at,
                upvotes=r.seen_upvotes,
                digest=digest_name(r.seen_digest),
            )
            if r.seen_at is not None and r.seen_at < as_of
            else Seen(announced_new=r.announced_new, at=as_of)
            for i, r in shown.items()
        },
        previous_digest=previous,
        topics=topics,
        hf_query_hits={q: hits for q, hits in data.hf_query_hits.items() if q in queries},
        updated=_updates(repo, papers, shown, previous),
        health=_health(
            [
                r
                # A later list date's failure is news for that date's edition, not this one.
                for r in repo.runs_between(previous or as_of - timedelta(days=1), as_of)
                if r.source != Source.HF_DAILY or r.period <= last_day
            ]
        ),
        notes=data.notes,
        authors=_authors(repo, config, data, previous),
        caps=caps
        or Caps(
            top_trending=digest_cfg.top_trending,
            top_rising=digest_cfg.top_rising,
        ),
        rising_threshold=digest_cfg.rising_threshold,
    )
    return build_edition(inputs)


def failing(repo: Repository, config: Config, as_of: datetime) -> tuple[FailingSource, ...]:
    """Sources failing ``[digest] alert_after_failed_runs`` runs in a row as of ``as_of``
    (runs of the last 90 days; a run's sources finish within ``SAME_RUN`` of its listing)."""
    runs = repo.runs_between(as_of - timedelta(days=90), as_of + SAME_RUN)
    return failing_sources(runs, config.digest.alert_after_failed_runs)


def reader_period(ctx: Context, reader: str, day: date) -> Period | None:
    """The daily digest ``reader`` should get now: every day up to ``day`` not yet delivered
    to them (within ``catch_up_days``, after their first digest), or None when those days list
    nothing: empty days are folded into the next digest's note, never mailed alone. A day
    whose listing was not fetched stays pending until it is."""
    delivered = {
        d
        for r in ctx.repository.delivered(reader, prefix="daily/")
        if (d := day_of_key(r.digest_key)) is not None
    }
    span = ctx.config.digest.catch_up_days
    if not delivered or span == 0:
        candidates = [day]
    else:
        first = min(delivered)
        candidates = [d for back in range(span) if (d := day - timedelta(days=back)) > first]
    listings = [reads(ctx).day_listing(d) for d in sorted(candidates) if d not in delivered]
    answered = [x for x in listings if x.status != "missing"]
    if not any(x.status in ("complete", "unlisted") for x in answered):
        return None
    return catch_up([x.day for x in answered])


@dataclass(slots=True)
class ForYouShared:
    """What every reader's "For you" in one run shares: the archive's remote pulled once (for
    its feedback.txt) and the recent pool weighed once (keyed by its papers' texts)."""

    pulled: bool = False
    pools: dict[tuple[str, ...], Corpus] = field(default_factory=dict)


class EditionReads:
    """The shared reads of one run's deliveries, each done on first use and then kept: a
    period's ``EditionData``, a day's listing and the For-you pool are the same for every
    reader of the run."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._editions: dict[Period, EditionData] = {}
        self._days: dict[date, DayListing] = {}
        self._now: datetime | None = None
        self.for_you = ForYouShared()
        self.scholar = ScholarShared()  # "cites your work", venues, TL;DRs: once per run

    def edition(self, period: Period) -> EditionData:
        if period not in self._editions:
            self._editions[period] = read_edition(self._ctx, period)
        return self._editions[period]

    def day_listing(self, day: date) -> DayListing:
        """``day``'s listing as of this run's first look (which days a reader is owed)."""
        if day not in self._days:
            if self._now is None:
                self._now = self._ctx.now()
            ctx = self._ctx
            ledger = DayRuns.read(ctx.repository, [day])
            self._days[day] = _day_listing(ctx.repository, ctx.config, ledger, day, self._now)
        return self._days[day]


def reads(ctx: Context) -> EditionReads:
    """The run's shared reads, made on first use and kept in its context."""
    if ctx.shared_reads is None:
        ctx.shared_reads = EditionReads(ctx)
    return ctx.shared_reads


@dataclass(frozen=True, slots=True)
class DayRuns:
    """The HF Daily run ledger of some list dates, read once: each date's runs, and when the
    first run of each later list date began (where an earlier date's observation ends)."""

    runs: Mapping[date, Sequence[RunRecord]]
    later_starts: Mapping[str, datetime]  # {later list date: its first run's start}

    @classmethod
    def read(cls, repo: Repository, days: Sequence[date]) -> DayRuns:
        periods = sorted({d.isoformat() for d in days})
        found = repo.runs_of(Source.HF_DAILY, periods)
        return cls(
            runs={d: [r for r in found if r.period == d.isoformat()] for d in days},
            later_starts=repo.first_starts_after(Source.HF_DAILY, periods[0]) if periods else {},
        )

    def moment(self, day: date, now: datetime) -> datetime:
        """``day``'s "as of", decided per date (docs/digest-semantics.md rule 1): now for the
        latest list date; for an earlier one, the end of its observation (just before the
        first run of a later list date began) but never before its own first answer, however
        a backfill's threads or a heal interleaved the fetches. A rebuilt past edition so uses
        no later observation, and a stored date is never "not fetched"."""
        key = day.isoformat()
        later = min((t for p, t in self.later_starts.items() if p > key), default=None)
        if later is None or later > now:
            return now
        own = [r.finished_at or r.started_at for r in self.runs[day] if r.status in ANSWERED]
        return max(later - _TICK, min(own)) if own else later - _TICK

    def latest_answered(self, day: date, as_of: datetime) -> RunRecord | None:
        done = [
            r
            for r in self.runs.get(day, ())
            if r.status in ANSWERED and (r.finished_at or r.started_at) <= as_of
        ]
        return max(done, key=lambda r: r.id) if done else None

    def healed_notes(self, days: Sequence[date], as_of: datetime) -> tuple[str, ...]:
        """ "Hugging Face could not be reached on Tue 14 and Wed 15 Jul; those days are
        below": the dates whose fetch failed before a later run got their answer."""
        healed = []
        for day in days:
            runs = [r for r in self.runs[day] if (r.finished_at or r.started_at) <= as_of]
            answered = [r.id for r in runs if r.status in ANSWERED]
            if answered and any(
                r.status == RunStatus.FAILED and r.id < min(answered) for r in runs
            ):
                healed.append(day)
        if not healed:
            return ()
        names = [f"{d:%a %d}" for d in healed[:-1]] + [f"{healed[-1]:%a %d %b}"]
        named = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        below = "that day is below" if len(healed) == 1 else "those days are below"
        return (f"Hugging Face could not be reached on {named}; {below}.",)


def _latest_answered(
    repo: Repository, source: str, period: str, as_of: datetime
) -> RunRecord | None:
    runs = [
        r
        for r in repo.runs(source, period)
        if r.status in ANSWERED and (r.finished_at or r.started_at) <= as_of
    ]
    return max(runs, key=lambda r: r.id) if runs else None


def _day_listing(
    repo: Repository, config: Config, ledger: DayRuns, day: date, as_of: datetime
) -> DayListing:
    """A list date's papers as of ``as_of``: HF's list of that date (its latest answer), then
    arXiv's announcements of that date from the followed categories."""
    ids: list[str] = []
    # "unlisted": no day listing is followed (followed authors only): nothing to say about it.
    status: ListingStatus = (
        "empty" if config.sources.hf_daily or config.sources.arxiv_categories else "unlisted"
    )
    if config.sources.hf_daily:
        run = ledger.latest_answered(day, as_of)
        if run is None:
            status = "missing"
        elif run.status == RunStatus.COMPLETE:
            ids += [s.arxiv_id for _, s in repo.listing_items(run.id)]
    if config.sources.arxiv_categories:
        announced = repo.listed_on(day)
        seen = repo.sightings(announced, until=as_of + _TICK)
        ids += [
            i
            for i in announced
            if i not in ids and any(s.source == Source.ARXIV_LISTING for s in seen.get(i, ()))
        ]
    if ids:
        status = "complete"
    return DayListing(day=day, ids=tuple(dict.fromkeys(ids)), status=status)


def _rising_pool(
    repo: Repository, ledger: DayRuns, days: Sequence[date], as_of: datetime
) -> list[str]:
    """Papers of the HF list dates ``days`` (those before the edition's): who may be rising."""
    ids: list[str] = []
    for day in days:
        run = ledger.latest_answered(day, as_of)
        if run is not None and run.status == RunStatus.COMPLETE:
            ids += [s.arxiv_id for _, s in repo.listing_items(run.id) if s.arxiv_id not in ids]
    return ids


def _updates(
    repo: Repository,
    papers: Mapping[str, Paper],
    shown: dict[str, ShownRecord],
    previous: datetime | None,
) -> dict[str, tuple[str, ...]]:
    """What changed in papers this reader saw before, since their previous digest."""
    if previous is None:
        return {}
    known = [i for i in shown if i in papers]
    labels: dict[str, tuple[str, ...]] = {}
    for arxiv_id, before in repo.tracked_before(known, previous).items():
        paper = papers[arxiv_id]
        found = []
        # A bare id (HF lists ids without a version) is v1 until a source says otherwise.
        was = before.version or 1
        if paper.version is not None and paper.version > was:
            found.append(f"new arXiv version v{paper.version} (was v{was})")
        if not before.github_repo and paper.github_repo:
            found.append("code released")
        if " ".join(before.title.split()) != " ".join(paper.title.split()):
            found.append("title revised")
        if found:
            labels[arxiv_id] = tuple(found)
    return labels


def explain_paper(ctx: Context, arxiv_id: str) -> tuple[str, list[Explanation]] | None:
    """Why a stored paper is in each configured topic, or not (None: not stored)."""

    paper = ctx.repository.papers([arxiv_id]).get(arxiv_id)
    if paper is None:
        return None
    topics = topics_of(ctx.config)
    hits = query_hits(ctx.repository, topics, ctx.now())
    return paper.title, [explain(paper, topic, hf_query_hits=hits) for topic in topics]


def query_hits(
    repo: Repository, topics: Sequence[Topic], as_of: datetime
) -> dict[str, frozenset[str]]:
    hits: dict[str, frozenset[str]] = {}
    for query in {q for t in topics for q in t.hf_queries}:
        latest = _latest_answered(repo, Source.HF_SEARCH, query, as_of)
        if latest is not None:
            hits[query] = frozenset(p.arxiv_id for p, _ in repo.listing_items(latest.id))
    return hits


def _health(runs: Sequence[RunRecord]) -> tuple[SourceHealth, ...]:
    """Per source: the state of its listings' latest runs since the reader's last digest."""
    latest: dict[tuple[str, str], RunRecord] = {}
    for run in sorted(runs, key=lambda r: r.id):
        if run.status != RunStatus.RUNNING:
            latest[(run.source, run.period)] = run
    by_source: dict[str, list[RunRecord]] = {}
    for (source, _), run in sorted(latest.items()):
        by_source.setdefault(source, []).append(run)
    health = []
    for source, source_runs in by_source.items():
        failed = [r for r in source_runs if r.status == RunStatus.FAILED]
        status = (
            RunStatus.FAILED
            if failed
            else (
                RunStatus.COMPLETE
                if any(r.status == RunStatus.COMPLETE for r in source_runs)
                else RunStatus.EMPTY
            )
        )
        errors = "; ".join(f"{r.period}: {r.error}" for r in failed)
        health.append(
            SourceHealth(
                source=source,
                status=status,
                fetched=sum(r.fetched for r in source_runs),
                error=errors or None,
                periods=tuple(r.period for r in failed),
            )
        )
    return tuple(health)


def _author_papers(repo: Repository, config: Config, as_of: datetime) -> dict[str, str]:
    """Followed authors' papers observed by ``as_of``: ``{arxiv_id: author name}``."""
    found: dict[str, str] = {}
    for author in config.authors:
        runs = [
            r.id
            for r in repo.runs(Source.ARXIV_AUTHOR, author.name)
            if r.status == RunStatus.COMPLETE and (r.finished_at or r.started_at) <= as_of
        ]
        for arxiv_id in sorted(repo.ids_in_runs(runs)):
            found.setdefault(arxiv_id, author.name)
    return found


def _authors(
    repo: Repository, config: Config, data: EditionData, previous: datetime | None
) -> tuple[AuthorNews, ...]:
    """Each followed author's profile as of the edition, what changed since the reader's last
    digest, and their papers first seen since then (the last week on a first digest)."""
    as_of, papers = data.as_of, data.papers
    since = previous or as_of - timedelta(days=7)
    news = []
    for author in config.authors:
        latest = data.author_profiles.get(author.name, ())
        # Since the reader's last digest; on their first, since the snapshot before the latest.
        before = (
            repo.author_profiles(author.name, until=previous, limit=1) if previous else latest[1:]
        )
        profile = latest[0][1] if latest else None
        changes: tuple[str, ...] = ()
        if profile is not None and before and before[0][0] < latest[0][0]:
            changes = profile_changes(before[0][1], profile)
        fresh = [
            papers[i]
            for i, name in data.author_papers.items()
            if name == author.name
            and i in papers
            and since < data.first_seen.get(i, since) <= as_of
        ]
        news.append(
            AuthorNews(
                name=author.name,
                profile=profile,
                profile_changes=changes,
                papers=tuple(fresh),
            )
        )
    return tuple(news)
