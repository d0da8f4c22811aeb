"""``paperpulse web``: the Starlette application.

Pages read the database through the repository and ``storage/search.py``; the reader's
actions write through ``storage/readers.py`` and the feedback store the CLI uses (origin
"web"). Every state change is a POST carrying a signed token (``digest/reader_tokens.py``);
a GET only shows a page, so a mail client's link preview or a security scanner changes
nothing. ``create_app()`` with no arguments reads the environment (uvicorn's factory).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from paperpulse.app.compose import topics_of
from paperpulse.app.subscriptions import reader_store, reader_tokens
from paperpulse.config.file import Config, RecipientConfig
from paperpulse.config.settings import Settings, from_environment
from paperpulse.core.errors import PaperpulseError
from paperpulse.core.models import Paper, Sighting, normalize_arxiv_id
from paperpulse.digest.escaping import TEMPLATE_FILTERS
from paperpulse.digest.presentation import source_label
from paperpulse.digest.reader_tokens import Action, Grant, ReaderTokens, TokenError
from paperpulse.digest.render import authors_short, github_url, printed
from paperpulse.digest.topics import match_papers
from paperpulse.storage import create_engine, upgrade
from paperpulse.storage.readers import ReaderPrefs
from paperpulse.storage.repository import Repository
from paperpulse.storage.search import PaperSearch
from paperpulse.web.chart import trajectory, upvote_chart
from paperpulse.web.guard import Guard

HERE = Path(__file__).resolve().parent
PAGE = 50  # papers a list shows
TOPIC_DAYS = 30  # a topic page covers the papers listed in this many days up to the latest
MAX_QUERY = 200  # characters of a search query
MAX_PAUSE_DAYS = 365
ORIGIN = "web"  # the feedback store's origin for likes and hides given here
log = logging.getLogger("paperpulse.web")


@cache
def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every page is HTML: a hostile title is text, never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=printed,
    )
    env.filters.update(TEMPLATE_FILTERS)
    env.filters.update(authors_short=authors_short, github_url=github_url)
    return env


@dataclass(frozen=True, slots=True)
class Web:
    """The application's one context, for as long as it serves: one engine for every request
    (the web app is a long-lived run; replicas share nothing but the database)."""

    settings: Settings
    config: Config
    repo: Repository

    @property
    def search(self) -> PaperSearch:
        return PaperSearch(self.repo.engine)

    def tokens(self) -> ReaderTokens:
        return reader_tokens(self.settings, self.repo)

    def page(self, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = (
            templates()
            .get_template(f"{name}.html.j2")
            .render(topics=[t.name for t in self.config.topics], **values)
        )
        headers = {"cache-control": "no-store"} if values.get("private") else {}
        return HTMLResponse(html, status_code=status, headers=headers)

    def error(self, status: int, message: str) -> HTMLResponse:
        return self.page("error", status, title="Not possible", message=message, private=True)

    def recipient(self, reader: str) -> RecipientConfig:
        wanted = reader.strip().casefold()
        listed = self.config.email.recipients or tuple(
            RecipientConfig(address=a, editions=("daily", "weekly")) for a in self.settings.mail_to
        )
        found = next((r for r in listed if r.address.strip().casefold() == wanted), None)
        return found or RecipientConfig(address=reader)


def create_app(settings: Settings | None = None, config: Config | None = None) -> Starlette:
    if settings is None or config is None:
        env_settings, env_config = from_environment()
        settings, config = settings or env_settings, config or env_config
    engine = create_engine(settings.database_url)
    upgrade(engine)  # migrate (and fail) at start, not on the first reader
    web = Web(settings, config, Repository(engine))

    def guarded(handler: Callable[[Web, Request], Response]) -> Callable[[Request], Any]:
        """A sync page, run in the thread pool; a storage failure is one line, not a trace."""

        def endpoint(request: Request) -> Response:
            try:
                return handler(web, request)
            except TokenError as exc:
                return _token_page(web, exc)
            except PaperpulseError as exc:
                return _failed(web, exc)

        return endpoint

    def posted(
        handler: Callable[[Web, Request, Mapping[str, list[str]]], Response],
    ) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            form = await _form(request)
            try:
                return await run_in_threadpool(handler, web, request, form)
            except TokenError as exc:
                return _token_page(web, exc)
            except PaperpulseError as exc:
                return _failed(web, exc)

        return endpoint

    routes = [
        Route("/", guarded(home)),
        Route("/healthz", lambda _: PlainTextResponse("ok")),
        Route("/search", guarded(search)),
        Route("/day/{day}", guarded(day_page)),
        Route("/week/{week}", guarded(week_page)),
        Route("/topic/{name}", guarded(topic_page)),
        Route("/paper/{arxiv_id:path}", guarded(paper_page)),  # old ids: hep-th/9901001
        Route("/unsubscribe/{token}", guarded(unsubscribe_page)),
        Route("/unsubscribe/{token}", posted(unsubscribe), methods=["POST"]),
        Route("/manage/{token}", guarded(manage_page)),
        Route("/manage/{token}", posted(manage), methods=["POST"]),
        *(Route(f"/{action}/{{token}}", guarded(_ask(action))) for action in ("like", "hide")),
        *(
            Route(f"/{action}/{{token}}", posted(_act(action)), methods=["POST"])
            for action in ("like", "hide")
        ),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(
        Guard, rate_per_minute=config.web.rate_per_minute, base_url=config.web.base_url
    )
    return app


# --- reading the archive ----------------------------------------------------------------


def home(web: Web, request: Request) -> Response:
    days = web.search.days(limit=30)
    weeks = list(dict.fromkeys(_week_key(d.day) for d in days))
    return web.page("home", title="paperpulse", days=days, weeks=weeks)


def day_page(web: Web, request: Request) -> Response:
    day = _date(request.path_params["day"])
    if day is None:
        return web.error(404, "No such day: give a date like 2026-08-03.")
    papers = web.repo.papers_listed(day, day)
    return _listing(web, f"Papers listed {day:%A %d %B %Y}", papers)


def week_page(web: Web, request: Request) -> Response:
    monday = _week_start(request.path_params["week"])
    if monday is None:
        return web.error(404, "No such week: give one like 2026-W32.")
    papers = web.repo.papers_listed(monday, monday + timedelta(days=6))
    key = _week_key(monday)
    return _listing(web, f"Papers listed in {key} (from {monday:%d %B %Y})", papers)


def topic_page(web: Web, request: Request) -> Response:
    name = request.path_params["name"]
    topics = topics_of(web.config, [name])
    if not topics:
        return web.error(404, "No such topic in this paperpulse's configuration.")
    days = web.search.days(limit=1)
    if not days:
        return _listing(web, f"Topic: {topics[0].name}", [])
    end = days[0].day
    pool = web.repo.papers_listed(end - timedelta(days=TOPIC_DAYS - 1), end)
    matched = match_papers(pool, topics)
    papers = [p for p in pool if matched[p.arxiv_id]]
    return _listing(web, f"{topics[0].name}: the last {TOPIC_DAYS} days to {end}", papers)


def _listing(web: Web, heading: str, papers: list[Paper]) -> Response:
    upvotes = web.search.upvotes([p.arxiv_id for p in papers])
    ranked = sorted(papers, key=lambda p: (-upvotes.get(p.arxiv_id, -1), p.arxiv_id))
    rows = [(p, upvotes.get(p.arxiv_id)) for p in ranked[:PAGE]]
    return web.page(
        "list", title=heading, heading=heading, rows=rows, more=max(0, len(papers) - PAGE)
    )


def search(web: Web, request: Request) -> Response:
    params = request.query_params
    query = params.get("q", "")[:MAX_QUERY]
    start, end = _date(params.get("from", "")), _date(params.get("to", ""))
    minimum = _int(params.get("min_upvotes", ""), 0, 10**9)
    topic = params.get("topic", "")
    topics = topics_of(web.config, [topic]) if topic else ()
    rows: list[tuple[Paper, int | None]] = []
    if query.strip():
        hits = web.search.search(
            query,
            start=start,
            end=end,
            min_upvotes=minimum,
            limit=PAGE * 10 if topics else PAGE,
        )
        papers = web.repo.papers(h.arxiv_id for h in hits)
        if topics:
            matched = match_papers(papers.values(), topics)
            hits = [h for h in hits if matched.get(h.arxiv_id)]
        rows = [(papers[h.arxiv_id], h.upvotes) for h in hits[:PAGE] if h.arxiv_id in papers]
    return web.page(
        "search",
        title=f"Search: {query}" if query else "Search",
        query=query,
        start=start,
        end=end,
        min_upvotes=minimum,
        topic=topics[0].name if topics else "",
        rows=rows,
    )


def paper_page(web: Web, request: Request) -> Response:
    try:
        arxiv_id = normalize_arxiv_id(request.path_params["arxiv_id"])
    except ValueError:
        return web.error(404, "Not an arXiv id: give one like 2408.01234.")
    paper = web.repo.papers([arxiv_id]).get(arxiv_id)
    if paper is None:
        return web.error(404, f"{arxiv_id} is not among the stored papers.")
    history = web.repo.sightings([arxiv_id]).get(arxiv_id, [])
    points = trajectory(history)
    related: list[tuple[Paper, int | None]] = []
    if request.query_params.get("more") == "1":
        hits = web.search.search(paper.title, any_words=True, limit=11)
        others = web.repo.papers(h.arxiv_id for h in hits if h.arxiv_id != arxiv_id)
        related = [(others[h.arxiv_id], h.upvotes) for h in hits if h.arxiv_id in others][:10]
    return web.page(
        "paper",
        title=paper.title,
        paper=paper,
        chart=upvote_chart(points),
        upvotes=points[-1][1] if points else None,
        sources=_sources(history),
        related=related,
        more=request.query_params.get("more") == "1",
        done=request.query_params.get("done", ""),
    )


def _sources(history: list[Sighting]) -> list[tuple[str, datetime, int | None]]:
    """Where the paper was seen: one line per listing, first seen, highest count."""
    seen: dict[tuple[str, str], tuple[datetime, int | None]] = {}
    for s in history:
        first, best = seen.get((s.source, s.period), (s.observed_at, None))
        votes = [v for v in (best, s.upvotes) if v is not None]
        seen[(s.source, s.period)] = (min(first, s.observed_at), max(votes, default=None))
    return sorted(
        ((source_label(src, period), at, best) for (src, period), (at, best) in seen.items()),
        key=lambda row: row[1],
    )


# --- the reader's actions ---------------------------------------------------------------


def unsubscribe_page(web: Web, request: Request) -> Response:
    grant = web.tokens().check(request.path_params["token"], "unsubscribe")
    suppressed = reader_store(web.repo).is_suppressed(grant.reader)
    return _subscription(web, grant, suppressed, changed=False)


def unsubscribe(web: Web, request: Request, form: Mapping[str, list[str]]) -> Response:
    """RFC 8058: ``List-Unsubscribe=One-Click`` unsubscribes at once; the confirm page's
    buttons send ``do=unsubscribe`` or ``do=resubscribe``. Repeating either changes nothing."""
    grant = web.tokens().check(request.path_params["token"], "unsubscribe")
    store = reader_store(web.repo)
    one_click = form.get("List-Unsubscribe") == ["One-Click"]
    wanted = (form.get("do") or [""])[0]
    if one_click or wanted == "unsubscribe":
        store.suppress(
            grant.reader, origin="one-click" if one_click else ORIGIN, at=web.settings.clock.now()
        )
        if one_click:
            return PlainTextResponse("unsubscribed")
        return _subscription(web, grant, True, changed=True)
    if wanted == "resubscribe":
        store.resubscribe(grant.reader)
        return _subscription(web, grant, False, changed=True)
    return web.error(400, "Nothing to do: use the buttons on the unsubscribe page.")


def _subscription(web: Web, grant: Grant, suppressed: bool, *, changed: bool) -> Response:
    return web.page(
        "unsubscribe",
        title="Unsubscribed" if suppressed else "Unsubscribe",
        reader=grant.reader,
        suppressed=suppressed,
        changed=changed,
        private=True,
    )


def _ask(action: Action) -> Callable[[Web, Request], Response]:
    def page(web: Web, request: Request) -> Response:
        grant = web.tokens().check(request.path_params["token"], action)
        paper = web.repo.papers([grant.arxiv_id or ""]).get(grant.arxiv_id or "")
        return web.page(
            "act",
            title="More like this" if action == "like" else "Not for me",
            action=action,
            paper=paper,
            arxiv_id=grant.arxiv_id,
            private=True,
        )

    return page


def _act(action: Action) -> Callable[[Web, Request, Mapping[str, list[str]]], Response]:
    def act(web: Web, request: Request, form: Mapping[str, list[str]]) -> Response:
        grant = web.tokens().check(request.path_params["token"], action)
        if grant.arxiv_id is None:
            raise TokenError("this link is not valid (altered, or not for this page)")
        # The same store as `paperpulse like/hide`; the newest signal of any origin wins.
        web.repo.record_feedback(
            grant.reader,
            {grant.arxiv_id: action},
            origin=ORIGIN,
            at=web.settings.clock.now(),
            renew=True,
        )
        page = quote(grant.arxiv_id, safe="/.")
        target = f"/paper/{page}?done={action}" + ("&more=1" if action == "like" else "")
        return RedirectResponse(target, status_code=303)  # our own path: never a given URL

    return act


def manage_page(web: Web, request: Request) -> Response:
    grant = web.tokens().check(request.path_params["token"], "manage")
    return _manage(web, grant, saved=False)


def manage(web: Web, request: Request, form: Mapping[str, list[str]]) -> Response:
    grant = web.tokens().check(request.path_params["token"], "manage")
    store = reader_store(web.repo)
    now = web.settings.clock.now()
    known = {t.name.casefold(): t.name for t in web.config.topics}
    topics = tuple(known[t.casefold()] for t in form.get("topic", []) if t.casefold() in known)
    editions = tuple(e for e in ("daily", "weekly") if e in form.get("edition", []))
    days = _int((form.get("pause_days") or [""])[0], 0, MAX_PAUSE_DAYS) or 0
    current = store.prefs(grant.reader)
    paused_until = now + timedelta(days=days) if days else None
    if not days and "keep_pause" in form:
        paused_until = current.paused_until
    store.save_prefs(
        grant.reader,
        ReaderPrefs(topics=topics, editions=editions, paused_until=paused_until),
        at=now,
    )
    return _manage(web, grant, saved=True)


def _manage(web: Web, grant: Grant, *, saved: bool) -> Response:
    prefs = reader_store(web.repo).prefs(grant.reader)
    recipient = web.recipient(grant.reader)
    chosen = prefs.topics if prefs.topics is not None else recipient.topics
    editions = prefs.editions if prefs.editions is not None else recipient.editions
    now = web.settings.clock.now()
    return web.page(
        "manage",
        title="Your digest",
        reader=grant.reader,
        chosen={t.casefold() for t in chosen},
        editions=set(editions),
        paused_until=prefs.paused_until if prefs.paused(now) else None,
        saved=saved,
        private=True,
    )


# --- helpers ----------------------------------------------------------------------------


def _failed(web: Web, exc: PaperpulseError) -> Response:
    """The reader sees that it failed, never how: the detail (a database host, a path) goes to
    the log, for the operator."""
    log.error("request failed: %s", exc)
    return web.error(503, "Something failed on our side. Try again in a few minutes.")


def _token_page(web: Web, exc: TokenError) -> Response:
    if exc.expired:
        return web.error(
            410, "This link has expired. Use the links in your latest email, which are fresh."
        )
    return web.error(400, "This link is not valid: it was altered, or it belongs to another page.")


async def _form(request: Request) -> dict[str, list[str]]:
    """The POST's fields. URL-encoded (our forms, most mail providers) or multipart (RFC
    8058's example): only short text fields are read; the body is bounded by the guard."""
    body = await request.body()
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        from email.parser import BytesParser
        from email.policy import HTTP

        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {kind}\r\n\r\n".encode("latin-1") + body
        )
        fields: dict[str, list[str]] = {}
        if message.is_multipart():
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if isinstance(name, str):
                    payload = part.get_payload(decode=True)
                    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
                    fields.setdefault(name, []).append(text.strip())
        return fields
    with contextlib.suppress(UnicodeDecodeError):
        return parse_qs(body.decode("utf-8"), max_num_fields=50)
    return {}


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _int(text: str, low: int, high: int) -> int | None:
    try:
        value = int(text)
    except ValueError:
        return None
    return value if low <= value <= high else None


def _week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _week_start(key: str) -> date | None:
    try:
        year, week = key.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        return None
