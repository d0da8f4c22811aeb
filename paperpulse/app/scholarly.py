"""The I/O of "Cites your work", "Now published" and TL;DRs; the rules are in
``digest/scholarly.py``, the values in ``core/scholarly.py``, the tables in
``storage/citations.py`` and ``storage/summaries.py``.

Two hooks, called where a reader's edition is built (``flows/deliver.py``):

- ``add_scholarly``: on its first call in a run, asks Semantic Scholar about every reader's
  papers (libraries and likes: citations and venue; papers announced to them lately: venue),
  at most once a day per paper and only the citations of papers whose count changed; then puts
  this reader's news not yet told to them before the topics. ``record_announced``, called once
  the digest is delivered, makes each line once-only.
- ``add_summaries``: TL;DRs for the digest's papers from the ``[summaries]`` endpoint, each made
  once and cached, within a daily budget, a per-request timeout, a per-run time budget and a
  circuit breaker: whatever the endpoint does, the digest goes out, at worst without TL;DRs.

A failing Semantic Scholar or summaries endpoint is a warning in the run log, never a line in a
reader's digest: the digest is the same as without the feature.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

import httpx

from paperpulse.app.context import Context, contact, http_client
from paperpulse.app.scholarly_shared import ReaderPapers, ScholarShared, SummaryTally
from paperpulse.config.file import Config, SummariesConfig
from paperpulse.config.settings import Settings
from paperpulse.core.errors import PaperpulseError
from paperpulse.core.models import Paper
from paperpulse.core.scholarly import PaperIds, ScholarPaper, clean_venue, is_venue_doi
from paperpulse.digest.library import LibraryError
from paperpulse.digest.models import Digest
from paperpulse.digest.scholarly import scholarly_sections, with_scholarly, with_summaries
from paperpulse.scrapers import llm, s2_graph
from paperpulse.scrapers.http import HttpClient, HttpSettings, host_key
from paperpulse.scrapers.pacing import HostPolicy
from paperpulse.storage.citations import CitationStore, Wanted
from paperpulse.storage.summaries import SummaryStore

log = logging.getLogger("paperpulse.scholarly")
ARCHIVE = "archive"  # compose.ARCHIVE: the public archive's reader
RESYNC_AFTER = timedelta(hours=20)  # a paper is asked about at most once a day
OLD_CITATION = timedelta(days=365)
ENGLISH = frozenset({"en", "english", "en-us", "en-gb"})


# --- whose papers ---------------------------------------------------------------------------


def readers_of(ctx: Context) -> list[tuple[str, str | None]]:
    """Every reader of a run and their library: the archive and each recipient."""
    settings, config = ctx.settings, ctx.config
    found = [(ARCHIVE, config.archive.library)]
    if settings.mail_to:
        found += [(address, None) for address in settings.mail_to]
    else:
        found += [(r.address, r.library) for r in config.email.recipients]
    return found


def reader_papers(
    ctx: Context,
    reader: str,
    library: str | None,
    at: datetime,
    shared: ScholarShared | None = None,
) -> ReaderPapers:
    """The reader's papers as identity keys (aliases recorded on the way), once per run."""
    if shared is not None and reader in shared.readers:
        return shared.readers[reader]
    from paperpulse.app.foryou import load_library

    repo = ctx.repository
    store = CitationStore(repo.engine)
    own: list[tuple[PaperIds, str]] = []  # with the title the reader knows it by
    if library:
        try:
            entries = load_library(library, ctx.settings).entries
        except LibraryError as exc:
            log.warning("Cites your work of %s: library not read: %s", reader, exc)
            entries = ()
        own += [
            (PaperIds.of(arxiv=e.arxiv_id, doi=e.doi), e.title)
            for e in entries
            if e.arxiv_id or e.doi
        ]
    mine = {ids.arxiv for ids, _ in own}
    likes = sorted(i for i, signal in repo.feedback(reader).items() if signal == "like")
    own += [(PaperIds.of(arxiv=i), "") for i in likes if i not in mine]
    since = at - timedelta(days=ctx.config.citations.announced_days)
    announced = [i for i in store.announced_papers(reader, since) if i not in mine | set(likes)]
    local = store.local_papers([*(ids.arxiv for ids, _ in own if ids.arxiv), *announced])
    own = [(ids, t) for ids, t in own if ids.aliases]
    keys = store.resolve([ids for ids, _ in own] + [PaperIds.of(arxiv=i) for i in announced], at)

    def name(ids: PaperIds, title: str) -> str:  # empty: Semantic Scholar's title is used
        known = local.get(ids.arxiv or "")
        return title or (known.title if known else "")

    papers = ReaderPapers(
        own={k: name(ids, t) for k, (ids, t) in zip(keys, own, strict=False)},
        announced={
            k: name(PaperIds.of(arxiv=i), "")
            for k, i in zip(keys[len(own) :], announced, strict=True)
        },
    )
    if shared is not None:
        shared.readers[reader] = papers
    return papers


