"""Every HTTP fault through the real HttpClient and HF fetchers against the real replay server.

Each faulted fetch must end one of three ways, never a fourth: the listing identical to a clean
fetch (transient faults, retried), ``FetchError`` naming the URL (permanent faults, not retried),
or ``ParseError``/``LayoutChanged`` naming the URL (broken payloads, changed layouts). A short
listing is the outcome that must never happen.

Time: the client sleeps on a fake clock (backoff and Retry-After cost nothing); only the
"timeout" fault costs real time, the client's read timeout (kept small here).
"""

from __future__ import annotations

import dataclasses
import email.utils
import socket
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from paperpulse.core.errors import FetchError, LayoutChanged, ParseError, TransientFetchError
from paperpulse.core.models import Listing
from paperpulse.scrapers import hf_daily
from paperpulse.scrapers.completeness import check_against_previous
from paperpulse.scrapers.http import HttpClient, default_settings
from tests.clocks import FakeClock
from tests.reliability.conftest import REPLAY_DAYS
from tests.reliability.record import record
from tests.replay import FaultRule, Faults, ReplayServer

NOW = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
CATEGORY = "HTTP fault"
VIAS = ("api", "html")
WHERE = {"api": "hf-daily API (paged JSON)", "html": "hf-daily HTML page (data-props)"}
TIMEOUT = 0.3  # the client's read timeout in the "timeout" tests: each one costs this, really
RELAXED = 5.0  # elsewhere: generous, so a slow CI machine never times out by accident
MAX_RETRIES = 3


def make_client(server: ReplayServer, clock: FakeClock, **overrides: Any) -> HttpClient:
    wanted = {"read_timeout": RELAXED, "connect_timeout": RELAXED, "max_retries": MAX_RETRIES}
    settings = dataclasses.replace(default_settings(hf_url=server.url), **{**wanted, **overrides})
    return HttpClient(settings, clock=clock, rng=lambda: 0.5)


def fetch(client: HttpClient, server: ReplayServer, day: str, via: str) -> Listing:
    """The day's listing, its URL without the server's port so two servers' listings compare."""
    listing = hf_daily.fetch_daily(
        client, base_url=server.url, list_date=date.fromisoformat(day), via=via, now=NOW
    )
    return dataclasses.replace(listing, url=listing.url.removeprefix(server.url))


@pytest.fixture(scope="module")
def clean(replay_data: Path) -> dict[tuple[str, str], Listing]:
    """Each day, by each route, fetched with no fault: what every faulted fetch must equal."""
    listings = {}
    with ReplayServer(replay_data) as server, make_client(server, FakeClock()) as client:
        for day in REPLAY_DAYS:
            for via in VIAS:
                listings[day, via] = fetch(client, server, day, via)
                assert listings[day, via].items, f"{day} has papers in the captures"
    return listings


@pytest.fixture
def faulty(replay_data: Path) -> Iterator[Any]:
    """``faulty(faults)`` starts a replay server with those faults; stopped after the test."""
    servers: list[ReplayServer] = []

    def start(faults: Faults, clock: FakeClock | None = None) -> ReplayServer:
        server = ReplayServer(
            replay_data, faults=faults, clock=clock.monotonic if clock else time.monotonic
        )
        servers.append(server.__enter__())
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def requests_for(listing: Listing, via: str) -> int:
    """Requests a clean fetch of ``listing`` makes: one page, or API pages until a short one."""
    return 1 if via == "html" else len(listing.items) // hf_daily.PAGE_SIZE + 1


# --- transient faults: retried, and the listing comes out identical ------------------------

TRANSIENT = ("429", "500", "502", "503", "504", "reset", "disconnect", "truncate", "timeout")


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("kind", TRANSIENT)
@pytest.mark.parametrize("times", [1, MAX_RETRIES])
def test_transient_faults_are_retried_to_an_identical_listing(
    faulty: Any, clean: dict[tuple[str, str], Listing], kind: str, via: str, times: int
) -> None:
    clock = FakeClock()
    rules = [FaultRule(kind=kind, times=times, date=day) for day in REPLAY_DAYS]
    server = faulty(Faults(schedule=rules))
    read_timeout = TIMEOUT if kind == "timeout" else RELAXED
    with make_client(server, clock, read_timeout=read_timeout) as client:
        listings = {day: fetch(client, server, day, via) for day in REPLAY_DAYS}
        stats = client.stats[f"127.0.0.1:{server.url.rsplit(':', 1)[1]}"]

    faults = times * len(REPLAY_DAYS)
    for day, listing in listings.items():
        assert listing == clean[day, via]
    assert server.injected == {kind: faults} and server.rule_uses() == [times] * len(rules)
    assert stats.retries == faults
    clean_requests = sum(requests_for(listing, via) for listing in listings.values())
    assert len(server.requests) == clean_requests + faults
    if kind in ("429", "503"):  # Retry-After: 1 honoured on the (fake) clock
        assert clock.now >= faults * 1.0
    record(
        category=CATEGORY,
        case=f"{_describe(kind)}, first {'attempt' if times == 1 else f'{times} attempts'}",
        where=WHERE[via],
        outcome="retried; listing identical to a clean fetch",
        trials=len(listings),
        injected=faults,
    )


