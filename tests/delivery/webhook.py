"""A real HTTP endpoint on 127.0.0.1 that records what chat channels post to it (tests only).

Apprise's ``json://user:password@127.0.0.1:PORT/path`` posts ``{"title", "message", ...}`` here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Webhook:
    port: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200  # what the endpoint answers; 500 plays a failing service

    def url(self, secret: str = "hunter2-token-0123456789") -> str:
        return f"json://bot:{secret}@127.0.0.1:{self.port}/hooks/{secret}"


@contextmanager
def webhook() -> Iterator[Webhook]:
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            hook.received.append(
                {"path": self.path, "auth": self.headers.get("Authorization"), **body}
            )
            self.send_response(hook.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
