"""The archive's derived files, built from the database: Atom feeds, the index, navigation.

Feeds hold one entry per paper the archive announced as new (its reader's ledger), newest first,
with the paper's summary, abstract and links; each topic's feed holds the same entries for
its papers. Each version of a feed holds every paper its newest digest announced (a catch-up
or a busy arXiv day may announce hundreds) and the ``FEED_SIZE`` newest besides, so a feed
reader polling each commit never misses a paper (rule 10). The index and each digest's
navigation come from the deliveries ledger. Nothing is read back from the archive's files, so
a damaged file is simply rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from paperpulse.app.compose import ARCHIVE, query_hits, topics_of
from paperpulse.app.context import Context
from paperpulse.app.subscriptions import feed_actions
from paperpulse.config.file import Config
from paperpulse.core.kinds import DONE_RUN_STATUSES, Edition, Source
from paperpulse.core.models import Paper
from paperpulse.digest.archive_nav import Archived, archive_index, digest_nav, feed_path
from paperpulse.digest.archive_paths import INDEX_PATH
from paperpulse.digest.calendar import daily_key, period_of_key, weekly_key
from paperpulse.digest.feed import (
    FeedEntry,
    build_feed,
    feed_id,
    paper_content,
    paper_entry_id,
)
from paperpulse.digest.models import Digest
from paperpulse.digest.topics import match_papers
from paperpulse.storage.repository import Repository

FEED_SIZE = 50  # entries per feed besides those of the digest being published
# At most this many entries: a digest announcing more (thousands of arXiv cross-lists) keeps
# its newest in the feed; the rest are in its Markdown file.
FEED_MAX = 1_000
FEED_DAYS = 90  # how far back the sent ledger is read for them
HF_PAPERS = "https://huggingface.co/papers"


def feeds(
    ctx: Context,
    digest: Digest,
    announced: frozenset[str],
    *,
    hits: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, str]:
    """``feed.xml`` and ``feeds/<topic>.xml``, including this digest's ``announced`` papers
    (not in the reader's ledger until it is delivered). ``hits``: the topics' HF search hits
    as of the digest, when the caller has read them already."""
    repo, config = ctx.repository, ctx.config
    when = repo.announced_since(ARCHIVE, digest.generated_at - timedelta(days=FEED_DAYS))
    for arxiv_id in announced:
        when.setdefault(arxiv_id, digest.generated_at)
    newest = sorted(when, key=lambda i: (when[i], i), reverse=True)
    papers = repo.papers(newest)
    ids = [i for i in newest if i in papers]
    base = config.archive.feed_url
    # An empty feed's time: the latest announcement, never the clock (a re-run rewrites no byte).
    at = max(when.values(), default=digest.generated_at)

    actions = feed_actions(ctx, ARCHIVE, {i: when[i] for i in ids})

    def feed(title: str, name: str, members: Sequence[str]) -> str:
        return _feed(
            title, name, _kept(members, announced), papers, when, at, base, config, actions
        )

    files = {"feed.xml": feed("paperpulse: new papers", "all", ids)}
    topics = topics_of(config)
    matches = match_papers(
        [papers[i] for i in ids],
        topics,
        hf_query_hits=query_hits(repo, topics, digest.generated_at) if hits is None else hits,
    )
    for topic in topics:
        members = [i for i in ids if any(m.topic == topic.name for m in matches[i])]
        name = feed_path(topic.name, [t.name for t in topics])  # injective over them
        files[name] = feed(f"paperpulse · {topic.name}", name, members)
    return files


def _kept(newest: Sequence[str], announced: frozenset[str]) -> list[str]:
    """The entries of one version, newest first: every paper ``announced`` by the digest
    being published and the ``FEED_SIZE`` newest others, ``FEED_MAX`` at most."""
    own = [i for i in newest if i in announced][:FEED_MAX]
    others = [i for i in newest if i not in announced][
        : max(0, min(FEED_SIZE, FEED_MAX - len(own)))
    ]
    chosen = {*own, *others}
    return [i for i in newest if i in chosen]


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
    shown = list(ids)
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
        feed_id=stable_feed_id(path),
        title=title,
        link=f"{config.archive.web_url}/{INDEX_PATH}" if config.archive.web_url else HF_PAPERS,
        self_link=f"{base}/{path}" if base else None,
        updated=updated,
        entries=entries,
    )
    return document.decode("utf-8")


def stable_feed_id(path: str) -> str:
    """The ``<id>`` of the feed at ``path``, as the first archives wrote it: a feed reader
    that sees a feed's id change treats every entry as new (27 old papers after an upgrade).
    ``feed.xml`` was "paperpulse", a topic's feed "paperpulse-<its file name>"."""
    return feed_id("paperpulse" if path == "feed.xml" else f"paperpulse-{path[6:-4]}")


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
        try:
            period = period_of_key(key)
        except ValueError:
            continue  # not a digest this archive knows how to list
        total = sum(fetched.get(d.isoformat(), 0) for d in period.days)
        if period.edition == Edition.DAILY:
            entries.append(Archived(title=period.title, n_papers=total, day=period.days[0]))
        else:
            entries.append(Archived(title=period.title, n_papers=total, week=period.key))
    return entries


def index_and_nav(ctx: Context, digest: Digest) -> tuple[str, str]:
    """The archive's ``README.md`` and the navigation to put atop ``digest``'s file."""
    config = ctx.config
    entries = archived(ctx.repository, extra=digest)
    current = next(e for e in entries if _key(e) == digest.key)
    topic_names = [t.name for t in config.topics]
    present = [s.title for s in digest.sections if s.title in topic_names]
    return archive_index(entries, topics=topic_names), digest_nav(current, entries, topics=present)


def _key(entry: Archived) -> str:
    return daily_key(entry.day) if entry.day else weekly_key(str(entry.week))