def test_a_slow_server_below_the_read_timeout_is_not_a_fault(
    faulty: Any, clean: dict[tuple[str, str], Listing]
) -> None:
    day = REPLAY_DAYS[0]
    server = faulty(Faults(latency=0.02, schedule=[FaultRule(kind="slow", times=None)]))
    with make_client(server, FakeClock()) as client:
        for via in VIAS:
            assert fetch(client, server, day, via) == clean[day, via]
    assert server.injected["slow"] == len(server.requests) == 2
    for via in VIAS:
        record(
            category=CATEGORY,
            case="latency 20 ms + slow answer 50 ms (under the read timeout)",
            where=WHERE[via],
            outcome="no retry; listing identical",
            injected=1,
        )


def test_retry_after_as_an_http_date_is_honoured(
    faulty: Any, clean: dict[tuple[str, str], Listing]
) -> None:
    day = REPLAY_DAYS[0]
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    server = faulty(Faults(schedule=[FaultRule(kind="503", date=day, retry_after=when)]))
    clock = FakeClock()
    with make_client(server, clock) as client:
        assert fetch(client, server, day, "api") == clean[day, "api"]
    # Measured against the answer's own Date header, to the second.
    assert 28.0 <= clock.now <= 31.0
    record(
        category=CATEGORY,
        case="HTTP 503 + Retry-After as an HTTP-date (+30 s)",
        where=WHERE["api"],
        outcome="waited ~30 s (fake clock), retried; listing identical",
        injected=1,
    )


# --- transient faults that do not stop: TransientFetchError naming the URL -----------------


@pytest.mark.parametrize("kind", ["429", "503", "reset", "truncate", "timeout"])
def test_a_fault_that_persists_gives_up_after_the_retries_naming_the_url(
    faulty: Any, kind: str
) -> None:
    day = REPLAY_DAYS[0]
    server = faulty(Faults(schedule=[FaultRule(kind=kind, times=None)]))
    read_timeout = TIMEOUT if kind == "timeout" else RELAXED
    with (
        make_client(server, FakeClock(), read_timeout=read_timeout) as client,
        pytest.raises(TransientFetchError) as caught,
    ):
        fetch(client, server, day, "api")

    message = str(caught.value)
    assert f"{server.url}/api/daily_papers?date={day}" in message
    assert f"gave up after {MAX_RETRIES + 1} attempts" in message
    assert server.injected[kind] == len(server.requests) == MAX_RETRIES + 1
    if kind.isdigit():
        assert caught.value.status == int(kind)
    record(
        category=CATEGORY,
        case=f"{_describe(kind)}, every attempt",
        where=WHERE["api"],
        outcome=f"TransientFetchError naming the URL after {MAX_RETRIES + 1} attempts",
        injected=MAX_RETRIES + 1,
    )


@pytest.mark.parametrize("via", VIAS)
def test_a_trickling_body_is_cut_at_the_deadline_then_retried(
    faulty: Any, clean: dict[tuple[str, str], Listing], via: str
) -> None:
    """A byte every 0.05 s never trips the read timeout; the whole-request deadline does."""
    day = REPLAY_DAYS[0]

    def trickling(times: int | None) -> ReplayServer:
        rule = FaultRule(kind="trickle", times=times, date=day)
        server: ReplayServer = faulty(Faults(schedule=[rule], trickle=0.05))
        return server

    twice, always = trickling(2), trickling(None)
    with make_client(twice, FakeClock(), deadline=0.3) as client:
        assert fetch(client, twice, day, via) == clean[day, via]
    with (
        make_client(always, FakeClock(), deadline=0.3) as client,
        pytest.raises(TransientFetchError, match=r"deadline=0\.3 s") as caught,
    ):
        fetch(client, always, day, via)
    assert day in caught.value.url and always.injected["trickle"] == MAX_RETRIES + 1
    record(
        category=CATEGORY,
        case="body trickled a byte every 0.05 s (the read timeout never trips)",
        where=WHERE[via],
        outcome="cut at HttpSettings.deadline (0.3 s) and retried: identical listing after 2; "
        f"TransientFetchError naming the URL and the deadline after {MAX_RETRIES + 1}",
        trials=2,
        injected=twice.injected["trickle"] + always.injected["trickle"],
    )


