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
from paperpulse.config.settings import Settings
from paperpulse.core.errors import PaperpulseError
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
from paperpulse.storage.repository import Repository

if TYPE_CHECKING:  # scikit-learn loads in ~1 s: only runs that rank pay for it
    from paperpulse.digest.foryou import Corpus, ReaderModel
    from paperpulse.digest.foryou import Recommendation as Ranked
    from paperpulse.digest.terms import TermCache

POOL_DAYS = 30  # the recent papers a reader's model is contrasted with
ZOTERO_PAGE = 100  # the API's largest page
ZOTERO_MAX = 10_000  # items read at most: a library larger than this is read in part
# Stored term counts older than this are pruned (the pool is POOL_DAYS; a library text still
# in use is counted again, once).
TERMS_KEPT = timedelta(days=2 * POOL_DAYS)
log = logging.getLogger("paperpulse.foryou")


# --- the library ------------------------------------------------------------------------


def load_library(
    spec: str,
    settings: Settings | None = None,
    client: httpx.Client | None = None,
) -> Library:
    """``spec`` is a file path, or ``zotero:users/<id>`` / ``zotero:groups/<id>`` (the key, if
    the library is private, in ``settings.zotero_api_key``: ``ZOTERO_API_KEY``)."""
    if spec.startswith("zotero:"):
        return fetch_zotero(spec.removeprefix("zotero:").strip("/"), settings, client)
    path = Path(spec).expanduser()
    fmt = format_of(str(path))  # an unknown format is said before a missing file
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LibraryError(f"{path}: library file not found (check the path)") from None
    except UnicodeDecodeError:
        raise LibraryError(f"{path}: not a UTF-8 text file; export the library as text") from None
    except OSError as exc:
        raise LibraryError(f"{path}: cannot read the library: {exc.strerror or exc}") from None
    return parse_library(text, str(path), fmt)


def fetch_zotero(
    library: str,
    settings: Settings | None = None,
    client: httpx.Client | None = None,
) -> Library:
    """Every top-level item of a Zotero library through its web API (v3), page by page."""
    settings = settings or Settings()
    kind, _, ident = library.partition("/")
    if kind not in ("users", "groups") or not ident.isdigit():
        raise LibraryError(
            f"zotero:{library}: expected zotero:users/<user id> or zotero:groups/<group id> "
            "(the user id is on zotero.org/settings/keys)"
        )
    key = settings.zotero_api_key or ""
    base = settings.zotero_url.rstrip("/")
    headers = {"Zotero-API-Version": "3", **({"Zotero-API-Key": key} if key else {})}
    own = client is None
    http = client or httpx.Client(timeout=30.0)
    items: list[object] = []
    try:
        while len(items) < ZOTERO_MAX:
            url = f"{base}/{kind}/{ident}/items/top"
            params: dict[str, str | int] = {
                "format": "json",
                "limit": ZOTERO_PAGE,
                "start": len(items),
            }
            try:
                response = http.get(url, params=params, headers=headers)
            except httpx.HTTPError as exc:
                raise LibraryError(
                    f"zotero:{library}: cannot reach {base} ({type(exc).__name__}); "
                    "check the network or use an exported file"
                ) from None
            if response.status_code in (401, 403):
                hint = "check ZOTERO_API_KEY" if key else "set ZOTERO_API_KEY (a private library)"
                raise LibraryError(
                    f"zotero:{library}: Zotero refused access ({response.status_code}); {hint}"
                )
            if response.status_code != 200:
                raise LibraryError(
                    f"zotero:{library}: Zotero answered {response.status_code}; try again later"
                )
            try:
                page = response.json()
            except ValueError:
                raise LibraryError(f"zotero:{library}: Zotero sent something not JSON") from None
            if not isinstance(page, list):
                raise LibraryError(f"zotero:{library}: expected a list of items from Zotero")
            items += page
            total = response.headers.get("Total-Results", "")
            if not page or (total.isdigit() and len(items) >= int(total)):
                break
    finally:
        if own:
            http.close()
    entries, warnings = zotero_items(items, f"zotero:{library}")
    return checked(f"zotero:{library}", entries, warnings)


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
    repo: Repository, archive_dir: Path, default_reader: str, at: datetime
) -> int:
    """Record the archive's ``feedback.txt`` (if any); returns how many signals changed."""
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
    return sum(
        repo.record_feedback(reader, signals, origin="file", at=at)
        for reader, signals in parsed.signals.items()
    )


def record_feedback(ctx: Context, reader: str, arxiv_id: str, signal: str) -> bool:
    """A like or hide given by hand (it renews an older one); True if the paper is stored."""
    repo = ctx.repository
    repo.record_feedback(reader, {arxiv_id: signal}, origin="cli", at=ctx.now(), renew=True)
    return bool(repo.papers([arxiv_id]))


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
    and hides (feedback edited on the archive's git host counts too)."""
    lib = load_library(library, ctx.settings)
    repo, now = ctx.repository, ctx.now()
    pull_archive(ctx)
    import_feedback_file(repo, ctx.settings.archive_dir, ARCHIVE, now)
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
    import_feedback_file(repo, ctx.settings.archive_dir, ARCHIVE, now)
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