# --- asking Semantic Scholar ----------------------------------------------------------------


def sync(
    ctx: Context,
    papers: Iterable[ReaderPapers],
    at: datetime,
    client: HttpClient | None = None,
) -> None:
    """Ask S2 about every watched paper not asked today (batches of 500), then the citations
    of those whose citation count moved. The first answer about a paper is its baseline: the
    citations and venue it already had are never news."""
    store = CitationStore(ctx.repository.engine)
    wanted: dict[str, Wanted] = {}
    for reader in papers:
        for key, title in reader.announced.items():
            wanted.setdefault(key, Wanted(lookup=_lookup(key), title=title, citations=False))
        for key, title in reader.own.items():
            wanted[key] = Wanted(lookup=_lookup(key), title=title, citations=True)
    if not wanted:
        return
    store.watch(wanted, at)
    state = store.watched(wanted)
    stale = at - RESYNC_AFTER
    due = sorted(k for k, w in state.items() if w.synced_at is None or w.synced_at < stale)
    if not due:
        return
    base = ctx.settings.semantic_scholar_url.rstrip("/") + "/graph/v1"
    own = client is None
    http = client or http_client(ctx.settings, ctx.config)
    local = store.local_papers(k.removeprefix("arxiv:") for k in due if k.startswith("arxiv:"))
    try:
        for start in range(0, len(due), s2_graph.BATCH_MAX):
            chunk = due[start : start + s2_graph.BATCH_MAX]
            url = s2_graph.batch_url(base=base)
            answer = http.post_json(
                url, s2_graph.batch_body([state[k].lookup for k in chunk]), source=s2_graph.SOURCE
            )
            found = s2_graph.parse_batch(answer.content, answer.url, len(chunk))
            for key, paper in zip(chunk, found, strict=True):
                if paper is not None:
                    store.resolve([paper.ids], at)  # its DOI and S2 ids join its identity
                arxiv = local.get(key.removeprefix("arxiv:"))
                venue = (paper.venue if paper else None) or (
                    _local_venue(arxiv.journal_ref, arxiv.doi) if arxiv else None
                )
                watched = state[key]
                count = paper.citation_count if paper else None
                moved = count is not None and count != watched.citation_count
                if (
                    watched.follow_citations
                    and paper is not None
                    and (moved or watched.synced_at is None)
                ):
                    _new_citations(
                        http,
                        store,
                        base,
                        key,
                        paper,
                        ctx.config.citations.max_pages,
                        baseline=watched.synced_at is None,
                        at=at,
                    )
                store.record_answer(key, at=at, paper=paper, venue=venue, citation_count=count)
    finally:
        if own:
            http.close()


def _new_citations(
    http: HttpClient,
    store: CitationStore,
    base: str,
    key: str,
    paper: ScholarPaper,
    max_pages: int,
    *,
    baseline: bool,
    at: datetime,
) -> None:
    lookup = paper.ids.lookup or ""
    known = store.citing_keys(key)
    found: list[ScholarPaper] = []
    offset: int | None = 0
    pages = 0
    while offset is not None and pages < max_pages:
        url = s2_graph.citations_url(lookup, offset=offset, base=base)
        page = s2_graph.parse_citations(http.get(url, source=s2_graph.SOURCE).content, url)
        found += page.papers
        offset, pages = page.next_offset, pages + 1
    if offset is not None:
        log.info("%s: more than %d citation pages; the rest are not read", key, max_pages)
    keys = store.resolve([p.ids for p in found], at) if found else []
    fresh = dict((k, p) for k, p in zip(keys, found, strict=True) if k not in known and k != key)
    # "New papers citing yours": one published a year before it was found is no news (S2
    # indexing an old paper late, or a baseline cut short by max_pages).
    old = {k for k, p in fresh.items() if _published_before(p, at.date() - OLD_CITATION)}
    news = [(k, p) for k, p in fresh.items() if k not in old]
    store.add_citations(key, news, baseline=baseline, at=at)
    store.add_citations(key, [(k, fresh[k]) for k in sorted(old)], baseline=True, at=at)


