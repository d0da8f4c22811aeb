"""Polite without being told: Hugging Face's published limits are kept even by a server that
enforces them strictly and sends no hints (no RateLimit, no Retry-After).

A real replay server on 127.0.0.1 counts every window of 300 s on the client's fake clock (the
client's sleeps move time, so a thousand requests take a second, not ten minutes).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from paperpulse.core.errors import TransientFetchError
from paperpulse.scrapers.http import HttpClient, default_settings
from paperpulse.scrapers.pacing import HF_ANONYMOUS_LIMIT, HF_TOKEN_LIMIT, hf_spacing
from tests.clocks import FakeClock
from tests.replay import Faults, ReplayServer, busiest_window


def hammer(
    folder: Path, limit: tuple[int, float], requests: int, **client: object
) -> tuple[ReplayServer, FakeClock]:
    """``requests`` HF API calls through the product's client against a strict enforcer."""
    clock = FakeClock()
    quota, window = limit
    faults = Faults(rate_limit=quota, window=window, sliding=True, ratelimit_headers=False)
    with ReplayServer(folder, faults=faults, clock=clock.monotonic) as server:
        settings = default_settings(hf_url=server.url, **client)  # type: ignore[arg-type]
        with HttpClient(settings, clock=clock, rng=lambda: 0.5) as http:
            for n in range(requests):
                with contextlib.suppress(TransientFetchError):  # counted by the server
                    http.get(
                        f"{server.url}/api/daily_papers",
                        source="hf-daily",
                        params={"date": f"2020-01-{n % 28 + 1:02d}", "limit": 100},
                    )
    return server, clock


@pytest.mark.parametrize(
    ("token", "limit"), [(None, HF_ANONYMOUS_LIMIT), ("hf_secret", HF_TOKEN_LIMIT)]
)
def test_hf_stays_under_its_published_limit_with_no_hints(
    tmp_path: Path, token: str | None, limit: tuple[int, float]
) -> None:
    quota, window = limit
    server, clock = hammer(tmp_path, limit, quota + quota // 5, hf_token=token)
    assert server.served.get("429", 0) == 0 and not server.injected
    assert busiest_window(server.arrivals, window) < quota
    assert 0.9 * quota <= busiest_window(server.arrivals, window)  # polite, not timid
    assert clock.now == pytest.approx((quota + quota // 5 - 1) * hf_spacing(token))


def test_the_old_half_second_floor_would_have_been_refused(tmp_path: Path) -> None:
    """The enforcer is real: 0.5 s between requests is 600 per 5 minutes, and it says 429."""
    server, _ = hammer(tmp_path, HF_ANONYMOUS_LIMIT, 560, hf_min_interval=0.5)
    assert server.injected["rate_limit"] > 0


def test_arxiv_keeps_its_terms_and_crawl_delay() -> None:
    settings = default_settings(
        arxiv_url="https://arxiv.org", arxiv_api_url="http://export.arxiv.org"
    )
    assert settings.policies["export.arxiv.org"].min_interval == 3.0  # API: 1 request per 3 s
    assert settings.policies["export.arxiv.org"].max_connections == 1
    assert settings.policies["arxiv.org"].min_interval == 15.0  # robots.txt Crawl-delay
