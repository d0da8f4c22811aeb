"""A headless Debian ``chromium`` driven over the DevTools protocol (tests only).

``--screenshot``/``--dump-dom`` cannot go below a 500 px window, so a phone is emulated the
way DevTools does it (``Emulation.setDeviceMetricsOverride``, mobile on), over the websocket
client Prefect already brings. Nothing is installed: callers skip when ``CHROMIUM`` is absent.
"""

from __future__ import annotations

import base64
import itertools
import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
START_TIMEOUT = 60.0  # seconds; the machine is small and shared


class Page:
    """One tab: load a file at a viewport, evaluate JavaScript, take a full-page screenshot."""

    def __init__(self, ws: ClientConnection, session: str) -> None:
        self._ws = ws
        self._session = session
        self._ids = itertools.count(1000)
        self._events: list[dict[str, Any]] = []  # events that arrived while awaiting a reply

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        return _call(
            self._ws, self._ids, method, params, session=self._session, events=self._events
        )

    def load(self, path: Path, *, width: int, height: int = 844, dark: bool = False) -> None:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        scheme = "dark" if dark else "light"
        self.send(
            "Emulation.setEmulatedMedia",
            features=[{"name": "prefers-color-scheme", "value": scheme}],
        )
        self.send("Page.enable")
        self.send("Page.navigate", url=path.resolve().as_uri())
        _wait_for(self._ws, "Page.loadEventFired", session=self._session, events=self._events)

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, *, max_height: int = 20_000) -> Path:
        width, height = self.evaluate(
            "[document.documentElement.clientWidth, document.documentElement.scrollHeight]"
        )
        clip = {"x": 0, "y": 0, "width": width, "height": min(height, max_height), "scale": 1}
        shot = self.send(
            "Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


@contextmanager
def chromium(profile: Path) -> Iterator[Page]:
    """A fresh browser with its own empty profile; closed (and waited for) on exit."""
    profile.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        endpoint = _endpoint(profile / "DevToolsActivePort", process)
        with connect(endpoint, max_size=None, open_timeout=START_TIMEOUT) as ws:
            ids = itertools.count(1)
            target = _call(ws, ids, "Target.createTarget", {"url": "about:blank"})["targetId"]
            attached = _call(
                ws, ids, "Target.attachToTarget", {"targetId": target, "flatten": True}
            )
            yield Page(ws, attached["sessionId"])
            _call(ws, ids, "Browser.close", {})
    finally:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _endpoint(port_file: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with status {process.returncode} on start")
        lines = port_file.read_text().split() if port_file.exists() else []
        if len(lines) == 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.1)
    raise RuntimeError(f"chromium did not open its DevTools port within {START_TIMEOUT:.0f}s")


def _call(
    ws: ClientConnection,
    ids: Iterator[int],
    method: str,
    params: dict[str, Any],
    *,
    session: str | None = None,
    events: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    call_id = next(ids)
    message: dict[str, Any] = {"id": call_id, "method": method, "params": params}
    if session is not None:
        message["sessionId"] = session
    ws.send(json.dumps(message))
    while True:
        reply = json.loads(ws.recv(timeout=START_TIMEOUT))
        if reply.get("id") == call_id:
            if "error" in reply:
                raise RuntimeError(f"{method}: {reply['error']}")
            result: dict[str, Any] = reply.get("result", {})
            return result
        if events is not None and "method" in reply:
            events.append(reply)


def _wait_for(
    ws: ClientConnection, event: str, *, session: str, events: list[dict[str, Any]]
) -> None:
    def matches(message: dict[str, Any]) -> bool:
        return message.get("method") == event and message.get("sessionId") == session

    if any(matches(m) for m in events):
        events.clear()
        return
    while not matches(json.loads(ws.recv(timeout=START_TIMEOUT))):
        pass
    events.clear()
