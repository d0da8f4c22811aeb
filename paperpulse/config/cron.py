"""Cron expressions checked at config load, by the parser Prefect schedules with.

``paperpulse serve`` hands ``[schedule] cron`` to Prefect, which validates it with croniter and
rejects random/hashed fields (``R``, ``H``). croniter is a declared dependency, so every
command checks the expression without importing Prefect (seconds on every command): an
expression accepted here is one Prefect accepts.
"""

from __future__ import annotations

from croniter import CroniterError, croniter


def cron_problem(expression: str) -> str | None:
    """Why Prefect would refuse ``expression``, or None if it is a valid cron."""
    if len(expression.split()) != 5:
        return f"cron needs 5 fields (minute hour day month weekday), got {expression!r}"
    if any(field.casefold() in ("r", "h") for field in expression.split()):
        return f"random and hashed fields (R, H) are not supported: {expression!r}"
    try:
        croniter.expand(expression)
    except (CroniterError, ValueError) as exc:
        return (
            f"invalid cron {expression!r} ({exc}); fields are minute 0-59, hour 0-23, "
            "day 1-31, month 1-12, weekday 0-6"
        )
    return None
