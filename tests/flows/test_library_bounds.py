"""Issue 25: a reader's library, from Zotero or a file, can neither hang, flood nor break a run.

Zotero is a raw hostile server on 127.0.0.1 read through the project's HttpClient (deadline,
size cap, pacing); files are real files (and /dev/zero)."""

from __future__ import annotations

import gzip
import json
import resource
import time
from pathlib import Path

import pytest

from paperpulse.app import foryou
from paperpulse.config.settings import Settings
from paperpulse.digest.library import LibraryError
from tests.reliability.hostile_servers import hostile_server, http_response, trickle
from tests.reliability.record import record

CATEGORY = "Issue 25"


def items(n: int, title: str = "Paper") -> list[dict[str, object]]:
    return [
        {"key": str(i), "data": {"itemType": "preprint", "title": f"{title} {i}"}} for i in range(n)
    ]


def zotero(url: str) -> Settings:
    return Settings(zotero_url=url, http_deadline=1.0)


def test_a_trickled_zotero_body_ends_at_the_deadline() -> None:
    body = json.dumps(items(50)).encode()
    with hostile_server(trickle(http_response(body), 0.05, size=8)) as server:
        began = time.monotonic()
        with pytest.raises(LibraryError) as caught:
            foryou.load_library("zotero:users/1", zotero(server.url))
        took = time.monotonic() - began
    assert "deadline=1 s" in str(caught.value) and "\n" not in str(caught.value)
    assert took < 5, took  # 2 attempts of 1 s; the trickle would last 40 s each
    record(
        category=CATEGORY,
        case="Zotero body trickled 8 bytes every 0.05 s",
        where="For you library zotero:users/1, PAPERPULSE_HTTP_DEADLINE=1",
        outcome="one LibraryError line naming the deadline, under 5 s (2 attempts of 1 s)",
    )


def test_a_zotero_gzip_bomb_is_refused_without_taking_the_memory() -> None:
    bomb = gzip.compress(b"[" + b" " * (256 * 2**20) + b"]", compresslevel=9)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    answer = http_response(bomb, headers=["Content-Encoding: gzip"])
    with hostile_server([(answer, 0)]) as server, pytest.raises(LibraryError) as caught:
        foryou.load_library("zotero:users/1", zotero(server.url))
    grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert "larger than HttpSettings.max_bytes" in str(caught.value)
    assert grew < 128, f"peak memory grew {grew:.0f} MiB"
    record(
        category=CATEGORY,
        case=f"Zotero answer: {len(bomb) // 1024} KB of gzip expanding to 256 MiB",
        where="For you library zotero:users/1",
        outcome="refused at the 8 MiB cap, one line; peak memory grows under 128 MiB",
    )


@pytest.mark.parametrize("total", ["10000", None])
def test_a_short_zotero_page_ends_the_library_whatever_total_results_says(
    total: str | None,
) -> None:
    headers = [f"Total-Results: {total}"] if total else []
    answer = http_response(json.dumps(items(5)).encode(), headers=headers)
    with hostile_server(lambda n: [(answer, 0)]) as server:
        library = foryou.load_library("zotero:users/1", zotero(server.url))
    assert len(library.entries) == 5
    assert server.connections == 1
    record(
        category=CATEGORY,
        case=f"Zotero sends 5 items with Total-Results {total or 'missing'}",
        where="For you library zotero:users/1",
        outcome="one request, 5 entries (was: 100-2,000 requests, or 10,000 entries assumed)",
    )


def test_lone_surrogates_and_controls_in_a_library_are_made_valid_once(tmp_path: Path) -> None:
    path = tmp_path / "library.json"
    path.write_text(
        '[{"title": "Llama \\ud83d herd\\u0007", "abstract": "bad \\udc80 half"}]',
        encoding="utf-8",
    )
    (entry,) = foryou.load_library(str(path)).entries
    assert entry.title == "Llama \ufffd herd" and entry.abstract == "bad \ufffd half"
    entry.title.encode("utf-8")  # what crashed delivery


@pytest.mark.parametrize("kind", ["nested", "dev-zero", "huge"])
def test_library_files_are_bounded_in_depth_and_size(tmp_path: Path, kind: str) -> None:
    if kind == "nested":
        path = tmp_path / "nested.json"
        path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
        expected = "nested too deeply"
    elif kind == "dev-zero":
        if not Path("/dev/zero").exists():
            pytest.skip("no /dev/zero")
        path = tmp_path / "zero.txt"
        path.symlink_to("/dev/zero")
        expected = "larger than 64 MiB"
    else:
        path = tmp_path / "huge.txt"
        with path.open("wb") as handle:
            handle.truncate(65 * 2**20)  # sparse: no disk used
        expected = "larger than 64 MiB"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(LibraryError) as caught:
        foryou.load_library(str(path))
    grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert expected in str(caught.value) and "\n" not in str(caught.value)
    assert grew < 200, grew
    record(
        category=CATEGORY,
        case={
            "nested": "library JSON nested 100,000 deep",
            "dev-zero": "library at /dev/zero",
            "huge": "a 65 MiB library file",
        }[kind],
        where="`paperpulse recommend --library`, For you",
        outcome="one LibraryError line (was: RecursionError traceback / 22 GB RSS)",
    )
