"""What a source's fetch function needs from the HTTP client, as structural types.

``scrapers.http.HttpClient`` and its ``Fetched`` satisfy them; a test may pass any object
with the same ``get``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class Response(Protocol):
    # Read-only members, so a frozen dataclass such as ``Fetched`` satisfies the protocol.
    @property
    def url(self) -> str: ...

    @property
    def content(self) -> bytes: ...

    @property
    def redirected(self) -> bool: ...


class Client(Protocol):
    def get(
        self, url: str, *, source: str, params: Mapping[str, str | int] | None = None
    ) -> Response: ...
