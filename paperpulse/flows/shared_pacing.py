"""Several workers, one budget per host: Prefect global rate limits (flows only).

Each process paces itself (``scrapers.pacing``); N workers on a Prefect server would hit a host
N times as hard. A flow run therefore makes sure every paced host has a global concurrency
limit of one slot decaying at the host's rate (``1 / min_interval`` per second), and every
request attempt takes a slot with ``rate_limit(..., strict=True)``: all workers together keep
the spacing one process keeps alone. Strict: a missing limit is an error, never a free pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from prefect.client.orchestration import get_client
from prefect.concurrency.sync import rate_limit

from paperpulse.flows.config import Config
from paperpulse.flows.context import client_settings, request_permit
from paperpulse.flows.settings import Settings
from paperpulse.scrapers.pacing import HostPolicy


def limit_name(host: str) -> str:
    return "paperpulse-host-" + re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")


@contextmanager
def shared_host_budgets(settings: Settings, config: Config) -> Iterator[None]:
    """Create or update each paced host's limit, and route the requests of the clients this
    flow run makes through them (a plain run later in the same process is not affected).
    Idempotent: every flow run does it; a changed interval updates the limit."""
    with get_client(sync_client=True) as prefect:
        for host, policy in client_settings(settings, config).policies.items():
            if policy.min_interval > 0:
                prefect.upsert_global_concurrency_limit_by_name(
                    limit_name(host), limit=1, slot_decay_per_second=1 / policy.min_interval
                )
    token = request_permit.set(take_slot)
    try:
        yield
    finally:
        request_permit.reset(token)


def take_slot(host: str, policy: HostPolicy) -> None:
    if policy.min_interval > 0:
        rate_limit(limit_name(host), occupy=1, strict=True)
