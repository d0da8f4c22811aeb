"""`paperpulse web` as a user starts it: a real process serving on 127.0.0.1 from the
environment's database; a bad config is one line, not a trace."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from paperpulse.config.file import WebConfig
from tests.delivery.conftest import free_port


def test_paperpulse_web_serves_from_the_environments_database(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PAPERPULSE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "PAPERPULSE_CONFIG": str(tmp_path / "paperpulse.toml"),
    }
    (tmp_path / "paperpulse.toml").write_text(
        '[[topics]]\nname = "Robots"\ninclude = ["robot"]\n', encoding="utf-8"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "paperpulse.cli.main", "web", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                home = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "paperpulse web did not answer"
                time.sleep(0.2)
        assert home.status_code == 200
        assert 'href="/topic/Robots"' in home.text and "No papers stored yet" in home.text
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert (tmp_path / "db.sqlite").exists()


def test_a_bad_config_stops_it_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "paperpulse.toml").write_text('[web]\nbase_url = "papers.example.org"\n')
    done = subprocess.run(
        [sys.executable, "-m", "paperpulse.cli.main", "web"],
        env={**os.environ, "PAPERPULSE_CONFIG": str(tmp_path / "paperpulse.toml")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "web.base_url: must be an http(s) URL" in done.stderr


def test_base_url_is_an_http_url_without_trailing_slash() -> None:
    assert (
        WebConfig(base_url="https://papers.example.org/").base_url == "https://papers.example.org"
    )
    with pytest.raises(ValidationError):
        WebConfig(base_url="javascript:alert(1)")
