"""Term counts kept between runs: a later run (a new process, the same database) tokenises only
the texts no earlier run counted, and ranks exactly as a cold run would."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperpulse.app.context import Context
from paperpulse.cli.main import main
from paperpulse.config.settings import Settings
from paperpulse.core.models import Paper
from paperpulse.digest import terms
from tests.contexts import repository
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
    repository(Settings.from_env().database_url).prune_term_counts(datetime(9999, 1, 1, tzinfo=UTC))
    assert recommend(capsys) == grown


def test_one_run_weighs_the_pool_and_pulls_the_archive_once_for_every_reader(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperpulse.app import foryou
    from paperpulse.digest import foryou as model

    lines = [f'[archive]\nlibrary = "{LIBRARY}"\n']
    lines += [
        f'[[email.recipients]]\naddress = "r{n}@example.org"\nlibrary = "{LIBRARY}"\n'
        for n in range(3)
    ]
    (workspace / "paperpulse.toml").write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setenv("PAPERPULSE_OUTBOX_DIR", str(workspace / "outbox"))
    store(pool())
    pools: list[int] = []
    pulls: list[Path] = []
    real_init, real_pull = model.Corpus.__init__, foryou.pull_archive

    def corpus(self: model.Corpus, *args: object, **kwargs: object) -> None:
        pools.append(1)
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]

    def pull(ctx: Context) -> None:
        pulls.append(ctx.settings.archive_dir)
        real_pull(ctx)

    monkeypatch.setattr(model.Corpus, "__init__", corpus)
    monkeypatch.setattr(foryou, "pull_archive", pull)
    assert main(["deliver", "--date", DAY.isoformat()]) == 0
    assert len(list((workspace / "outbox").rglob("*.eml"))) == 3
    assert (len(pools), len(pulls)) == (1, 1)  # the archive and three readers: one of each
