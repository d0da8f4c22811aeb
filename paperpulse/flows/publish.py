"""The archive's derived files, built from the database: Atom feeds, the index, navigation.

Feeds hold one entry per paper the archive announced as new (its reader's ledger), newest first,
with the paper's summary, abstract and links; each topic's feed holds the same entries for
its papers. The index and each digest's navigation come from the deliveries ledger. Nothing
is read back from the archive's files, so a damaged file is simply rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from paperpulse.core.kinds import DONE_RUN_STATUSES, Source
from paperpulse.core.models import Paper
from paperpulse.digest.archive_nav import Archived, archive_index, digest_nav, feed_path
from paperpulse.digest.archive_paths import INDEX_PATH
from paperpulse.digest.feed import (
    FeedEntry,
    build_feed,
    feed_id,
    paper_content,
    paper_entry_id,
)
from paperpulse.digest.models import Digest
from paperpulse.digest.topics import match_papers
from paperpulse.flows.compose import ARCHIVE, period_for, query_hits, topics_of
from paperpulse.flows.config import Config
from paperpulse.flows.context import repository
from paperpulse.flows.jobs import iso_week
from paperpulse.flows.settings import Settings
from paperpulse.flows.subscriptions import feed_actions
from paperpulse.storage.repository import Repository

FEED_SIZE = 50  # entries per feed
FEED_DAYS = 90  # how far back the sent ledger is read for them
HF_PAPERS = "https://huggingface.co/papers"


def feeds(
    settings: Settings,
    config: Config,
    digest: Digest,
    announced: frozenset[str],
    *,
    hits: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, str]:
    """``feed.xml`` and ``feeds/<topic>.xml``, including this digest's ``announced`` papers
    (not in the reader's ledger until it is delivered). ``hits``: the topics' HF search hits
    as of the digest, when the caller has read them already."""
    repo = repository(settings.database_url)
    when = repo.announced_since(ARCHIVE, digest.generated_at - timedelta(days=FEED_DAYS))
    for arxiv_id in announced:
        when.setdefault(arxiv_id, digest.generated_at)
    newest = sorted(when, key=lambda i: (when[i], i), reverse=True)
    papers = repo.papers(newest)
    ids = [i for i in newest if i in papers]
    base = config.archive.feed_url
    # An empty feed's time: the latest announcement, never the clock (a re-run rewrites no byte).
    at = max(when.values(), default=digest.generated_at)

    actions = feed_actions(settings, config, ARCHIVE, {i: when[i] for i in ids})

    def feed(title: str, name: str, members: Sequence[str]) -> str:
        return _feed(title, name, members, papers, when, at, base, config, actions)

    files = {"feed.xml": feed("paperpulse: new papers", "all", ids)}
    topics = topics_of(config)
    matches = match_papers(
        [papers[i] for i in ids],
        topics,
        hf_query_hits=query_hits(repo, topics, digest.generated_at) if hits is None else hits,
    )
    for topic in topics:
        members = [i for i in ids if any(m.topic == topic.name for m in matches[i])]
        name = feed_path(topic.name)
        files[name] = feed(f"paperpulse · {topic.name}", name, members)
    return files


def _feed(
    title: str,
    name: str,
    ids: Sequence[str],
    papers: dict[str, Paper],
    when: dict[str, datetime],
    empty_at: datetime,
    base: str | None,
    config: Config,
    actions: Mapping[str, Mapping[str, str]],
) -> str:
    shown = list(ids[:FEED_SIZE])
    entries = [
        FeedEntry(
            id=paper_entry_id(i),
            title=papers[i].title,
            link=papers[i].hf_url,
            updated=when[i],
            summary_text=papers[i].ai_summary or None,
            content_html=paper_content(papers[i], actions=actions.get(i)),
            authors=tuple(a.name for a in papers[i].authors[:10]),
        )
        for i in shown
    ]
    # The feed's time is its newest entry's: a re-run with nothing new changes no byte.
    updated = max((when[i] for i in shown), default=empty_at)
    path = "feed.xml" if name == "all" else name
    document = build_feed(
        feed_id=feed_id("daily" if name == "all" else f"topic/{path[6:].removesuffix('.xml')}"),
        title=title,
        link=f"{config.archive.web_url}/{INDEX_PATH}" if config.archive.web_url else HF_PAPERS,
        self_link=f"{base}/{path}" if base else None,
        updated=updated,
        entries=entries,
    )
    return document.decode("utf-8")


def archived(repo: Repository, extra: Digest | None = None) -> list[Archived]:
    """Every digest the archive holds (the deliveries ledger), plus ``extra`` (being written)."""
    keys = set(repo.sent_digests("archive", ARCHIVE))
    if extra is not None:
        keys.add(extra.key)
    fetched: dict[str, int] = {}
    for run in repo.runs(Source.HF_DAILY):  # in order: the last answered run of a day wins
        if run.status in DONE_RUN_STATUSES:
            fetched[run.period] = run.fetched
    entries = []
    for key in sorted(keys):
        edition, _, period = key.partition("/")
        if edition == "daily":
            day = date.fromisoformat(period)
            title = period_for("daily", day).title
            entries.append(Archived(title=title, n_papers=fetched.get(period, 0), day=day))
        elif edition == "weekly":
            monday = _monday(period)
            days = period_for("weekly", monday).days
            total = sum(fetched.get(d.isoformat(), 0) for d in days)
            title = period_for("weekly", monday).title
            entries.append(Archived(title=title, n_papers=total, week=iso_week(monday)))
    return entries


def index_and_nav(settings: Settings, config: Config, digest: Digest) -> tuple[str, str]:
    """The archive's ``README.md`` and the navigation to put atop ``digest``'s file."""
    repo = repository(settings.database_url)
    entries = archived(repo, extra=digest)
    current = next(e for e in entries if _key(e) == digest.key)
    topic_names = [t.name for t in config.topics]
    present = [s.title for s in digest.sections if s.title in topic_names]
    return archive_index(entries, topics=topic_names), digest_nav(current, entries, topics=present)


def _key(entry: Archived) -> str:
    return f"daily/{entry.day.isoformat()}" if entry.day else f"weekly/{entry.week}"


def _monday(week: str) -> date:
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)
