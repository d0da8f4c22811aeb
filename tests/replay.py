"""A local HTTP server that replays real Hugging Face captures, with faults on demand.

Serves, from a folder of ``YYYY-MM-DD.json`` API captures (../shared/data/hf_api_daily):

    GET /api/daily_papers?date=D&limit=N&p=K   the day's items, paged like HF (400 on a bad date)
    GET /papers/date/D                          an HTML page with the hydration JSON, or a 302
                                                to /papers when the day has no papers
    GET /papers                                 a bare page

Faults, for reliability tests and benchmarks (``Faults``):

* ``latency`` added to every answer, and a fixed-window ``rate_limit`` answered like HF (429 +
  ``Retry-After`` + ``RateLimit``/``RateLimit-Policy``), measured on an injectable clock; with
  ``sliding`` and ``ratelimit_headers=False`` it is a strict enforcer instead: any window of
  ``window`` seconds holding more than ``rate_limit`` requests gets a bare 429, no hints;
* a seeded ``fault_rate`` of faults drawn from ``kinds`` (default ``TRANSIENT_FAULTS``);
* a deterministic ``schedule`` of ``FaultRule``: "the first N requests for this date (path,
  page) fail with KIND"; ``fail_dates`` (date -> permanent status) is the older shorthand.

Fault kinds: any HTTP status (``"429"``, ``"503"``, ``"404"``...; 429/503 carry Retry-After),
connection faults (``CONNECTION_FAULTS``: reset, disconnect, truncated body, a silent hold past
the client's read timeout, a slow answer), and payload faults on a 200 answer: broken JSON and
changed API shapes (``API_FAULTS``) or changed page layouts (``PAGE_FAULTS``). What was injected
is counted in ``ReplayServer.injected``; answers by status in ``served``. ``generation`` lets a
test grow upvotes between two observations of the same day.

Time travel (``TimeTravel``): each day is served as it looked at the test's simulated moment.
A listing appears on its date (an empty list before); its upvotes and comments grow from zero
towards the captured values along a saturating curve; a few papers ``surge`` days after their
listing. ``TimeTravel.upvotes`` is the same function, so a test knows every number it should
see.

Run it by hand to point ``paperpulse run`` at it::

    python -m tests.replay --data ../shared/data/hf_api_daily --port 8765
    PAPERPULSE_HF_URL=http://127.0.0.1:8765 paperpulse run --date 2024-08-01
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import html
import json
import math
import random
import socket
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from paperpulse.scrapers.hf_daily import parse_api_payload
from paperpulse.scrapers.hf_items import as_mapping

# The default mix of ``Faults.fault_rate``: what a polite client must retry through.
TRANSIENT_FAULTS = ("429", "500", "502", "503", "reset", "truncate")
CONNECTION_FAULTS = frozenset(
    {
        "reset",  # TCP RST right after the request
        "disconnect",  # the connection closed without an answer
        "truncate",  # Content-Length announced, half the body sent, connection closed
        "timeout",  # silence for Faults.hold seconds (longer than the client's read timeout)
        "slow",  # the normal answer after Faults.slow seconds (shorter than the read timeout)
        "trickle",  # the answer's body one byte every Faults.trickle seconds
    }
)
# Payload faults on a 200 answer; both routes also know "invalid_json", "truncate_unframed"
# (half the body, no Content-Length: only the payload can tell) and "empty".
API_FAULTS = frozenset(
    {"invalid_json", "truncate_unframed", "empty", "schema_changed", "item_renamed", "html_instead"}
)
PAGE_FAULTS = frozenset(
    {
        "invalid_json",  # data-props holds half of its JSON
        "truncate_unframed",
        "empty",  # the island holds an empty list and the page no cards
        "island_removed",  # cards only: no [data-target="DailyPapers"] element
        "island_renamed",  # data-target="DailyPapersV2"
        "props_missing",  # the island without data-props
        "props_renamed",  # data-props holds "papers" instead of "dailyPapers"
        "props_dropped_items",  # data-props holds half the papers, the page shows all cards
    }
)
PAYLOAD_FAULTS = API_FAULTS | PAGE_FAULTS


def is_known_fault(kind: str) -> bool:
    return (kind.isdigit() and len(kind) == 3) or kind in CONNECTION_FAULTS | PAYLOAD_FAULTS


@dataclass(frozen=True)
class FaultRule:
    """The first ``times`` requests matching every given filter fail with ``kind``.

    ``times=None`` fails every matching request. Rules are tried in order; a request consumes
    at most one rule, and a payload fault only matches an answer it can change (a 200 of the
    route it is meant for), so a schedule stays deterministic whatever else is requested.
    """

    kind: str
    times: int | None = 1
    date: str | None = None  # the list date asked for (API ``date=`` or /papers/date/D)
    path: str | None = None  # a path prefix, e.g. "/api/" or "/papers/date/"
    page: int | None = None  # the API's ``p`` parameter
    retry_after: str | None = None  # for 429/503; default ``Faults.retry_after``


@dataclass
class Faults:
    latency: float = 0.0  # seconds added to every response
    fault_rate: float = 0.0  # fraction of requests answered with a fault drawn from ``kinds``
    kinds: tuple[str, ...] = TRANSIENT_FAULTS
    seed: int = 0
    rate_limit: int | None = None  # requests allowed per window, then 429
    window: float = 300.0
    sliding: bool = False  # count the last ``window`` seconds, not fixed windows
    ratelimit_headers: bool = True  # False: no RateLimit or Retry-After headers, ever
    fail_dates: dict[str, int] = field(default_factory=dict)  # date -> permanent HTTP status
    schedule: Sequence[FaultRule] = ()
    retry_after: str = "1"  # Retry-After of injected 429/503 (seconds or an HTTP-date)
    # Random faults on one request (path, date, page) at most this many times running: a
    # transient fault passes, whichever order concurrent requests draw the dice in.
    max_in_a_row: int | None = None
    hold: float = 30.0  # seconds a "timeout" fault stays silent
    slow: float = 0.05  # seconds a "slow" fault delays the answer
    trickle: float = 2.0  # seconds between the bytes of a "trickle" body (each below any timeout)

    def __post_init__(self) -> None:
        unknown = [
            k for k in (*self.kinds, *(r.kind for r in self.schedule)) if not is_known_fault(k)
        ]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; see tests/replay.py")


def busiest_window(arrivals: Sequence[float], seconds: float) -> int:
    """The most requests any window of ``seconds`` held (sliding, every phase)."""
    busiest, first = 0, 0
    for last, at in enumerate(arrivals):
        while arrivals[first] <= at - seconds:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


@dataclass(slots=True, kw_only=True)
class TimeTravel:
    """The world as of ``now`` (tests move it): what a listing showed at that moment."""

    now: datetime
    tau_hours: float = 30.0  # upvotes reach 63% of their captured value 30 h after listing
    surges: dict[str, tuple[int, int]] = field(default_factory=dict)  # id -> (days after, +N)

    def visible(self, day: date) -> bool:
        return _midnight(day) <= self.now

    def grown(self, day: date, final: int) -> int:
        """A count listed on ``day`` that ends at ``final``, as of ``now``."""
        hours = (self.now - _midnight(day)).total_seconds() / 3600
        return round(final * (1 - math.exp(-hours / self.tau_hours))) if hours > 0 else 0

    def upvotes(self, arxiv_id: str, day: date, final: int) -> int:
        after, extra = self.surges.get(arxiv_id, (0, 0))
        surged = extra if extra and self.now >= _midnight(day) + timedelta(days=after) else 0
        return self.grown(day, final) + surged


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    ctype: str
    headers: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, Any]] | None = None  # the papers a day route answered with


class _QuietServer(ThreadingHTTPServer):
    """Handler errors (a client that hung up on a held connection) are noted, not printed."""

    daemon_threads = True
    errors: list[str]

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.errors.append(repr(sys.exc_info()[1]))


class ReplayServer:
    """``with ReplayServer(folder) as server: server.url`` — a real server on 127.0.0.1."""

    def __init__(
        self,
        data_dir: Path,
        *,
        faults: Faults | None = None,
        upvote_growth: Callable[[str, int], int] | None = None,
        timeline: TimeTravel | None = None,
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.data_dir = data_dir
        self.faults = faults or Faults()
        self.upvote_growth = upvote_growth or (lambda arxiv_id, generation: 0)
        self.timeline = timeline
        self.grow_per_fetch = False  # the CLI's --grow: each fetch of a day shows more upvotes
        self.fetches: Counter[str] = Counter()  # day -> listings served (first pages)
        self.generation = 0
        self.requests: list[str] = []
        self.request_times: list[float] = []  # time.monotonic() at each arrival (benchmarks)
        self.served: dict[str, int] = {}  # status code -> count
        self.injected: Counter[str] = Counter()  # fault kind -> times injected
        self._clock = clock  # the rate-limit window's clock; a test may share its fake one
        self._random = random.Random(self.faults.seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._window_start = clock()
        self._window_count = 0
        self.arrivals: list[float] = []  # the rate-limit clock at each arrival
        self._rule_uses = [0] * len(self.faults.schedule)
        self._streaks: Counter[tuple[str, str | None, int | None]] = Counter()
        self._cache: dict[str, list[dict[str, Any]]] = {}
        self._httpd = _QuietServer(("127.0.0.1", port), self._handler())
        self._httpd.errors = []
        # A short poll interval: shutdown waits up to one interval, and tests stop many servers.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def handler_errors(self) -> list[str]:
        return self._httpd.errors

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()  # release held connections at once
        self._httpd.shutdown()
        self._httpd.server_close()

    def observed(self, day: str) -> None:
        with self._lock:
            self.fetches[day] += 1

    def day_items(self, day: str) -> list[dict[str, Any]]:
        """The day's items as HF's API returns them (captures normalised to plain objects)."""
        if day not in self._cache:
            path = self.data_dir / f"{day}.json"
            if not path.is_file():
                self._cache[day] = []
            else:
                raw, _ = parse_api_payload(path.read_bytes(), url=str(path), requested_date=None)
                self._cache[day] = [
                    dict(as_mapping(item, source="replay", url=str(path), where="item"))
                    for item in raw
                ]
        travel = self.timeline
        if travel is not None and not travel.visible(date.fromisoformat(day)):
            return []
        items: list[dict[str, Any]] = json.loads(json.dumps(self._cache[day]))  # a deep copy
        if travel is not None:
            listed = date.fromisoformat(day)
            for item in items:
                paper = item["paper"]
                paper["upvotes"] = travel.upvotes(paper["id"], listed, paper.get("upvotes", 0))
                item["numComments"] = travel.grown(listed, item.get("numComments", 0))
            return items
        if self.grow_per_fetch:  # 50% of the captured upvotes at the first fetch, then +25% each
            share = min(1.0, 0.25 + 0.25 * max(1, self.fetches[day]))
            for item in items:
                item["paper"]["upvotes"] = round(item["paper"].get("upvotes", 0) * share)
            return items
        for item in items:
            paper = item["paper"]
            paper["upvotes"] = paper.get("upvotes", 0) + self.upvote_growth(
                paper["id"], self.generation
            )
        return items

    def rule_uses(self) -> list[int]:
        """How many requests each ``Faults.schedule`` rule has failed so far."""
        with self._lock:
            return list(self._rule_uses)

    # --- fault decisions (thread-safe) ---------------------------------------------------

    def _rate_limited(self) -> tuple[bool, int, float]:
        faults = self.faults
        if faults.rate_limit is None:
            return False, 0, 0.0
        with self._lock:
            now = self._clock()
            self.arrivals.append(now)
            if faults.sliding:
                recent = bisect.bisect_right(self.arrivals, now - faults.window)
                count = len(self.arrivals) - recent
                return count > faults.rate_limit, max(faults.rate_limit - count, 0), faults.window
            if now - self._window_start >= faults.window:
                self._window_start, self._window_count = now, 0
            self._window_count += 1
            remaining = faults.rate_limit - self._window_count
            reset = faults.window - (now - self._window_start)
            return remaining < 0, max(remaining, 0), reset

    def _pick_fault(
        self, route: str, day: str | None, path: str, page: int | None, ok: bool
    ) -> tuple[str, str] | None:
        """The fault for this request, and the Retry-After it carries, or None."""

        def applies(kind: str) -> bool:
            if kind in API_FAULTS and route == "api" and ok:
                return True
            if kind in PAGE_FAULTS and route == "page" and ok:
                return True
            return kind not in PAYLOAD_FAULTS

        faults = self.faults
        with self._lock:
            for index, rule in enumerate(faults.schedule):
                if (
                    (rule.times is None or self._rule_uses[index] < rule.times)
                    and (rule.date is None or rule.date == day)
                    and (rule.path is None or path.startswith(rule.path))
                    and (rule.page is None or rule.page == page)
                    and applies(rule.kind)
                ):
                    self._rule_uses[index] += 1
                    return rule.kind, rule.retry_after or faults.retry_after
            target = (path, day, page)
            if faults.fault_rate and self._random.random() < faults.fault_rate:
                kind = self._random.choice(faults.kinds)
                limit = faults.max_in_a_row
                if applies(kind) and (limit is None or self._streaks[target] < limit):
                    self._streaks[target] += 1
                    return kind, faults.retry_after
            self._streaks.pop(target, None)
        return None

    def _count(self, kind: str) -> None:
        with self._lock:
            self.injected[kind] += 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without NODELAY the body waits for
                # the client's delayed ACK (40 ms a request on Linux), which no real host does.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                with server._lock:
                    server.requests.append(self.path)
                    server.request_times.append(time.monotonic())
                if server.faults.latency:
                    server._stopping.wait(server.faults.latency)
                limited, remaining, reset = server._rate_limited()
                quota, window = server.faults.rate_limit, server.faults.window
                policy = f'"fixed window";"api";q={quota};w={window:.0f}'
                # Seconds to reset rounded up: a client waiting exactly that long is in time.
                ratelimit = f'"api";r={remaining};t={max(math.ceil(reset), 1)}'
                if limited:
                    server._count("rate_limit")
                    hints = {
                        "Retry-After": str(max(math.ceil(reset), 1)),
                        "RateLimit": ratelimit,
                        "RateLimit-Policy": policy,
                    }
                    headers = hints if server.faults.ratelimit_headers else {}
                    self._send(429, b"rate limited", "text/plain", headers)
                    return
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                route, day, page = _classify(parts.path, query)
                answer = self._route(parts.path, query)
                picked = server._pick_fault(route, day, parts.path, page, answer.status == 200)
                if picked is None:
                    self._answer(answer, ratelimit, policy)
                    return
                kind, retry_after = picked
                server._count(kind)
                if kind.isdigit():
                    extra = {"Retry-After": retry_after} if kind in ("429", "503") else {}
                    self._send(int(kind), b"fault", "text/plain", extra)
                elif kind == "reset":
                    # SO_LINGER 0: close() sends RST instead of FIN.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self._hang_up()
                elif kind == "disconnect":
                    self._hang_up()
                elif kind == "timeout":
                    server._stopping.wait(server.faults.hold)
                    self._hang_up()
                elif kind == "slow":
                    server._stopping.wait(server.faults.slow)
                    self._answer(answer, ratelimit, policy)
                elif kind == "trickle":
                    self._send(answer.status, b"", answer.ctype, answer.headers, length=answer.body)
                    for byte in answer.body:
                        if server._stopping.wait(server.faults.trickle):
                            break
                        try:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                        except OSError:  # the client gave up: what the fault is for
                            break
                    self.close_connection = True
                elif kind == "truncate":
                    self._send(
                        answer.status,
                        answer.body,
                        answer.ctype,
                        answer.headers,
                        truncate_to=len(answer.body) // 2,
                    )
                elif kind == "truncate_unframed":
                    half = answer.body[: len(answer.body) // 2]
                    self._send(answer.status, half, answer.ctype, answer.headers, framed=False)
                else:
                    self._answer(_damaged(kind, route, day or "", answer), ratelimit, policy)

            def _answer(self, answer: _Answer, ratelimit: str, policy: str) -> None:
                extra = answer.headers
                if server.faults.rate_limit is not None and server.faults.ratelimit_headers:
                    extra = {**extra, "RateLimit": ratelimit, "RateLimit-Policy": policy}
                self._send(answer.status, answer.body, answer.ctype, extra)

            def _hang_up(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.close()

            def _route(self, path: str, query: dict[str, list[str]]) -> _Answer:
                if path == "/api/daily_papers":
                    day = query.get("date", [""])[0]
                    try:
                        date.fromisoformat(day)
                    except ValueError:
                        return _Answer(400, b'{"error":"Invalid date"}', "application/json")
                    if day in server.faults.fail_dates:
                        return _Answer(server.faults.fail_dates[day], b"{}", "application/json")
                    limit = int(query.get("limit", ["50"])[0])
                    page = int(query.get("p", ["0"])[0])
                    if page == 0:
                        server.observed(day)
                    items = server.day_items(day)[page * limit : (page + 1) * limit]
                    return _Answer(200, json.dumps(items).encode(), "application/json", items=items)
                if path.startswith("/papers/date/"):
                    day = path.rsplit("/", 1)[1]
                    if day in server.faults.fail_dates:
                        return _Answer(server.faults.fail_dates[day], b"", "text/html")
                    server.observed(day)
                    items = server.day_items(day)
                    if not items:
                        return _Answer(302, b"", "text/plain", {"Location": "/papers"})
                    page_html = render_page(day, items).encode()
                    return _Answer(200, page_html, "text/html; charset=utf-8", items=items)
                if path == "/papers":  # like HF: on to the latest list the folder holds
                    latest = max((f.stem for f in server.data_dir.glob("*.json")), default=None)
                    if latest is None:
                        return _Answer(200, b"<html><body>Daily Papers</body></html>", "text/html")
                    return _Answer(302, b"", "text/plain", {"Location": f"/papers/date/{latest}"})
                return _Answer(404, b"not found", "text/plain")

            def _send(
                self,
                status: int,
                body: bytes,
                ctype: str,
                extra: dict[str, str],
                truncate_to: int | None = None,
                framed: bool = True,
                length: bytes | None = None,  # announce this body's length (sent by the caller)
            ) -> None:
                with server._lock:
                    server.served[str(status)] = server.served.get(str(status), 0) + 1
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                if framed:
                    self.send_header("Content-Length", str(len(body if length is None else length)))
                else:
                    self.send_header("Connection", "close")  # the body ends where the data ends
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body if truncate_to is None else body[:truncate_to])
                if truncate_to is not None or not framed:
                    self.close_connection = True

        return Handler


def _classify(path: str, query: dict[str, list[str]]) -> tuple[str, str | None, int | None]:
    """``(route, date, page)`` of a request: route is "api", "page" or "other"."""
    if path == "/api/daily_papers":
        page = query.get("p", ["0"])[0]
        return "api", query.get("date", [None])[0], int(page) if page.isdigit() else None
    if path.startswith("/papers/date/"):
        return "page", path.rsplit("/", 1)[1], None
    return "other", None, None


def _damaged(kind: str, route: str, day: str, answer: _Answer) -> _Answer:
    """The 200 ``answer`` with payload fault ``kind`` applied."""
    items = answer.items or []
    if route == "page":
        return _Answer(200, render_page(day, items, layout=kind).encode(), answer.ctype)
    body: Any
    if kind == "invalid_json":
        return _Answer(200, answer.body[: max(1, len(answer.body) // 2)], answer.ctype)
    if kind == "html_instead":  # a proxy's maintenance page, served with 200
        page = b"<!doctype html><html><body><h1>We'll be right back</h1></body></html>"
        return _Answer(200, page, "text/html")
    if kind == "empty":
        body = []
    elif kind == "schema_changed":
        body = {"papers": items}
    elif kind == "item_renamed":
        body = [
            {("article" if key == "paper" else key): value for key, value in it.items()}
            for it in items
        ]
    else:  # pragma: no cover - Faults validates kinds
        raise ValueError(kind)
    return _Answer(200, json.dumps(body).encode(), answer.ctype)


def render_page(day: str, items: list[dict[str, Any]], layout: str = "current") -> str:
    """A Daily Papers page the way HF serves it: hydration JSON in an entity-encoded attribute.

    ``layout`` other than "current" is one of ``PAGE_FAULTS``: the same page, changed.
    """
    shown = [] if layout == "empty" else items
    data = items[: len(items) // 2] if layout == "props_dropped_items" else shown
    key = "papers" if layout == "props_renamed" else "dailyPapers"
    props_json = json.dumps({"periodType": "day", "dateString": day, key: data})
    if layout == "invalid_json":
        props_json = props_json[: len(props_json) // 2]
    cards = "\n".join(
        f'<article><h3><a href="/papers/{html.escape(it["paper"]["id"])}">'
        f"{html.escape(it.get('title') or it['paper']['title'])}</a></h3>"
        f'<div class="leading-none">{it["paper"].get("upvotes", 0)}</div></article>'
        for it in shown
    )
    target = "DailyPapersV2" if layout == "island_renamed" else "DailyPapers"
    props = "" if layout == "props_missing" else f' data-props="{html.escape(props_json)}"'
    island = f'<div class="SVELTE_HYDRATER contents" data-target="{target}"{props}>'
    if layout == "island_removed":
        island = '<div class="contents">'
    return f"<!doctype html><html><body>{island}<section>{cards}</section></div></body></html>"


def main() -> None:
    parser = argparse.ArgumentParser(description="Replay captured HF Daily Papers locally.")
    parser.add_argument("--data", type=Path, required=True, help="folder of YYYY-MM-DD.json")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="fraction of faulty answers")
    parser.add_argument("--kinds", default=",".join(TRANSIENT_FAULTS), help="fault kinds to draw")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rate-limit", type=int, default=None, help="requests per window")
    parser.add_argument("--window", type=float, default=300.0, help="rate-limit window, seconds")
    parser.add_argument(
        "--grow",
        action="store_true",
        help="upvotes grow as a day is fetched again (half the captured count, +25%% per fetch)",
    )
    args = parser.parse_args()
    if not args.data.is_dir() or not any(args.data.glob("*.json")):
        # Serving nothing would make every day look empty: a digest would say HF listed nothing.
        parser.exit(
            2,
            f"replay: error: no YYYY-MM-DD.json captures in {args.data}; point --data at a "
            "folder of /api/daily_papers responses (e.g. ../shared/data/hf_api_daily)\n",
        )
    faults = Faults(
        latency=args.latency,
        fault_rate=args.fault_rate,
        kinds=tuple(k.strip() for k in args.kinds.split(",") if k.strip()),
        seed=args.seed,
        rate_limit=args.rate_limit,
        window=args.window,
    )
    with ReplayServer(args.data, port=args.port, faults=faults) as server:
        server.grow_per_fetch = args.grow
        print(f"replaying {args.data} at {server.url} (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