def test_a_retry_after_beyond_the_limit_fails_at_once(faulty: Any) -> None:
    server = faulty(Faults(schedule=[FaultRule(kind="429", times=None, retry_after="3600")]))
    clock = FakeClock()
    with (
        make_client(server, clock) as client,
        pytest.raises(TransientFetchError, match="max_retry_after") as caught,
    ):
        fetch(client, server, REPLAY_DAYS[0], "api")
    assert caught.value.retry_after == 3600.0 and server.url in str(caught.value)
    assert len(server.requests) == 1 and clock.now == 0.0
    record(
        category=CATEGORY,
        case="HTTP 429 + Retry-After 3600 s (over max_retry_after)",
        where=WHERE["api"],
        outcome="TransientFetchError at once (no blocking), naming the URL",
        injected=1,
    )


def test_a_refused_connection_is_transient_and_named() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    settings = dataclasses.replace(default_settings(hf_url=base), max_retries=MAX_RETRIES)
    with (
        HttpClient(settings, clock=FakeClock(), rng=lambda: 0.5) as client,
        pytest.raises(TransientFetchError) as caught,
    ):
        hf_daily.fetch_daily(client, base_url=base, list_date=date(2024, 8, 1), now=NOW)
    assert base in str(caught.value) and "ConnectError" in str(caught.value)
    record(
        category=CATEGORY,
        case="connection refused (nothing listening)",
        where=WHERE["api"],
        outcome=f"TransientFetchError naming the URL after {MAX_RETRIES + 1} attempts",
    )


# --- permanent faults: FetchError naming the URL, never retried ----------------------------


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_permanent_statuses_fail_at_once_naming_the_url(faulty: Any, status: int, via: str) -> None:
    day = REPLAY_DAYS[0]
    server = faulty(Faults(schedule=[FaultRule(kind=str(status), times=None, date=day)]))
    with (
        make_client(server, FakeClock()) as client,
        pytest.raises(FetchError) as caught,
    ):
        fetch(client, server, day, via)

    error = caught.value
    assert not isinstance(error, TransientFetchError)
    assert error.status == status and len(server.requests) == 1
    assert day in error.url and error.url in str(error) and f"HTTP {status}" in str(error)
    record(
        category=CATEGORY,
        case=f"HTTP {status}",
        where=WHERE[via],
        outcome="FetchError naming the URL and status; not retried",
        injected=1,
    )


def test_an_oversized_body_is_refused_naming_the_limit(faulty: Any) -> None:
    server = faulty(Faults())
    with (
        make_client(server, FakeClock(), max_bytes=100) as client,
        pytest.raises(FetchError, match="max_bytes=100 ") as caught,
    ):
        fetch(client, server, REPLAY_DAYS[0], "api")
    assert not isinstance(caught.value, TransientFetchError) and server.url in str(caught.value)
    record(
        category=CATEGORY,
        case="body over HttpSettings.max_bytes",
        where=WHERE["api"],
        outcome="FetchError naming the URL and the limit; not retried",
    )


# --- broken payloads and changed layouts: ParseError / LayoutChanged, never a short listing --

PAYLOADS = [
    ("api", "invalid_json", ParseError),
    ("api", "truncate_unframed", ParseError),
    ("api", "schema_changed", ParseError),
    ("api", "item_renamed", ParseError),
    ("api", "html_instead", ParseError),
    ("html", "invalid_json", ParseError),
    ("html", "truncate_unframed", ParseError),
    ("html", "island_removed", LayoutChanged),
    ("html", "island_renamed", LayoutChanged),
    ("html", "props_missing", LayoutChanged),
    ("html", "props_renamed", LayoutChanged),
    ("html", "props_dropped_items", LayoutChanged),
]


