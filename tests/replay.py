"""A local HTTP server that replays real Hugging Face captures, with faults on demand.

Serves, from a folder of ``YYYY-MM-DD.json`` API captures (../shared/data/hf_api_daily):

    GET /api/daily_papers?date=D&limit=N&p=K   the day's items, paged like HF (400 on a bad date)
    GET /papers/date/D                          an HTML page with the hydration JSON, or a 302
                                                to /papers when the day has no papers
    GET /papers                                 a bare page

Faults for reliability tests and benchmarks: added latency, a fixed-window rate limit answered
with 429 + Retry-After + RateLimit headers (like HF), and a seeded fraction of transient faults
(429, 500, 502, 503, connection reset, truncated body). ``generation`` lets a test grow upvotes
between two observations of the same day.

Run it by hand to point ``paperpulse run`` at it::

    python -m tests.replay --data ../shared/data/hf_api_daily --port 8765
    PAPERPULSE_HF_URL=http://127.0.0.1:8765 paperpulse run --date 2024-08-01
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scrapers.hf_daily import parse_api_payload
from scrapers.hf_items import as_mapping

TRANSIENT_FAULTS = ("429", "500", "502", "503", "reset", "truncate")


@dataclass
class Faults:
    latency: float = 0.0  # seconds added to every response
    fault_rate: float = 0.0  # fraction of requests answered with a transient fault
    kinds: tuple[str, ...] = TRANSIENT_FAULTS
    seed: int = 0
    rate_limit: int | None = None  # requests allowed per window, then 429
    window: float = 300.0
    fail_dates: dict[str, int] = field(default_factory=dict)  # date -> permanent HTTP status


class ReplayServer:
    """``with ReplayServer(folder) as server: server.url`` — a real server on 127.0.0.1."""

    def __init__(
        self,
        data_dir: Path,
        *,
        faults: Faults | None = None,
        upvote_growth: Callable[[str, int], int] | None = None,
        port: int = 0,
    ) -> None:
        self.data_dir = data_dir
        self.faults = faults or Faults()
        self.upvote_growth = upvote_growth or (lambda arxiv_id, generation: 0)
        self.generation = 0
        self.requests: list[str] = []
        self.request_times: list[float] = []  # time.monotonic() at each arrival (benchmarks)
        self.served: dict[str, int] = {}  # status code -> count
        self._random = random.Random(self.faults.seed)
        self._lock = threading.Lock()
        self._window_start = time.monotonic()
        self._window_count = 0
        self._cache: dict[str, list[dict[str, Any]]] = {}
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

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
        items: list[dict[str, Any]] = json.loads(json.dumps(self._cache[day]))  # deep copy
        for item in items:
            paper = item["paper"]
            paper["upvotes"] = paper.get("upvotes", 0) + self.upvote_growth(
                paper["id"], self.generation
            )
        return items

    # --- fault decisions (thread-safe) ---------------------------------------------------

    def _rate_limited(self) -> tuple[bool, int, float]:
        faults = self.faults
        if faults.rate_limit is None:
            return False, 0, 0.0
        with self._lock:
            now = time.monotonic()
            if now - self._window_start >= faults.window:
                self._window_start, self._window_count = now, 0
            self._window_count += 1
            remaining = faults.rate_limit - self._window_count
            reset = faults.window - (now - self._window_start)
            return remaining < 0, max(remaining, 0), reset

    def _transient_fault(self) -> str | None:
        with self._lock:
            if self.faults.fault_rate and self._random.random() < self.faults.fault_rate:
                return self._random.choice(self.faults.kinds)
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                with server._lock:
                    server.requests.append(self.path)
                    server.request_times.append(time.monotonic())
                if server.faults.latency:
                    time.sleep(server.faults.latency)
                limited, remaining, reset = server._rate_limited()
                quota, window = server.faults.rate_limit, server.faults.window
                policy = f'"fixed window";"api";q={quota};w={window:.0f}'
                ratelimit = f'"api";r={remaining};t={max(int(reset), 1)}'
                if limited:
                    self._send(
                        429,
                        b"rate limited",
                        "text/plain",
                        {
                            "Retry-After": str(max(int(reset), 1)),
                            "RateLimit": ratelimit,
                            "RateLimit-Policy": policy,
                        },
                    )
                    return
                fault = server._transient_fault()
                if fault in ("429", "500", "502", "503"):
                    extra = {"Retry-After": "1"} if fault in ("429", "503") else {}
                    self._send(int(fault), b"fault", "text/plain", extra)
                    return
                if fault == "reset":
                    self.connection.close()
                    return
                status, body, ctype, extra = self._route()
                if server.faults.rate_limit is not None:
                    extra = {**extra, "RateLimit": ratelimit, "RateLimit-Policy": policy}
                if fault == "truncate" and len(body) > 10:
                    self._send(status, body, ctype, extra, truncate_to=len(body) // 2)
                    return
                self._send(status, body, ctype, extra)

            def _route(self) -> tuple[int, bytes, str, dict[str, str]]:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                if parts.path == "/api/daily_papers":
                    day = query.get("date", [""])[0]
                    try:
                        date.fromisoformat(day)
                    except ValueError:
                        return 400, b'{"error":"Invalid date"}', "application/json", {}
                    if day in server.faults.fail_dates:
                        return server.faults.fail_dates[day], b"{}", "application/json", {}
                    limit = int(query.get("limit", ["50"])[0])
                    page = int(query.get("p", ["0"])[0])
                    items = server.day_items(day)[page * limit : (page + 1) * limit]
                    return 200, json.dumps(items).encode(), "application/json", {}
                if parts.path.startswith("/papers/date/"):
                    day = parts.path.rsplit("/", 1)[1]
                    items = server.day_items(day)
                    if not items:
                        return 302, b"", "text/plain", {"Location": "/papers"}
                    return 200, render_page(day, items).encode(), "text/html; charset=utf-8", {}
                if parts.path == "/papers":
                    return 200, b"<html><body>Daily Papers</body></html>", "text/html", {}
                return 404, b"not found", "text/plain", {}

            def _send(
                self,
                status: int,
                body: bytes,
                ctype: str,
                extra: dict[str, str],
                truncate_to: int | None = None,
            ) -> None:
                with server._lock:
                    server.served[str(status)] = server.served.get(str(status), 0) + 1
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body if truncate_to is None else body[:truncate_to])
                if truncate_to is not None:
                    self.close_connection = True

        return Handler


def render_page(day: str, items: list[dict[str, Any]]) -> str:
    """A Daily Papers page the way HF serves it: hydration JSON in an entity-encoded attribute."""
    props = {"periodType": "day", "dateString": day, "dailyPapers": items}
    cards = "\n".join(
        f'<article><h3><a href="/papers/{html.escape(it["paper"]["id"])}">'
        f"{html.escape(it.get('title') or it['paper']['title'])}</a></h3>"
        f'<div class="leading-none">{it["paper"].get("upvotes", 0)}</div></article>'
        for it in items
    )
    attr = html.escape(json.dumps(props), quote=True)
    return (
        "<!doctype html><html><body>"
        f'<div class="SVELTE_HYDRATER contents" data-target="DailyPapers" data-props="{attr}">'
        f"<section>{cards}</section></div></body></html>"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Replay captured HF Daily Papers locally.")
    parser.add_argument("--data", type=Path, required=True, help="folder of YYYY-MM-DD.json")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    args = parser.parse_args()
    with ReplayServer(args.data, port=args.port, faults=Faults(latency=args.latency)) as server:
        print(f"replaying {args.data} at {server.url} (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
