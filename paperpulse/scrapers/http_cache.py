"""Validator caches for conditional GET: remember ETag / Last-Modified and the body they name.

A cache maps a URL to the last 200 response that carried a validator. The client sends the
validators back (If-None-Match / If-Modified-Since) and, on 304, serves the cached body.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedResponse:
    url: str
    content: bytes
    etag: str | None = None
    last_modified: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # content-type etc. for decoding

    def conditional_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class ValidatorCache(Protocol):
    def get(self, url: str) -> CachedResponse | None: ...

    def put(self, entry: CachedResponse) -> None: ...


class MemoryValidatorCache:
    """A dict behind a lock: for tests and for one process's lifetime."""

    def __init__(self) -> None:
        self._entries: dict[str, CachedResponse] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> CachedResponse | None:
        with self._lock:
            return self._entries.get(url)

    def put(self, entry: CachedResponse) -> None:
        with self._lock:
            self._entries[entry.url] = entry

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class FileValidatorCache:
    """One file per URL in ``directory``: a JSON header line, then the raw body.

    Writes go to a temporary file renamed into place, so a crash or a concurrent reader never
    sees half an entry. An unreadable entry is a cache miss, never an error.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def _path(self, url: str) -> Path:
        return self.directory / (hashlib.sha256(url.encode()).hexdigest() + ".entry")

    def get(self, url: str) -> CachedResponse | None:
        try:
            raw = self._path(url).read_bytes()
            meta_line, _, content = raw.partition(b"\n")
            meta = json.loads(meta_line)
            if not isinstance(meta, dict) or meta.get("url") != url:
                return None
            return CachedResponse(
                url=url,
                content=content,
                etag=meta.get("etag"),
                last_modified=meta.get("last_modified"),
                headers=dict(meta.get("headers") or {}),
            )
        except (OSError, ValueError, TypeError):
            return None

    def put(self, entry: CachedResponse) -> None:
        meta = {
            "url": entry.url,
            "etag": entry.etag,
            "last_modified": entry.last_modified,
            "headers": dict(entry.headers),
        }
        # json.dumps escapes newlines inside strings, so the first b"\n" ends the header.
        payload = json.dumps(meta).encode() + b"\n" + entry.content
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(tmp, self._path(entry.url))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