@pytest.mark.parametrize("day", REPLAY_DAYS)
@pytest.mark.parametrize(("via", "kind", "error"), PAYLOADS)
def test_broken_payloads_and_changed_layouts_raise_naming_the_url(
    faulty: Any, via: str, kind: str, error: type[ParseError], day: str
) -> None:
    server = faulty(Faults(schedule=[FaultRule(kind=kind, times=None, date=day)]))
    with (
        make_client(server, FakeClock()) as client,
        pytest.raises(error) as caught,
    ):
        fetch(client, server, day, via)

    assert day in caught.value.url and caught.value.url in str(caught.value)
    assert server.injected[kind] == len(server.requests) == 1  # a payload is not retried
    record(
        category=CATEGORY,
        case=_describe(kind),
        where=WHERE[via],
        outcome=f"{caught.value.__class__.__name__} naming the URL; no listing",
        injected=1,
    )


@pytest.mark.parametrize("via", VIAS)
def test_an_empty_answer_for_a_day_that_had_papers_is_a_layout_change(
    faulty: Any, clean: dict[tuple[str, str], Listing], via: str
) -> None:
    """HF's API declares no count, so an empty answer is caught against the previous run."""
    day = REPLAY_DAYS[0]
    server = faulty(Faults(schedule=[FaultRule(kind="empty", times=None, date=day)]))
    with make_client(server, FakeClock()) as client:
        listing = fetch(client, server, day, via)
    assert listing.items == () and listing.notes == (hf_daily.NO_PAPERS,)
    with pytest.raises(LayoutChanged, match="previous run") as caught:
        check_against_previous(listing, previous_count=len(clean[day, via].items))
    assert day in caught.value.url
    record(
        category=CATEGORY,
        case="200 with an empty list for a day that has papers",
        where=WHERE[via],
        outcome="LayoutChanged against the previous run's count (check_against_previous)",
        injected=1,
    )


# --- paging: a fault on the second API page ----------------------------------------------


