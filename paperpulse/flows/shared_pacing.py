"""Several workers, one budget per host: Prefect global rate limits (flows only).

Each process paces itself (``scrapers.pacing``); N workers on a Prefect server would hit a host
N times as hard. A flow run therefore makes sure every paced host has a global concurrency
limit of one slot decaying at the host's rate (``1 / min_interval`` per second), and every
request attempt takes a slot with ``rate_limit(..., strict=True)``: all workers together keep
the spacing one process keeps alone. Strict: a missing limit is an error, never a free pass.

The deployment's bootstrap applies the same limits before any worker starts
(``python -m paperpulse.flows.shared_pacing``): one function, ``apply_host_limits``, for both.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.concurrency.sync import rate_limit
from prefect.exceptions import ObjectAlreadyExists

from paperpulse.app.context import client_settings, request_permit
from paperpulse.config.file import Config
from paperpulse.config.settings import Settings
from paperpulse.scrapers.pacing import HostPolicy


def limit_name(host: str) -> str:
    return "paperpulse-host-" + re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")


def host_limits(settings: Settings, config: Config) -> dict[str, float]:
    """Each paced host's limit name and its slot decay (slots per second)."""
    return {
        limit_name(host): 1 / policy.min_interval
        for host, policy in client_settings(settings, config).policies.items()
        if policy.min_interval > 0
    }


def apply_host_limits(prefect: SyncPrefectClient, settings: Settings, config: Config) -> None:
    """Create or update each paced host's limit. Idempotent, and safe when several flow runs
    start at once: Prefect's upsert reads then creates, so the loser of that race gets
    ``ObjectAlreadyExists`` and upserts again (now an update or nothing)."""
    for name, decay in host_limits(settings, config).items():
        try:
            prefect.upsert_global_concurrency_limit_by_name(
                name, limit=1, slot_decay_per_second=decay
            )
        except ObjectAlreadyExists:
            prefect.upsert_global_concurrency_limit_by_name(
                name, limit=1, slot_decay_per_second=decay
            )


@contextmanager
def shared_host_budgets(settings: Settings, config: Config) -> Iterator[None]:
    """Apply the hosts' limits, and route the requests of the clients this flow run makes
    through them (a plain run later in the same process is not affected). Every flow run does
    it: a changed interval updates the limit."""
    with get_client(sync_client=True) as prefect:
        apply_host_limits(prefect, settings, config)
    token = request_permit.set(take_slot)
    try:
        yield
    finally:
        request_permit.reset(token)


def take_slot(host: str, policy: HostPolicy) -> None:
    if policy.min_interval > 0:
        rate_limit(limit_name(host), occupy=1, strict=True)


def main() -> int:
    """Bootstrap: apply the limits of this environment's settings and config to the Prefect
    API in ``PREFECT_API_URL``, print them; one line on stderr and exit 1 if that fails."""
    from paperpulse.config.settings import from_environment
    from paperpulse.core.errors import PaperpulseError

    try:
        settings, config = from_environment()
        with get_client(sync_client=True) as prefect:
            apply_host_limits(prefect, settings, config)
    except PaperpulseError as exc:
        print(f"paperpulse: host limits not applied: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the API unreachable or refusing: say so, and what to check
        print(
            f"paperpulse: host limits not applied: {type(exc).__name__}: {exc} "
            "(is PREFECT_API_URL set to a running Prefect server?)",
            file=sys.stderr,
        )
        return 1
    for name, decay in host_limits(settings, config).items():
        print(f"{name}: 1 slot, decaying {decay:g}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
