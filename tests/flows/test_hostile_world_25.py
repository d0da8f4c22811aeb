"""Issue 25: every wait bounded, met the way a user meets it (the ``paperpulse`` CLI in a real
process, raw hostile servers on 127.0.0.1, real SQLite). Each failed on the code before."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from tests.flows.test_cli_end_to_end import ROOT, one_line_error, paperpulse
from tests.reliability.hostile_servers import hostile_server, http_response, trickle
from tests.reliability.record import record
from tests.user_cli import store_days

CATEGORY = "Issue 25"
DAY = "2024-08-01"


def run_rows(workspace: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(workspace / "db.sqlite") as db:
        return list(db.execute("SELECT status, error FROM runs ORDER BY id"))


def test_a_ratelimit_block_of_a_day_ends_the_run_at_once_saying_when(workspace: Path) -> None:
    answer = http_response(
        b"[]",
        status="429 Too Many Requests",
        headers=['RateLimit: "api";r=0;t=86400', 'RateLimit-Policy: "fixed";q=500;w=300'],
    )
    with hostile_server([(answer, 0)]) as server:
        env = {"PAPERPULSE_HF_URL": server.url, "PAPERPULSE_HF_MIN_INTERVAL": "0"}
        began = time.monotonic()
        result = paperpulse("run", "--date", DAY, env=env)
        took = time.monotonic() - began
    assert result.returncode == 1, result.stderr
    line = one_line_error(result)
    assert "86400 s" in line and "retry after 20" in line, line
    rows = run_rows(workspace)
    assert rows and all(status == "failed" for status, _ in rows), rows
    assert took < 30, took
    record(
        category=CATEGORY,
        case='`RateLimit: "api";r=0;t=86400` with 429 (was: the run blocked for the whole `t`)',
        where="`paperpulse run`, hf-daily API",
        outcome="ends at once (under 30 s with start-up): one line saying when to retry, "
        "exit 1, run row `failed`",
    )


def test_headers_trickled_forever_end_at_the_run_deadline(workspace: Path) -> None:
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Slow-%d: 1\r\n" % i for i in range(10_000))
    with hostile_server(trickle(head, 0.2, size=12)) as server:
        env = {
            "PAPERPULSE_HF_URL": server.url,
            "PAPERPULSE_HF_MIN_INTERVAL": "0",
            "PAPERPULSE_HTTP_DEADLINE": "60",
            "PAPERPULSE_RUN_DEADLINE": "3",
        }
        began = time.monotonic()
        result = paperpulse("run", "--date", DAY, env=env)
        took = time.monotonic() - began
    assert result.returncode == 1, result.stderr
    line = one_line_error(result)
    assert "PAPERPULSE_RUN_DEADLINE=3 s" in line, line
    rows = run_rows(workspace)
    assert rows and all(status == "failed" for status, _ in rows), rows
    assert took < 20, took  # start-up included; the server would trickle for 30 minutes
    record(
        category=CATEGORY,
        case="response headers trickled a line every 0.2 s for 30 minutes",
        where="`paperpulse run`, PAPERPULSE_HTTP_DEADLINE=60, PAPERPULSE_RUN_DEADLINE=3",
        outcome="stops at the run deadline (under 20 s with start-up): one line naming it, "
        "exit 1, run row `failed`",
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_a_run_stuck_in_a_worker_within_ten_seconds(
    workspace: Path, sig: signal.Signals
) -> None:
    with hostile_server([(b"HTTP/1.1 200 OK\r\n", 0)], hang=True) as server:
        env = {
            **os.environ,
            "PAPERPULSE_HF_URL": server.url,
            "PAPERPULSE_HF_MIN_INTERVAL": "0",
            "PAPERPULSE_HTTP_DEADLINE": "600",
        }
        env.pop("PREFECT_API_URL", None)
        process = subprocess.Popen(
            [sys.executable, "-m", "paperpulse.cli.main", "run", "--date", DAY],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while server.connections == 0 and time.monotonic() < deadline:
            time.sleep(0.1)  # the worker thread is now stuck reading the headers
        assert server.connections, "the run never reached the server"
        time.sleep(0.5)
        sent = time.monotonic()
        process.send_signal(sig)
        _out, err = process.communicate(timeout=30)
        took = time.monotonic() - sent
    assert took < 10, took
    assert process.returncode == 128 + sig, (process.returncode, err)
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("paperpulse: ")]
    assert len(lines) == 1 and f"stopped by {sig.name}" in lines[0], err
    rows = run_rows(workspace)
    assert rows and all(status == "failed" for status, _ in rows), rows
    assert all(sig.name in (error or "") for _, error in rows), rows
    record(
        category=CATEGORY,
        case=f"{sig.name} while a worker thread is stuck reading response headers",
        where="`paperpulse run`, hf-daily API, PAPERPULSE_HTTP_DEADLINE=600",
        outcome=f"exits within 10 s with {128 + sig}: one line, run row `failed` naming "
        f"{sig.name}, no traceback",
    )


def test_absurd_deadlines_and_ports_are_refused_in_one_line(workspace: Path) -> None:
    for name, value in (
        ("PAPERPULSE_HTTP_DEADLINE", "inf"),
        ("PAPERPULSE_HTTP_DEADLINE", "nan"),
        ("PAPERPULSE_RUN_DEADLINE", "-5"),
    ):
        result = paperpulse("run", "--date", DAY, env={name: value})
        assert result.returncode == 2 and name in one_line_error(result), result.stderr
    result = paperpulse(
        "deliver",
        "--date",
        DAY,
        env={"PAPERPULSE_SMTP_HOST": "127.0.0.1", "PAPERPULSE_SMTP_PORT": "99999"},
    )
    assert result.returncode == 2 and "1 to 65535" in one_line_error(result), result.stderr
    record(
        category=CATEGORY,
        case="PAPERPULSE_HTTP_DEADLINE=inf/nan, PAPERPULSE_RUN_DEADLINE=-5, SMTP port 99999",
        where="`paperpulse run`, `paperpulse deliver`",
        outcome="refused in one line naming the variable, exit 2",
        trials=4,
    )


def test_absurd_upvotes_are_clamped_and_flagged_and_the_day_is_kept(workspace: Path) -> None:
    import copy
    import json

    from tests.conftest import FIXTURES

    (template,) = json.loads((FIXTURES / "hf" / "daily_2024.json").read_text(encoding="utf-8"))
    day = []
    for number, upvotes in enumerate((10**30, -5000, 12), start=1):
        item = copy.deepcopy(template)
        item["paper"]["id"] = f"2408.0000{number}"
        item["paper"]["upvotes"] = upvotes
        day.append(item)
    with hostile_server(lambda n: [(http_response(json.dumps(day).encode()), 0)]) as server:
        env = {"PAPERPULSE_HF_URL": server.url, "PAPERPULSE_HF_MIN_INTERVAL": "0"}
        result = paperpulse("run", "--date", DAY, "--no-email", env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "2408.00001" in result.stderr and "upvotes 1e+30 is absurd" in result.stderr
    assert "2408.00002" in result.stderr and "upvotes -5000 is negative" in result.stderr
    assert "/api/daily_papers" in result.stderr  # the URL it came from
    assert "3 papers fetched" in result.stdout
    with sqlite3.connect(workspace / "db.sqlite") as db:
        votes = dict(db.execute("SELECT arxiv_id, upvotes FROM sightings"))
    assert votes == {"2408.00001": 10**9, "2408.00002": None, "2408.00003": 12}
    record(
        category=CATEGORY,
        case="one item with upvotes 10^30, another with -5000",
        where="`paperpulse run`, hf-daily API → SQLite, archive",
        outcome="clamped to 10^9 / ignored, each a warning naming the paper and URL; the day "
        "is stored (was: OverflowError, day lost; '▲ -5000' shown)",
    )


def hf_day(count: int) -> bytes:
    import copy
    import json

    from tests.conftest import FIXTURES

    (template,) = json.loads((FIXTURES / "hf" / "daily_2024.json").read_text(encoding="utf-8"))
    items = []
    for number in range(1, count + 1):
        item = copy.deepcopy(template)
        item["paper"]["id"] = f"2408.{number:05d}"
        items.append(item)
    return json.dumps(items).encode()


def test_a_listing_that_jumps_from_11_to_90_papers_is_warned_about(workspace: Path) -> None:
    bodies = {"now": hf_day(11)}
    with hostile_server(lambda n: [(http_response(bodies["now"]), 0)]) as server:
        env = {"PAPERPULSE_HF_URL": server.url, "PAPERPULSE_HF_MIN_INTERVAL": "0"}
        first = paperpulse("run", "--date", DAY, "--no-email", env=env)
        assert first.returncode == 0, first.stderr
        assert "previous run" not in first.stderr
        bodies["now"] = hf_day(90)
        second = paperpulse("run", "--date", DAY, "--no-email", env=env)
    assert second.returncode == 0, second.stderr
    assert "parsed 90 items where the previous run of this listing had 11" in second.stderr
    record(
        category=CATEGORY,
        case="a day's listing jumps from 11 to 90 papers between runs",
        where="`paperpulse run` twice, hf-daily API",
        outcome="kept, with a warning naming both counts, the URL and the parse command",
    )


def test_a_database_at_an_unknown_newer_revision_is_one_line(workspace: Path) -> None:
    with hostile_server(lambda n: [(http_response(hf_day(2)), 0)]) as server:
        env = {"PAPERPULSE_HF_URL": server.url, "PAPERPULSE_HF_MIN_INTERVAL": "0"}
        assert paperpulse("run", "--date", DAY, "--no-email", env=env).returncode == 0
    with sqlite3.connect(workspace / "db.sqlite") as db:
        db.execute("UPDATE alembic_version SET version_num = 'f00dfeedbeef'")
    result = paperpulse("digest", "--date", DAY, env={})
    assert result.returncode == 1, result.stderr
    line = one_line_error(result)
    assert "schema revision this paperpulse does not know" in line and "f00dfeedbeef" in line
    record(
        category=CATEGORY,
        case="the database is at a schema revision from a newer paperpulse",
        where="`paperpulse digest`, real SQLite",
        outcome="one line saying so and what to do, exit 1 (was an 89-line Alembic traceback)",
    )


def test_an_absurd_backfill_range_is_refused_at_once(workspace: Path) -> None:
    began = time.monotonic()
    result = paperpulse("backfill", "--start", "0001-01-01", "--end", "9999-12-31", env={})
    took = time.monotonic() - began
    assert result.returncode == 2 and "3,652,059 days" in one_line_error(result), result.stderr
    assert took < 15, took
    record(
        category=CATEGORY,
        case="`backfill --start 0001-01-01 --end 9999-12-31`",
        where="`paperpulse backfill`",
        outcome="refused in one line naming the span and the limit, exit 2 (was '0/?' for a "
        "minute)",
    )


def test_colliding_outbox_names_and_case_variant_recipients(workspace: Path) -> None:
    readers = ("a!b@example.org", "a#b@example.org", "dup@example.org", "DUP@Example.org")
    (workspace / "paperpulse.toml").write_text(
        "".join(f'[[email.recipients]]\naddress = "{a}"\n' for a in readers), encoding="utf-8"
    )
    outbox = workspace / "outbox"
    store_days(workspace, date.fromisoformat(DAY))
    result = paperpulse("deliver", "--date", DAY, env={"PAPERPULSE_OUTBOX_DIR": str(outbox)})
    assert result.returncode == 0, result.stderr
    assert "DUP@Example.org is dup@example.org again" in result.stderr
    files = sorted(p.name for p in outbox.rglob("*.eml"))
    assert len(files) == 3, files  # a!b and a#b apart; dup once
    record(
        category=CATEGORY,
        case="recipients a!b@ and a#b@ (one outbox name), dup@ beside DUP@Example.org",
        where="`paperpulse deliver`, outbox",
        outcome="3 files: colliding names kept apart by a hash; the case variant is one "
        "reader, with a warning (was: one email lost, one sent twice)",
    )


def test_unknown_readers_are_refused_and_feedback_for_them_warned(workspace: Path) -> None:
    (workspace / "paperpulse.toml").write_text(
        '[[email.recipients]]\naddress = "ada@example.org"\n', encoding="utf-8"
    )
    for reader in ("nobody@example.org", "ada@example.org\nhide 2408.00001"):
        result = paperpulse("like", "2408.00001", "--reader", reader, env={})
        assert result.returncode == 2 and "unknown reader" in one_line_error(result)
    known = paperpulse("hide", "2408.00001", "--reader", "Ada@Example.ORG", env={})
    assert known.returncode == 0 and "for ada@example.org" in known.stdout, known.stderr
    with sqlite3.connect(workspace / "db.sqlite") as db:
        assert list(db.execute("SELECT DISTINCT reader FROM feedback")) == [("ada@example.org",)]
    record(
        category=CATEGORY,
        case="`like --reader` an unknown reader, a reader with a newline; `hide` in another case",
        where="`paperpulse like/hide`",
        outcome="unknown ones refused in one line, exit 2; the case variant lands on the "
        "configured reader",
        trials=3,
    )


def test_operator_messages_say_what_to_do_once(workspace: Path, tmp_path: Path) -> None:
    xml = tmp_path / "arxiv.xml"
    xml.write_text(
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        "<id>http://arxiv.org/abs/2408.00001v1</id></entry></feed>",
        encoding="utf-8",
    )
    parsed = paperpulse("parse", "hf-daily", str(xml), env={})
    line = one_line_error(parsed)
    assert parsed.returncode == 1 and "paperpulse parse" not in line, line
    assert f"is {xml} a saved hf-daily page" in line
    config = workspace / "paperpulse.toml"
    config.write_text('[[topics]]\nname = "R"\ninclude = "reasoning"\n', encoding="utf-8")
    one = paperpulse("digest", "--date", DAY, env={})
    assert 'write include = ["reasoning"]' in one_line_error(one), one.stderr
    terms = ", ".join(f'"t{i}"' for i in range(300_000))
    config.write_text(f'[[topics]]\nname = "R"\ninclude = [{terms}]\n', encoding="utf-8")
    began = time.monotonic()
    many = paperpulse("digest", "--date", DAY, env={})
    assert many.returncode == 2 and "at most 1,000 entries" in one_line_error(many)
    assert time.monotonic() - began < 30
    record(
        category=CATEGORY,
        case='`parse hf-daily` on arXiv XML; `include = "reasoning"`; 300,000 include terms',
        where="`paperpulse parse`, config load",
        outcome="one line each saying what to do (no self-referring hint, no 'valid tuple'); "
        "the 300,000 terms refused at load",
        trials=3,
    )


def test_feed_ids_are_those_the_first_archives_wrote(workspace: Path) -> None:
    """After an upgrade a feed keeps its ``<id>``: a reader seeing it change shows every entry
    again as new. The ids are what the commit before fd5ef72 wrote (``_slug`` of the title)."""
    import xml.etree.ElementTree as ET

    from paperpulse.digest.feed import feed_id

    (workspace / "paperpulse.toml").write_text(
        '[[topics]]\nname = "Language models"\ninclude = ["language model"]\n',
        encoding="utf-8",
    )
    result = paperpulse("deliver", "--date", DAY, env={})
    assert result.returncode == 0, result.stderr
    atom = "{http://www.w3.org/2005/Atom}id"
    archive = workspace / "archive"
    assert ET.parse(archive / "feed.xml").getroot().findtext(atom) == feed_id("paperpulse")
    topic = ET.parse(archive / "feeds" / "language-models.xml").getroot().findtext(atom)
    assert topic == feed_id("paperpulse-language-models")
    record(
        category=CATEGORY,
        case="upgrade from an older commit: feed `<id>`s",
        where="`paperpulse deliver`, feed.xml and feeds/<topic>.xml",
        outcome="the ids the first archives wrote (feed/paperpulse, feed/paperpulse-<topic>); "
        "paper entry ids unchanged (arxiv/<id>)",
    )
