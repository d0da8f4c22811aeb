"""A real HttpClient on a fake clock, for fetcher tests routed with respx."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from paperpulse.scrapers.http import HttpClient, default_settings
from tests.clocks import FakeClock

NOW = datetime(2026, 7, 28, 6, 0, tzinfo=UTC)
ARXIV = "https://arxiv.test"
ARXIV_API = "http://export.arxiv.test"
S2 = "https://s2.test"
HF = "https://hf.test"


class Recorder:
    """A respx side effect answering with ``respond`` and noting each request and its fake time."""

    def __init__(
        self, clock: FakeClock, respond: Callable[[httpx.Request], httpx.Response]
    ) -> None:
        self.clock = clock
        self.respond = respond
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(self.clock.monotonic())
        return self.respond(request)

    def params(self, name: str) -> list[str | None]:
        return [r.url.params.get(name) for r in self.requests]


def make_client(clock: FakeClock, *, s2_api_key: str | None = None) -> HttpClient:
    settings = default_settings(
        hf_url=HF,
        arxiv_url=ARXIV,
        arxiv_api_url=ARXIV_API,
        semantic_scholar_url=S2,
        s2_api_key=s2_api_key,
    )
    return HttpClient(settings, clock=clock, rng=lambda: 0.5)


def atom_feed(
    entries: list[tuple[str, str, list[str]]],
    *,
    total: int,
    start: int = 0,
    per_page: int | None = None,
) -> bytes:
    """A small arXiv API answer: ``(id with version, published ISO time, author names)``."""
    parts = []
    for arxiv_id, published, authors in entries:
        names = "".join(f"<author><name>{n}</name></author>" for n in authors)
        parts.append(
            f"<entry><id>http://arxiv.org/abs/{arxiv_id}</id><published>{published}</published>"
            f"<title>Paper {arxiv_id}</title><summary>About {arxiv_id}.</summary>{names}"
            '<arxiv:primary_category term="cs.CL"/><category term="cs.CL"/></entry>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom"><title>ArXiv Query</title>'
        f"<opensearch:totalResults>{total}</opensearch:totalResults>"
        f"<opensearch:startIndex>{start}</opensearch:startIndex>"
        f"<opensearch:itemsPerPage>{per_page if per_page is not None else len(entries)}"
        f"</opensearch:itemsPerPage>{''.join(parts)}</feed>"
    ).encode()
