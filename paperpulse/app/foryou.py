"""The I/O of "For you": read a reader's library (a file or the Zotero web API), their likes
and hides (the database and the archive's ``feedback.txt``), the pool of recent papers; then
hand everything to the pure ranking in ``digest/foryou.py``.

The digest hook is ``add_for_you``: called where a reader's edition is rendered, it puts a
"For you" section before the topics, or leaves the edition as it was for a reader with no
library.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from paperpulse.app.compose import ARCHIVE, ForYouShared, reads
from paperpulse.app.context import Context
from paperpulse.app.readers import known_readers, mailbox_key, resolve_reader
from paperpulse.config.settings import DEFAULT_CONTACT, Settings
from paperpulse.core.errors import FetchError, PaperpulseError, ParseError
from paperpulse.digest.feedback import FILENAME, parse_feedback
from paperpulse.digest.library import (
    Library,
    LibraryError,
    checked,
    format_of,
    parse_library,
    zotero_items,
)
from paperpulse.digest.models import Digest
from paperpulse.scrapers.http import HttpClient, HttpSettings, host_key
from paperpulse.scrapers.pacing import HostPolicy
from paperpulse.storage.repository import Repository

if TYPE_CHECKING:  # scikit-learn loads in ~1 s: only runs that rank pay for it
    from paperpulse.digest.foryou import Corpus, ReaderModel
    from paperpulse.digest.foryou import Recommendation as Ranked
    from paperpulse.digest.terms import TermCache

POOL_DAYS = 30  # the recent papers a reader's model is contrasted with
ZOTERO_PAGE = 100  # the API's largest page
ZOTERO_MAX = 10_000  # items read at most: a library larger than this is read in part
MAX_LIBRARY_BYTES = 64 * 2**20  # a 10,000-paper BibTeX export with abstracts is ~20 MB
ZOTERO_MAX_BYTES = 8 * 2**20  # one page of 100 items is ~0.3 MB; decoded, so a gzip bomb stops
ZOTERO_POLICY = HostPolicy(min_interval=0.5, max_connections=1)  # 100 pages: under a minute
# Stored term counts older than this are pruned (the pool is POOL_DAYS; a library text still
# in use is counted again, once).
TERMS_KEPT = timedelta(days=2 * POOL_DAYS)
log = logging.getLogger("paperpulse.foryou")


# --- the library ------------------------------------------------------------------------


def load_library(
    spec: str,
    settings: Settings | None = None,
    client: HttpClient | None = None,
) -> Library:
    """``spec`` is a file path, or ``zotero:users/<id>`` / ``zotero:groups/<id>`` (the key, if
    the library is private, in ``settings.zotero_api_key``: ``ZOTERO_API_KEY``)."""
    if spec.startswith("zotero:"):
        return fetch_zotero(spec.removeprefix("zotero:").strip("/"), settings, client)
    path = Path(spec).expanduser()
    fmt = format_of(str(path))  # an unknown format is said before a missing file
    return parse_library(read_library_file(path), str(path), fmt)


def read_library_file(path: Path) -> str:
    """A library file's text, refused in one line when it is not a bounded UTF-8 file (a
    library at /dev/zero once grew the process to 22 GB)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_LIBRARY_BYTES + 1)
    except FileNotFoundError:
        raise LibraryError(f"{path}: library file not found (check the path)") from None
    except OSError as exc:
        raise LibraryError(f"{path}: cannot read the library: {exc.strerror or exc}") from None
    if len(data) > MAX_LIBRARY_BYTES:
        raise LibraryError(
            f"{path}: larger than {MAX_LIBRARY_BYTES // 2**20} MiB, not a library export; "
            "check the path, or export only the collection you read"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LibraryError(f"{path}: not a UTF-8 text file; export the library as text") from None


def zotero_client(settings: Settings) -> HttpClient:
    """The project's client for Zotero: its deadline, size cap and pacing, the key sent to
    Zotero only and never shown."""
    host = host_key(httpx.URL(settings.zotero_url))
    key = settings.zotero_api_key
    return HttpClient(
        HttpSettings(
            contact=settings.contact or DEFAULT_CONTACT,
            allowed_hosts=frozenset({host}),
            policies={host: ZOTERO_POLICY},
            extra_headers={host: {"Zotero-API-Key": key}} if key else {},
            deadline=settings.http_deadline,
            max_bytes=ZOTERO_MAX_BYTES,
            max_retries=1,
        )
    )


def fetch_zotero(
    library: str,
    settings: Settings | None = None,
    client: HttpClient | None = None,
) -> Library:
    """Every top-level item of a Zotero library through its web API (v3), page by page.

    Pages stop at the first short or empty page, at ``Total-Results`` when the server sends
    a believable one, and at ``ZOTERO_MAX`` items: a server that says 10,000 and sends 5
    is read as 5, one that never says is not asked 100 times for nothing."""
    settings = settings or Settings()
    kind, _, ident = library.partition("/")
    if kind not in ("users", "groups") or not ident.isdigit():
        raise LibraryError(
            f"zotero:{library}: expected zotero:users/<user id> or zotero:groups/<group id> "
            "(the user id is on zotero.org/settings/keys)"
        )
    key = settings.zotero_api_key or ""
    base = settings.zotero_url.rstrip("/")
    http = client or zotero_client(settings)
    items: list[object] = []
    warnings: list[str] = []
    try:
        while len(items) < ZOTERO_MAX:
            url = f"{base}/{kind}/{ident}/items/top"
            params: dict[str, str | int] = {
                "v": 3,  # the API version as a parameter: headers here are secrets
                "format": "json",
                "limit": ZOTERO_PAGE,
                "start": len(items),
            }
            try:
                response = http.get(url, source="zotero", params=params)
            except FetchError as exc:
                raise LibraryError(_zotero_problem(library, base, key, exc)) from None
            except ParseError as exc:
                raise LibraryError(f"zotero:{library}: {exc}") from None
            try:
                page = response.json()
            except ParseError:
                raise LibraryError(f"zotero:{library}: Zotero sent something not JSON") from None
            if not isinstance(page, list):
                raise LibraryError(f"zotero:{library}: expected a list of items from Zotero")
            items += page
            total = response.headers.get("Total-Results", "")
            if len(page) < ZOTERO_PAGE or (total.isdigit() and len(items) >= int(total)):
                break
        else:
            warnings.append(
                f"zotero:{library}: more than {ZOTERO_MAX:,} items; the first {ZOTERO_MAX:,} "
                "are used"
            )
    finally:
        if client is None:
            http.close()
    entries, skipped = zotero_items(items[:ZOTERO_MAX], f"zotero:{library}")
    return checked(f"zotero:{library}", entries, [*warnings, *skipped])


def _zotero_problem(library: str, base: str, key: str, exc: FetchError) -> str:
    if exc.status in (401, 403):
        hint = "check ZOTERO_API_KEY" if key else "set ZOTERO_API_KEY (a private library)"
        return f"zotero:{library}: Zotero refused access ({exc.status}); {hint}"
    if exc.status is not None:
        return f"zotero:{library}: Zotero answered {exc.status}; try again later ({exc.args[0]})"
    return (
        f"zotero:{library}: cannot reach {base} ({exc.args[0]}); check the network or use an "
        "exported file"
    )


# --- feedback ---------------------------------------------------------------------------


def pull_archive(ctx: Context) -> None:
    """Bring what was pushed to the archive's remote (``feedback.txt`` edited on the git host)
    into the archive before its feedback is read. A remote that cannot be reached or merged
    is one warning: the run goes on with the feedback it has; the archive's delivery says
    the same when it writes."""
    from paperpulse.delivery.files import archive_lock
    from paperpulse.delivery.git_archive import ArchiveRepo

    archive = ctx.config.archive
    root = ctx.settings.archive_dir.resolve()
    if not archive.git or archive.remote is None:
        return
    repo = ArchiveRepo(
        root,
        archive.author_name,
        archive.author_email,
        remote=archive.remote,
        branch=archive.branch,
    )
    try:
        with archive_lock(root):
            problem = repo.pull()
    except PaperpulseError as exc:  # a broken archive: its delivery reports it in full
        problem = str(exc)
    if problem:
        log.warning("feedback given on the archive's remote not read this run: %s", problem)


def import_feedback_file(
    repo: Repository,
    archive_dir: Path,
    default_reader: str,
    at: datetime,
    readers: dict[str, str] | None = None,
) -> int:
    """Record the archive's ``feedback.txt`` (if any); returns how many signals changed.

    With ``readers`` (``flows.readers.known_readers``), a line naming a reader in another
    case counts for the configured spelling, and one naming an unknown reader is a warning
    and ignored (it would train a ranking nobody receives)."""
    path = archive_dir / FILENAME
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return 0
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("%s: cannot read the feedback file (%s); it is ignored this run", path, exc)
        return 0
    parsed = parse_feedback(text, str(path), default_reader)
    for warning in parsed.warnings:
        log.warning("%s", warning)
    by_reader: dict[str, dict[str, str]] = {}
    for reader, signals in parsed.signals.items():
        known = reader if readers is None else readers.get(mailbox_key(reader))
        if known is None:
            log.warning(
                "%s: lines for unknown reader %r ignored; name a recipient from "
                "paperpulse.toml or leave the reader out (the archive's digest)",
                path,
                reader[:80],
            )
            continue
        by_reader.setdefault(known, {}).update(signals)
    return sum(
        repo.record_feedback(reader, signals, origin="file", at=at)
        for reader, signals in by_reader.items()
    )


def record_feedback(ctx: Context, reader: str, arxiv_id: str, signal: str) -> tuple[str, bool]:
    """A like or hide given by hand (it renews an older one) for a configured reader: their
    configured spelling, and whether the paper is stored."""
    reader = resolve_reader(reader, known_readers(ctx.settings, ctx.config))  # never a stranger
    repo = ctx.repository
    repo.record_feedback(reader, {arxiv_id: signal}, origin="cli", at=ctx.now(), renew=True)
    return reader, bool(repo.papers([arxiv_id]))


# --- the model and the hook --------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Recommended:
    ranked: list[Ranked]
    entries: int  # library entries read
    matched: int  # of them found among stored papers
    pool: int  # papers ranked
    warnings: tuple[str, ...]


def recommend(
    ctx: Context, library: str, reader: str, start: date, end: date, *, top: int
) -> Recommended:
    """Rank the papers listed from ``start`` to ``end`` by ``library`` and the reader's likes
    and hides (feedback edited on the archive's git host counts too). ``reader`` must be a
    configured one (a case variant lands on its configured spelling)."""
    readers = known_readers(ctx.settings, ctx.config)
    reader = resolve_reader(reader, readers)
    lib = load_library(library, ctx.settings)
    repo, now = ctx.repository, ctx.now()
    pull_archive(ctx)
    import_feedback_file(repo, ctx.settings.archive_dir, ARCHIVE, now, readers)
    corpus = recent_corpus(repo, end, start, at=now)
    if not corpus.papers:
        return Recommended(
            ranked=[], entries=len(lib.entries), matched=0, pool=0, warnings=lib.warnings
        )
    model = reader_model(repo, corpus, lib, reader, at=now)
    return Recommended(
        ranked=model.rank(corpus.papers, top=top),
        entries=len(lib.entries),
        matched=model.matched,
        pool=len(corpus.papers),
        warnings=lib.warnings,
    )


def recent_corpus(
    repo: Repository,
    end: date,
    start: date | None = None,
    *,
    at: datetime,
    shared: ForYouShared | None = None,
) -> Corpus:
    """The pool of papers listed in the ``POOL_DAYS`` up to ``end``, vectorised once per
    distinct pool of a run (``shared``): every reader of the run shares it. Term counts come
    from the database where an earlier run stored them; those counted now are stored for the
    next."""
    from paperpulse.digest.foryou import Corpus, paper_text

    papers = repo.papers_listed(start or end - timedelta(days=POOL_DAYS - 1), end)
    key = tuple(f"{p.arxiv_id}:{hash((p.title, p.abstract))}" for p in papers)
    pools = shared.pools if shared is not None else {}
    if key not in pools:
        cache = _term_cache(repo, [paper_text(p) for p in papers])
        pools[key] = Corpus(papers, cache=cache)
        repo.save_term_counts(cache.take_fresh(), at=at)
        repo.prune_term_counts(at - TERMS_KEPT)
    return pools[key]


def _term_cache(repo: Repository, texts: list[str]) -> TermCache:
    from paperpulse.digest.terms import TermCache

    cache = TermCache()
    cache.learn(repo.term_counts(cache.key(t) for t in texts))
    return cache


def reader_model(
    repo: Repository,
    corpus: Corpus,
    library: Library,
    reader: str,
    *,
    at: datetime,
) -> ReaderModel:
    """A reader's model: their library, likes and hides. Liked papers and library ids older
    than the pool are read from the database, so they count by their text too. The library's
    term counts are kept like the pool's: an unchanged library is not tokenised again."""
    from paperpulse.digest.foryou import ReaderModel, likes_and_hides, paper_text

    likes, hides = likes_and_hides(repo.feedback(reader))
    ids = likes | {e.arxiv_id for e in library.entries if e.arxiv_id}
    known = list(repo.papers(ids - {p.arxiv_id for p in corpus.papers}).values())
    texts = [e.text for e in library.entries if e.text] + [paper_text(p) for p in known]
    cache = corpus.cache
    cache.learn(repo.term_counts(k for t in texts if (k := cache.key(t)) not in cache.known))
    model = ReaderModel(corpus, library, likes=likes, hides=hides, known=known)
    repo.save_term_counts(cache.take_fresh(), at=at)
    return model


def add_for_you(
    ctx: Context, digest: Digest, *, reader: str, library: str | None, end: date
) -> Digest:
    """The digest with a "For you" section before its topics, for a reader with a library.
    What the run's readers share (the pulled archive, the weighed pool) is kept in its reads.

    A library that cannot be read is logged and the edition goes out without the section:
    a reader's broken export must not stop their digest.
    """
    cap = ctx.config.digest.for_you
    if not library or cap <= 0:
        return digest
    from paperpulse.digest.foryou import for_you_section, with_for_you

    try:
        lib = load_library(library, ctx.settings)
    except LibraryError as exc:
        log.warning("For you of %s left out: %s", reader, exc)
        return digest
    for warning in lib.warnings:
        log.warning("%s", warning)
    repo = ctx.repository
    shared = reads(ctx).for_you
    if not shared.pulled:
        pull_archive(ctx)
        shared.pulled = True
    now = ctx.now()
    readers = known_readers(ctx.settings, ctx.config)
    import_feedback_file(repo, ctx.settings.archive_dir, ARCHIVE, now, readers)
    corpus = recent_corpus(repo, end, at=now, shared=shared)
    model = reader_model(repo, corpus, lib, reader, at=now)
    items = [item for section in digest.sections for item in section.items]
    command = "paperpulse hide ARXIV_ID" + ("" if reader == ARCHIVE else f" --reader {reader}")
    line = "hide ARXIV_ID" + ("" if reader == ARCHIVE else f" {reader}")
    hint = (  # quotes, not backticks: the hint goes through Markdown, HTML and text alike
        f"Not for you? Run “{command}”, or add the line “{line}” to {FILENAME} in the "
        "archive; “like” works the same way."
    )
    section = for_you_section(items, model, cap, hint=hint)
    return replace(digest, sections=with_for_you(digest.sections, section))