@pytest.mark.parametrize("kind", ["503", "reset", "404", "invalid_json"])
def test_a_fault_on_a_later_page_never_yields_the_first_page_alone(
    faulty: Any, clean: dict[tuple[str, str], Listing], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    day = REPLAY_DAYS[1]
    expected = clean[day, "api"]
    page_size = max(1, len(expected.items) // 3)  # three or four pages
    monkeypatch.setattr(hf_daily, "PAGE_SIZE", page_size)
    server = faulty(Faults(schedule=[FaultRule(kind=kind, times=1, date=day, page=1)]))
    with make_client(server, FakeClock()) as client:
        try:
            listing: Listing | None = fetch(client, server, day, "api")
        except (FetchError, ParseError) as exc:
            listing, error = None, exc
    assert server.injected == {kind: 1}
    if kind in ("503", "reset"):
        assert listing == expected
        outcome = "retried; listing identical (all pages)"
    else:
        assert listing is None and "p=1" in error.url
        outcome = f"{error.__class__.__name__} naming the page-2 URL; no partial listing"
    record(
        category=CATEGORY,
        case=f"{_describe(kind)} on API page 2 of {len(expected.items) // page_size + 1}",
        where=WHERE["api"],
        outcome=outcome,
        injected=1,
    )


# --- a seeded random mix over many days ------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_random_mix_of_transient_faults_never_changes_a_listing(
    replay_data: Path, seed: int
) -> None:
    days = sorted(path.stem for path in replay_data.glob("*.json"))[: 8 * seed : seed]
    if len(days) < 4:  # a bare clone replays two fixture days: too few requests for a mix
        pytest.skip(f"the random mix needs the real captures ({len(days)} day(s) to replay)")
    with ReplayServer(replay_data) as server, make_client(server, FakeClock()) as client:
        expected = {(d, v): fetch(client, server, d, v) for d in days for v in VIAS}
    faults = Faults(fault_rate=0.35, seed=seed, kinds=(*TRANSIENT[:-1], "slow"))
    outcomes = {"identical": 0, "gave up": 0}
    with (
        ReplayServer(replay_data, faults=faults) as server,
        make_client(server, FakeClock()) as client,
    ):
        for (day, via), listing in expected.items():
            try:
                got = fetch(client, server, day, via)
            except TransientFetchError as exc:
                assert day in exc.url
                outcomes["gave up"] += 1
            else:
                assert got == listing
                outcomes["identical"] += 1
    injected = sum(server.injected.values())
    assert injected > 0 and outcomes["identical"] > 0
    case = "random mix: 35% of requests faulted (429/5xx/reset/disconnect/truncate/slow)"
    where = "hf-daily API and HTML, captured days"
    record(
        category=CATEGORY,
        case=case,
        where=where,
        outcome="retried; listing identical to a clean fetch",
        trials=outcomes["identical"],
        injected=injected,
    )
    if outcomes["gave up"]:
        record(
            category=CATEGORY,
            case=case,
            where=where,
            outcome="TransientFetchError naming the URL (4 attempts failed); no listing",
            trials=outcomes["gave up"],
        )


# --- the rate limit: paced by the RateLimit header, never refused --------------------------


def test_the_client_paces_itself_by_ratelimit_headers_and_is_never_refused(
    replay_data: Path, clean: dict[tuple[str, str], Listing]
) -> None:
    clock = FakeClock()  # shared: the server's window moves with the client's sleeps
    fetches = [(day, via) for _ in range(3) for day in REPLAY_DAYS for via in VIAS]
    faults = Faults(rate_limit=4, window=60.0)
    with (
        ReplayServer(replay_data, faults=faults, clock=clock.monotonic) as server,
        make_client(server, clock) as client,
    ):
        for day, via in fetches:
            assert fetch(client, server, day, via) == clean[day, via]
    assert server.served.get("429", 0) == 0 and not server.injected
    assert clock.now >= 60.0 * ((len(fetches) - 1) // 4)  # it waited for new windows
    record(
        category=CATEGORY,
        case="rate limit 4 requests / 60 s window (RateLimit headers, 429 + Retry-After)",
        where="hf-daily API and HTML",
        outcome="paced by the RateLimit header; 0 requests refused; listings identical",
        trials=len(fetches),
    )


def test_a_rate_limit_hit_without_pacing_headers_is_waited_out(
    replay_data: Path, clean: dict[tuple[str, str], Listing]
) -> None:
    """Another host's policy ignores RateLimit headers: it meets 429 and honours Retry-After."""
    clock = FakeClock()
    faults = Faults(rate_limit=2, window=30.0)
    with ReplayServer(replay_data, faults=faults, clock=clock.monotonic) as server:
        settings = default_settings(hf_url=server.url)
        host = next(iter(settings.policies))
        policy = dataclasses.replace(settings.policies[host], use_ratelimit_headers=False)
        with make_client(server, clock, policies={host: policy}) as client:
            for day in REPLAY_DAYS * 2:
                assert fetch(client, server, day, "api") == clean[day, "api"]
    refused = server.injected["rate_limit"]
    assert refused > 0 and server.served["429"] == refused
    record(
        category=CATEGORY,
        case="rate limit 2 requests / 30 s window, client not reading RateLimit headers",
        where=WHERE["api"],
        outcome="429 + Retry-After honoured; retried; listings identical",
        trials=4,
        injected=refused,
    )


def _describe(kind: str) -> str:
    return {
        "429": "HTTP 429 + Retry-After 1",
        "503": "HTTP 503 + Retry-After 1",
        "reset": "connection reset (TCP RST)",
        "disconnect": "connection closed without an answer",
        "truncate": "truncated body (Content-Length not met)",
        "timeout": f"no answer within the read timeout ({TIMEOUT:.1f} s)",
        "invalid_json": "invalid JSON (body or data-props cut in half)",
        "truncate_unframed": "truncated body without Content-Length",
        "schema_changed": "API shape changed ({'papers': [...]})",
        "item_renamed": "API item key 'paper' renamed",
        "html_instead": "HTML maintenance page served as 200",
        "island_removed": "DailyPapers island removed (cards only)",
        "island_renamed": "DailyPapers island renamed",
        "props_missing": "data-props attribute missing",
        "props_renamed": "data-props 'dailyPapers' key renamed",
        "props_dropped_items": "data-props holds half the papers, page shows all cards",
    }.get(kind, f"HTTP {kind}")


def test_max_in_a_row_bounds_a_transient_fault_then_it_passes(replay_data: Path) -> None:
    """The replay's own knob: a fault on every draw still lets the 4th try of a request pass."""
    day = sorted(path.stem for path in replay_data.glob("*.json"))[0]
    faults = Faults(fault_rate=1.0, kinds=("503",), max_in_a_row=3)
    with (
        ReplayServer(replay_data, faults=faults) as server,
        make_client(server, FakeClock(), max_retries=3) as client,
    ):
        listing = fetch(client, server, day, "api")
        assert listing.items and server.injected == {"503": 3}
        fetch(client, server, day, "api")  # the streak starts again for the same request
        assert server.injected == {"503": 6}