def _published_before(paper: ScholarPaper, day: date) -> bool:
    if paper.publication_date is not None:
        return paper.publication_date < day
    return paper.year is not None and paper.year < day.year


def _local_venue(journal_ref: str | None, doi: str | None) -> str | None:
    """arXiv's own record of publication: its journal_ref, else a publisher's DOI."""
    if venue := clean_venue(journal_ref):
        return venue
    return f"doi:{doi.strip()}" if doi and is_venue_doi(doi) else None


def _lookup(key: str) -> str:
    kind, _, value = key.partition(":")
    return {
        "arxiv": f"ARXIV:{value}",
        "doi": f"DOI:{value}",
        "corpus": f"CorpusId:{value}",
    }.get(kind, value)


def _url(key: str) -> str:
    kind, _, value = key.partition(":")
    return {
        "arxiv": f"https://arxiv.org/abs/{value}",
        "doi": f"https://doi.org/{value}",
        "s2": f"https://www.semanticscholar.org/paper/{value}",
    }.get(kind, "")


# --- the hooks ------------------------------------------------------------------------------


def add_scholarly(
    ctx: Context,
    digest: Digest,
    *,
    reader: str,
    library: str | None,
    shared: ScholarShared,
) -> Digest:
    """The digest with this reader's "Cites your work" and "Now published" (when there is
    news). S2 is asked on the run's first call, for every reader at once."""
    if not ctx.config.citations.enabled:
        return digest
    at = ctx.now()
    try:
        mine = reader_papers(ctx, reader, library, at, shared)
        if not shared.synced:
            shared.synced = True
            everyone = [mine] + [
                reader_papers(ctx, name, lib, at, shared)
                for name, lib in readers_of(ctx)
                if name != reader
            ]
            try:
                sync(ctx, everyone, at)
            except PaperpulseError as exc:
                # What was stored before still makes today's news; tomorrow asks again.
                log.warning("Semantic Scholar not asked in full this run: %s", exc)
        store = CitationStore(ctx.repository.engine)
        watched = store.watched(mine.own)
        names = {
            k: t or (watched[k].title if k in watched else "") or k.replace("arxiv:", "arXiv:")
            for k, t in mine.own.items()
        }
        citing = store.citing_news(reader, names, digest.key)
        urls = {k: _url(k) for k in [*mine.own, *mine.announced]}
        published = store.venue_news(reader, urls, digest.key)
    except PaperpulseError as exc:
        log.warning("Cites your work of %s left out: %s", reader, exc)
        return digest
    sections, told = scholarly_sections(citing, published, cap=ctx.config.citations.cap)
    return with_scholarly(digest, sections, told)


def enrich(
    ctx: Context,
    digest: Digest,
    reader: str,
    library: str | None,
    language: str | None,
    shared: ScholarShared,
) -> Digest:
    """A reader's news about their own papers ("Cites your work", "Now published") and the
    TL;DRs: each a no-op unless configured, and never a reason for a digest not to go out."""
    digest = add_scholarly(ctx, digest, reader=reader, library=library, shared=shared)
    return add_summaries(ctx, digest, language=language, shared=shared)


def record_announced(ctx: Context, reader: str, digest: Digest) -> None:
    """After delivery: what the digest announced is never announced to ``reader`` again."""
    if digest.announcements:
        store = CitationStore(ctx.repository.engine)
        store.record_announced(reader, digest.key, digest.announcements, ctx.now())


