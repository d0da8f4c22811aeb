"""Prefect seen from the command line: when a command runs as a flow run, Prefect's own
settings set before it is imported, and its start-up failures said in one line."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager

from paperpulse.core.errors import PaperpulseError


def quiet_prefect(verbose: bool) -> None:
    # Must happen before Prefect is imported: its settings are read once.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # Quiet by default: a failed run is summed up in one line by main(), not by Prefect's
    # tracebacks; our own one-line warnings (retries) still show. -v shows everything.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "CRITICAL")


def wants_prefect(args: argparse.Namespace) -> bool:
    return bool(args.prefect or os.environ.get("PREFECT_API_URL", "").strip())


PREFECT_STARTUP_HINT = (
    "Prefect's temporary API server did not start in time (a busy machine?): set "
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=120 (default 20), point PREFECT_API_URL "
    "at a running server (`prefect server start`), or run without --prefect"
)


@contextmanager
def prefect_errors() -> Iterator[None]:
    """Prefect failing to start or to answer is one line saying what to set, not a traceback."""
    import httpx

    try:
        yield
    except PaperpulseError:
        raise
    except RuntimeError as exc:
        if "ephemeral Prefect API server" in str(exc):
            raise PaperpulseError(PREFECT_STARTUP_HINT) from None
        if "Failed to reach API" not in str(exc):
            raise
        raise PaperpulseError(_unreachable(exc)) from None
    except httpx.HTTPError as exc:  # our fetches raise FetchError: this is Prefect's API client
        raise PaperpulseError(_unreachable(exc)) from None


def _unreachable(exc: Exception) -> str:
    where = os.environ.get("PREFECT_API_URL", "").strip() or "its temporary server"
    return (
        f"cannot reach the Prefect API at {where} ({type(exc).__name__}); start it "
        "(`prefect server start`) or unset PREFECT_API_URL to run without Prefect"
    )
