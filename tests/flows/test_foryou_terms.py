"""Term counts kept between runs: a later run (a new process, the same database) tokenises only
the texts no earlier run counted, and ranks exactly as a cold run would."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperpulse.core.models import Paper
from paperpulse.digest import terms
from paperpulse.flows import foryou
from paperpulse.flows.cli import main
from paperpulse.flows.context import repository
from paperpulse.flows.settings import Settings
from tests.digest.foryou_pool import pool
from tests.storage.builders import make_listing, save

DAY = date(2026, 8, 3)
LIBRARY = Path(__file__).resolve().parents[1] / "fixtures" / "library" / "library.bib"


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text tokenised, in order."""
    seen: list[str] = []
    real: Callable[[str], terms.TermCounts] = terms.count_terms

    def counting(text: str) -> terms.TermCounts:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(terms, "count_terms", counting)
    return seen


def store(papers: list[Paper]) -> None:
    repo = repository(Settings.from_env().database_url)
    save(repo, make_listing([replace(p, list_date=DAY) for p in papers], period=DAY.isoformat()))


def recommend(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    foryou._corpus_cache.clear()  # as in a new process: only the database remembers
    code = main(["recommend", "--end", DAY.isoformat(), "--json", "--library", str(LIBRARY)])
    out = capsys.readouterr()
    assert code == 0, out.err
    rows: list[dict[str, object]] = json.loads(out.out)
    return rows


def test_a_later_run_tokenises_only_new_texts_and_ranks_the_same(
    workspace: Path, capsys: pytest.CaptureFixture[str], counted: list[str]
) -> None:
    papers = pool()
    store(papers[:-1])
    first = recommend(capsys)
    assert len(counted) >= len(papers) - 1  # cold: the pool and the library are tokenised
    counted.clear()

    again = recommend(capsys)
    assert counted == []  # warm: nothing new, nothing tokenised
    assert again == first

    store(papers)  # the next day brings one more paper
    counted.clear()
    grown = recommend(capsys)
    assert counted == [f"{papers[-1].title}\n{papers[-1].abstract}"]
    # The same ranking a cold run computes from scratch.
    foryou._corpus_cache.clear()
    repository(Settings.from_env().database_url).prune_term_counts(datetime(9999, 1, 1, tzinfo=UTC))
    assert recommend(capsys) == grown
