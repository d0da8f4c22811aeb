"""Cron expressions checked by the parser Prefect schedules with, without importing Prefect.

``paperpulse serve`` hands ``[schedule] cron`` to Prefect, which validates it with its vendored
croniter and rejects random/hashed fields (``R``, ``H``). Importing Prefect costs seconds on
every command that loads the config, so that very file is loaded on its own (it imports only
the standard library, pytz and dateutil); should Prefect move it, Prefect's own validator is
used instead. Either way an expression accepted here is one Prefect accepts.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution
from types import ModuleType

_VENDORED = "prefect/_vendor/croniter/croniter.py"
_MODULE = "paperpulse._prefect_croniter"


@cache
def _croniter() -> ModuleType | None:
    try:
        path = distribution("prefect").locate_file(_VENDORED)
    except PackageNotFoundError:
        return None
    spec = importlib.util.spec_from_file_location(_MODULE, str(path))
    if spec is None or spec.loader is None or not path.is_file():  # type: ignore[attr-defined]
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[_MODULE] = module
    spec.loader.exec_module(module)
    return module


def cron_problem(expression: str) -> str | None:
    """Why Prefect would refuse ``expression``, or None if it is a valid cron."""
    if len(expression.split()) != 5:
        return f"cron needs 5 fields (minute hour day month weekday), got {expression!r}"
    if any(field.casefold() in ("r", "h") for field in expression.split()):
        return f"random and hashed fields (R, H) are not supported: {expression!r}"
    module = _croniter()
    if module is None:  # pragma: no cover - Prefect moved its croniter
        from prefect.client.schemas.schedules import CronSchedule
        from pydantic import ValidationError

        try:
            CronSchedule(cron=expression)
        except ValidationError as exc:
            return f"invalid cron {expression!r} ({exc.errors()[0]['msg']})"
        return None
    try:
        module.croniter.expand(expression)
    except module.CroniterError as exc:
        return (
            f"invalid cron {expression!r} ({exc}); fields are minute 0-59, hour 0-23, "
            "day 1-31, month 1-12, weekday 0-6"
        )
    return None
