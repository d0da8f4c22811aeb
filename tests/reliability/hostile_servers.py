"""Hostile servers on 127.0.0.1: raw sockets, so they can do what no well-behaved framework
would (trickle a status line, headers or an SMTP greeting a byte at a time, hang forever).

Each server runs on a daemon thread and answers every connection with ``script``: a list of
``(bytes, pause)`` steps sent in order, then it closes (or, with ``hang``, holds the
connection open until the test ends). Requests are read and counted, never parsed beyond
their first line.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

Step = tuple[bytes, float]  # bytes to send, then seconds to pause


def trickle(data: bytes, every: float, size: int = 1) -> list[Step]:
    """``data`` in pieces of ``size`` bytes, ``every`` seconds apart."""
    return [(data[i : i + size], every) for i in range(0, len(data), size)]


def http_response(
    body: bytes = b"[]", *, status: str = "200 OK", headers: Sequence[str] = ()
) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@dataclass
class HostileServer:
    script: Callable[[int], Sequence[Step]]  # connection number (1-based) -> steps
    reads_request: bool = True  # HTTP: read the request first; SMTP: the server speaks first
    hang: bool = False
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> HostileServer:
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop.set()
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(
                target=self._answer, args=(conn, self.connections), daemon=True
            ).start()

    def _answer(self, conn: socket.socket, number: int) -> None:
        with conn:
            try:
                if self.reads_request:
                    conn.settimeout(5)
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(4096)
                        if not chunk:
                            return
                        data += chunk
                    self.requests.append(data.split(b"\r\n", 1)[0])
                for piece, pause in self.script(number):
                    if self._stop.is_set():
                        return
                    conn.sendall(piece)
                    if pause:
                        time.sleep(pause)
                while self.hang and not self._stop.wait(0.1):
                    pass
            except OSError:
                return


@contextmanager
def hostile_server(
    script: Callable[[int], Sequence[Step]] | Sequence[Step],
    *,
    reads_request: bool = True,
    hang: bool = False,
) -> Iterator[HostileServer]:
    steps = script
    server = HostileServer(
        script=steps if callable(steps) else (lambda _n: steps),
        reads_request=reads_request,
        hang=hang,
    ).start()
    try:
        yield server
    finally:
        server.close()