def add_summaries(
    ctx: Context,
    digest: Digest,
    *,
    language: str | None,
    shared: ScholarShared,
) -> Digest:
    """The digest's papers with TL;DRs in ``language`` (else ``[summaries] language``)."""
    cfg = ctx.config.summaries
    if not cfg.enabled:
        return digest
    lang = (language or cfg.language).strip()
    tally = shared.summaries
    english = lang.casefold() in ENGLISH
    papers = {i.paper.arxiv_id: i.paper for s in digest.sections for i in s.items}
    wanted = {}
    for arxiv_id, paper in papers.items():
        if english and paper.ai_summary and not cfg.translate_titles:
            tally.from_hf += 1
        else:
            wanted[arxiv_id] = paper
    if not wanted:
        return digest
    prompt = llm.PROMPT_VERSION + ("t" if cfg.translate_titles else "")
    language_key = lang.casefold()
    store = SummaryStore(ctx.repository.engine)
    try:
        found = {
            k: (s.tldr, s.title) for k, s in store.cached(wanted, language_key, prompt).items()
        }
    except PaperpulseError as exc:
        log.warning("TL;DRs left out: %s", exc)
        return digest
    tally.cached += len(found)
    missing = [p for i, p in wanted.items() if i not in found]  # the digest's order: top first
    if missing:
        who = contact(ctx.settings, ctx.config)
        try:
            found.update(_make(ctx, cfg, store, missing, lang, language_key, prompt, tally, who))
        except PaperpulseError as exc:  # the store failing: this digest goes without them
            log.warning("TL;DRs left out: %s", exc)
    return with_summaries(digest, found)


def _make(
    ctx: Context,
    cfg: SummariesConfig,
    store: SummaryStore,
    papers: Sequence[Paper],
    language: str,
    language_key: str,
    prompt: str,
    tally: SummaryTally,
    contact: str,
) -> dict[str, tuple[str, str | None]]:
    now = ctx.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    made: dict[str, tuple[str, str | None]] = {}
    try:
        budget = cfg.daily_budget - store.made_since(midnight)
    except PaperpulseError as exc:
        log.warning("TL;DRs not made: %s", exc)
        tally.skipped += len(papers)
        return made
    url = f"{cfg.endpoint}/chat/completions"
    with _llm_client(cfg, ctx.settings, contact) as http:
        for paper in papers:
            if tally.open_reason or budget <= 0 or tally.spent >= cfg.run_seconds:
                if budget <= 0 and not tally.open_reason:
                    tally.open_reason = f"daily budget of {cfg.daily_budget} spent"
                elif tally.spent >= cfg.run_seconds and not tally.open_reason:
                    tally.open_reason = f"{cfg.run_seconds:g} s of this run spent"
                tally.skipped += 1
                continue
            body = llm.chat_body(
                model=cfg.model,
                title=paper.title,
                abstract=paper.abstract or paper.ai_summary or "",
                language=language,
                translate_title=cfg.translate_titles,
            )
            started = time.monotonic()
            try:
                answer = http.post_json(url, body, source=llm.SOURCE)
                summary = llm.parse_chat(answer.content, answer.url, max_chars=cfg.max_chars)
            except PaperpulseError as exc:
                tally.failures += 1
                tally.skipped += 1
                if tally.failures >= cfg.breaker:
                    tally.open_reason = f"endpoint failing, stopped asking: {exc}"
                    log.warning("TL;DRs: %s", tally.open_reason)
                continue
            finally:
                tally.spent += time.monotonic() - started
            tally.failures = 0
            tally.made += 1
            budget -= 1
            store.save(
                paper.arxiv_id,
                language_key,
                prompt,
                tldr=summary.tldr,
                title=summary.title,
                model=cfg.model,
                at=ctx.now(),
            )
            made[paper.arxiv_id] = (summary.tldr, summary.title)
    return made


def _llm_client(cfg: SummariesConfig, settings: Settings, contact: str) -> HttpClient:
    """Its own client: the endpoint's host only, no retries (the breaker decides), the whole
    request within ``timeout``; the key, if any, as a bearer token to that host alone."""
    host = host_key(httpx.URL(cfg.endpoint))
    return HttpClient(
        HttpSettings(
            contact=contact,
            connect_timeout=min(5.0, cfg.timeout),
            read_timeout=cfg.timeout,
            deadline=cfg.timeout,
            max_retries=0,
            max_bytes=2**20,
            allowed_hosts=frozenset({host}),
            policies={host: HostPolicy(min_interval=0.0, max_connections=2)},
            bearer_tokens={host: settings.summaries_api_key} if settings.summaries_api_key else {},
        )
    )


def log_tally(shared: ScholarShared, config: Config) -> None:
    """The run log's one line on TL;DRs (made, cached, skipped)."""
    if config.summaries.enabled:
        log.info("%s", shared.summaries.line())
