"""For you where a reader meets it: `paperpulse recommend / like / hide` on a real SQLite
file, the archive's feedback.txt, the digest's section, email to a real SMTP server, and the
Zotero web API (respx)."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import httpx
import pytest
import respx

from paperpulse.app import foryou
from paperpulse.app.deliver import deliver
from paperpulse.cli.main import main
from paperpulse.config.settings import Settings, from_environment
from paperpulse.digest.calendar import period_for
from paperpulse.digest.library import LibraryError
from tests.contexts import context, repository
from tests.delivery.conftest import RunningServer
from tests.digest.foryou_pool import pool
from tests.storage.builders import make_listing, save

DAY = date(2026, 8, 3)  # the builders' listing period
LIBRARY = Path(__file__).resolve().parents[1] / "fixtures" / "library"
TOPIC = '\n[[topics]]\nname = "Robots"\ninclude = ["robot"]\n'


def theme(arxiv_id: str) -> str:
    return arxiv_id[5]  # "1": kv cache, "2": diffusion, "3": robot, "4": speech


@pytest.fixture
def stored(workspace: Path) -> Path:
    """The test pool saved as the day's HF list in the workspace's SQLite file."""
    repo = repository(Settings.from_env().database_url)
    papers = [replace(p, list_date=DAY) for p in pool()]
    save(repo, make_listing(papers, period=DAY.isoformat()))
    return workspace


def recommend(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    code = main(["recommend", "--end", DAY.isoformat(), "--json", *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    rows: list[dict[str, object]] = json.loads(out.out)
    return rows


def test_recommend_ranks_stored_papers_by_a_bibtex_library(
    stored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = recommend(capsys, "--library", str(LIBRARY / "library.bib"), "--top", "5")
    assert len(rows) == 5
    assert {theme(str(r["arxiv_id"])) for r in rows} == {"1"}
    assert set(rows[0]) >= {"arxiv_id", "title", "score", "reason"}
    assert "in your library" in str(rows[0]["reason"])
    assert "KV Cache" in str(rows[0]["reason"]) or "ThinK" in str(rows[0]["reason"])


@pytest.mark.parametrize("name", ["library.ris", "zotero.json"])
def test_recommend_reads_ris_zotero_and_id_lists(
    stored: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    rows = recommend(capsys, "--library", str(LIBRARY / name), "--top", "3")
    assert {theme(str(r["arxiv_id"])) for r in rows} == {"1"}


def test_recommend_reads_a_list_of_ids_and_urls_of_stored_papers(
    stored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = stored / "mine.txt"
    owned = "\n".join(["2408.10001", "https://arxiv.org/abs/2408.10002v1", "2408.10003"])
    ids.write_text(f"# my papers\n{owned}\n", encoding="utf-8")
    rows = recommend(capsys, "--library", str(ids), "--top", "5")
    assert {theme(str(r["arxiv_id"])) for r in rows} == {"1"}
    assert not {"2408.10001", "2408.10002", "2408.10003"} & {r["arxiv_id"] for r in rows}


def test_recommend_prints_a_table_and_warns_of_a_broken_entry(
    stored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["recommend", "--end", "2026-08-03", "--library", str(LIBRARY / "broken.bib")]) == 0
    out = capsys.readouterr()
    [warning] = out.err.splitlines()
    assert warning.startswith("paperpulse: warning: ") and "broken.bib:6:" in warning
    lines = out.out.splitlines()
    assert lines[0].startswith("2 library entries (0 found among stored papers), 40 papers")
    assert lines[1].startswith("  1. 2408.1")  # a KV cache paper first
    assert lines[2].strip().startswith("close to")


@pytest.mark.parametrize(
    ("library", "message"),
    [
        ("all_broken.bib", "the library is empty"),
        ("empty.txt", "the library is empty"),
        ("missing.bib", "library file not found"),
        ("library.docx", "unknown library format '.docx'"),
    ],
)
def test_bad_libraries_are_one_line_errors(
    stored: Path, capsys: pytest.CaptureFixture[str], library: str, message: str
) -> None:
    assert main(["recommend", "--library", str(LIBRARY / library)]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"paperpulse: error: {LIBRARY / library}") and message in err


def test_an_empty_database_says_what_to_fetch(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["recommend", "--library", str(LIBRARY / "ids.txt"), "--end", "2026-08-03"]) == 2
    err = capsys.readouterr().err
    assert "no stored papers listed from 2026-07-05 to 2026-08-03" in err
    assert "paperpulse backfill" in err


def test_like_and_hide_change_the_next_ranking_per_reader(
    stored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = str(LIBRARY / "library.bib")
    before = recommend(capsys, "--library", lib, "--reader", "ada@example.org", "--top", "40")
    top = str(before[0]["arxiv_id"])
    assert main(["hide", top, "--reader", "ada@example.org"]) == 0
    assert capsys.readouterr().out == f"hid {top} for ada@example.org\n"
    after = recommend(capsys, "--library", lib, "--reader", "ada@example.org", "--top", "40")
    assert top not in {r["arxiv_id"] for r in after}
    # Another reader's ranking is their own.
    assert (
        recommend(capsys, "--library", lib, "--reader", "alan@example.org", "--top", "40") == before
    )

    robot_rank = next(i for i, r in enumerate(before) if theme(str(r["arxiv_id"])) == "3")
    assert main(["like", "https://arxiv.org/abs/2408.30001v2", "--reader", "ada@example.org"]) == 0
    capsys.readouterr()
    liked = recommend(capsys, "--library", lib, "--reader", "ada@example.org", "--top", "40")
    assert next(i for i, r in enumerate(liked) if theme(str(r["arxiv_id"])) == "3") < robot_rank


def test_a_bad_id_to_like_is_a_usage_error(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["like", "not-an-id"]) == 2
    assert "give an arXiv id like 2408.01234" in capsys.readouterr().err


def test_the_archives_feedback_file_is_read_by_the_next_ranking(
    stored: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    lib = str(LIBRARY / "library.bib")
    top = str(recommend(capsys, "--library", lib)[0]["arxiv_id"])
    archive = stored / "archive"
    archive.mkdir()
    (archive / "feedback.txt").write_text(
        f"# readers' signals\nhide {top}\nlike 2408.30001 ada@example.org\nhide nonsense\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="paperpulse.foryou"):
        rows = recommend(capsys, "--library", lib)
    assert top not in {r["arxiv_id"] for r in rows}
    assert any("feedback.txt:4: not an arXiv id" in r.message for r in caplog.records)
    repo = repository(Settings.from_env().database_url)
    assert repo.feedback("ada@example.org") == {"2408.30001": "like"}
    # Read again by every run, the same file changes nothing.
    assert foryou.import_feedback_file(repo, archive, "archive", datetime.now(UTC)) == 0


def test_the_digest_has_for_you_before_the_topics_only_with_a_library(
    stored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = stored / "paperpulse.toml"
    config.write_text(TOPIC, encoding="utf-8")
    assert main(["digest", "--date", DAY.isoformat()]) == 0
    assert "For you" not in capsys.readouterr().out

    config.write_text(
        TOPIC + f'\n[archive]\nlibrary = "{LIBRARY / "library.bib"}"\n', encoding="utf-8"
    )
    assert main(["digest", "--date", DAY.isoformat()]) == 0
    text = capsys.readouterr().out
    assert text.index("## For you") < text.index("## Robots")
    section = text[text.index("## For you") : text.index("## Robots")]
    shown = re.findall(r"huggingface\.co/papers/(2408\.\d+)", section)
    assert shown and {theme(i) for i in shown} == {"1"}  # KV cache papers only
    assert "in your library" in section and "ThinK" in section
    assert "feedback.txt" in section


def test_each_readers_email_has_their_own_for_you(
    stored: Path, smtp: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERPULSE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PAPERPULSE_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("PAPERPULSE_SMTP_SECURITY", "none")
    (stored / "paperpulse.toml").write_text(
        TOPIC
        + "\n[archive]\ngit = false\n"
        + '\n[[email.recipients]]\naddress = "ada@example.org"\n'
        + f'library = "{LIBRARY / "library.ris"}"\n'
        + '\n[[email.recipients]]\naddress = "alan@example.org"\n',
        encoding="utf-8",
    )
    outcomes = deliver(context(*from_environment()), period_for("daily", DAY))
    assert [o.status for o in outcomes] == ["sent", "sent", "sent"]
    received: dict[str, Message] = {
        e.rcpt_tos[0]: message_from_bytes(e.original_content or b"") for e in smtp.handler.received
    }

    def text_of(message: Message) -> str:
        part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode("utf-8")

    ada, alan = text_of(received["ada@example.org"]), text_of(received["alan@example.org"])
    assert "For you" in ada and "in your library" in ada
    assert "--reader ada@example.org" in ada
    assert "For you" not in alan


# --- Zotero web API ------------------------------------------------------------------------

ZOTERO = "https://zotero.test"
ITEMS = [
    {
        "key": "A",
        "data": {"itemType": "preprint", "title": "ThinK", "archiveID": "arXiv:2407.21018"},
    },
    {"key": "B", "data": {"itemType": "attachment", "title": "Full Text PDF"}},
    {"key": "C", "data": {"itemType": "journalArticle", "title": "Key value cache eviction"}},
]


@respx.mock
def test_zotero_reads_every_page_with_the_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(foryou, "ZOTERO_PAGE", 2)
    route = respx.get(f"{ZOTERO}/users/123/items/top").mock(
        side_effect=[
            httpx.Response(200, json=ITEMS[:2], headers={"Total-Results": "3"}),
            httpx.Response(200, json=ITEMS[2:], headers={"Total-Results": "3"}),
        ]
    )
    env = {"ZOTERO_API_KEY": "s3cret", "PAPERPULSE_ZOTERO_URL": ZOTERO}
    library = foryou.load_library("zotero:users/123", Settings.from_env(env))
    assert [(e.title, e.arxiv_id) for e in library.entries] == [
        ("ThinK", "2407.21018"),
        ("Key value cache eviction", None),
    ]
    assert route.call_count == 2
    first, second = (call.request for call in route.calls)
    assert first.headers["Zotero-API-Key"] == "s3cret"
    assert first.url.params["start"] == "0" and second.url.params["start"] == "2"


@respx.mock
@pytest.mark.parametrize(
    ("env", "response", "message"),
    [
        ({}, httpx.Response(403), "Zotero refused access (403); set ZOTERO_API_KEY"),
        ({"ZOTERO_API_KEY": "s3cret-key"}, httpx.Response(403), "(403); check ZOTERO_API_KEY"),
        ({}, httpx.Response(503), "Zotero answered 503; try again later"),
        ({}, httpx.ConnectError("refused"), "cannot reach https://zotero.test (ConnectError)"),
        ({}, httpx.Response(200, json=[]), "the library is empty"),
    ],
)
def test_zotero_failures_are_one_line_and_never_show_the_key(
    env: dict[str, str], response: httpx.Response | Exception, message: str
) -> None:
    respx.get(f"{ZOTERO}/groups/42/items/top").mock(
        side_effect=[response] if isinstance(response, Exception) else None,
        return_value=None if isinstance(response, Exception) else response,
    )
    with pytest.raises(LibraryError) as caught:
        foryou.load_library(
            "zotero:groups/42", Settings.from_env({**env, "PAPERPULSE_ZOTERO_URL": ZOTERO})
        )
    text = str(caught.value)
    assert text.startswith("zotero:groups/42: ") and message in text
    assert "\n" not in text and "s3cret-key" not in text


def test_a_malformed_zotero_spec_says_what_to_write() -> None:
    with pytest.raises(LibraryError, match="expected zotero:users/<user id>"):
        foryou.load_library("zotero:me")


def test_library_ids_stored_before_the_pool_count_by_their_text(
    stored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = repository(Settings.from_env().database_url)
    old = replace(pool()[25], arxiv_id="2301.00001", list_date=date(2023, 1, 2))  # a robot paper
    save(repo, make_listing([old], period="2023-01-02"))
    ids = stored / "old.txt"
    ids.write_text("2301.00001\n", encoding="utf-8")
    rows = recommend(capsys, "--library", str(ids), "--top", "5")
    assert {theme(str(r["arxiv_id"])) for r in rows} == {"3"}
