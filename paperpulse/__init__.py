"""paperpulse: follow research papers, keep every observation, digest what is new and rising.

What a script needs is importable from here: the flows, the run context and settings, the error
tree, the values and the kinds. Each name loads its module on first use, so ``import paperpulse``
stays cheap and importing a lower layer (``paperpulse.core``) never drags in Prefect or
SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "paperpulse.flows.daily": ("daily",),
    "paperpulse.flows.backfill": ("backfill",),
    "paperpulse.app.context": ("Context",),
    "paperpulse.config.settings": ("Settings", "from_environment"),
    "paperpulse.config.file": ("Config", "load_config"),
    "paperpulse.storage.repository": ("Repository",),
    "paperpulse.core.errors": (
        "PaperpulseError",
        "ConfigError",
        "FetchError",
        "TransientFetchError",
        "ParseError",
        "LayoutChanged",
        "StorageError",
        "DeliveryError",
    ),
    "paperpulse.core.models": (
        "Author",
        "AuthorProfile",
        "Listing",
        "ListingItem",
        "Paper",
        "RunRecord",
        "Sighting",
    ),
    "paperpulse.core.kinds": ("DeliveryStatus", "Edition", "RunStatus", "Source"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'paperpulse' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
