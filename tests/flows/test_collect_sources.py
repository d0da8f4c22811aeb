"""Every job kind the daily plan can contain, collected into a real SQLite ledger.

The sites are respx routes serving our fixtures; the client, parsers, storage and ledger are real.
"""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
import respx

from paperpulse.app.collect import collect
from paperpulse.app.context import Context
from paperpulse.app.jobs import Job
from paperpulse.config.file import AuthorConfig, Config
from paperpulse.config.settings import Settings
from paperpulse.core.kinds import RunStatus, Source

NOW = datetime(2026, 11, 20, 6, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HF, ARXIV, API, S2 = (
    "https://hf.test",
    "https://arxiv.test",
    "http://export.arxiv.test",
    "https://s2.test",
)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        archive_dir=tmp_path / "archive",
        hf_url=HF,
        arxiv_url=ARXIV,
        arxiv_api_url=API,
        semantic_scholar_url=S2,
        hf_min_interval=0.0,
    )


@pytest.fixture
def sites() -> respx.MockRouter:
    with respx.mock(assert_all_called=False) as router:
        items = fixture("hf/daily_2026.json")
        router.get(f"{HF}/api/daily_papers").mock(return_value=httpx.Response(200, content=items))
        router.get(f"{HF}/api/papers/search").mock(return_value=httpx.Response(200, content=items))
        router.get(url__startswith=f"{ARXIV}/list/").mock(
            return_value=httpx.Response(200, content=fixture("arxiv/list_new_small.html"))
        )
        router.get(url__startswith=f"{API}/api/query").mock(
            return_value=httpx.Response(200, content=fixture("arxiv/api_query_small.xml"))
        )
        router.get(f"{S2}/graph/v1/author/search").mock(
            return_value=httpx.Response(200, content=fixture("s2/author_search.json"))
        )
        router.get(host="s2.test", path__regex=r"^/graph/v1/author/\d+$").mock(
            return_value=httpx.Response(200, content=fixture("s2/author.json"))
        )
        router.get(host="s2.test", path__regex=r"^/graph/v1/author/\d+/papers$").mock(
            return_value=httpx.Response(200, content=fixture("s2/author_papers.json"))
        )
        yield router


@pytest.mark.parametrize(
    ("job", "fetched"),
    [
        (Job(source=Source.HF_DAILY, period=date(2026, 11, 20)), 2),
        (Job(source=Source.HF_WEEK, period="2026-W47"), 2),
        (Job(source=Source.HF_TRENDING, period="2026-11-20"), 2),
        (
            Job(
                source=Source.HF_SEARCH,
                period="speculative decoding",
                target="speculative decoding",
            ),
            2,
        ),
        (Job(source=Source.ARXIV_LISTING, period="cs.CL", target="cs.CL"), None),
        (Job(source=Source.ARXIV_AUTHOR, period="Jane Doe", target="Jane Doe"), None),
        (Job(source=Source.S2_PROFILE, period="Hanze Dong", target="Hanze Dong"), 1),
    ],
    ids=lambda v: v.source if isinstance(v, Job) else None,
)
def test_each_job_kind_lands_in_the_ledger(
    settings: Settings, sites: respx.MockRouter, job: Job, fetched: int | None
) -> None:
    config = Config(authors=(AuthorConfig(name="Hanze Dong"),))
    with closing(Context.open(settings, config)) as ctx:
        outcome = collect(ctx, job, now=NOW)
    assert outcome.status is RunStatus.COMPLETE, outcome
    if fetched is not None:
        assert outcome.fetched == fetched
    repo = ctx.repository
    (run,) = repo.runs(job.source, job.ledger_period)
    assert (run.status, run.fetched) == (RunStatus.COMPLETE, outcome.fetched)
    if job.source == "s2-profile":
        ((_, profile),) = repo.author_profiles("Hanze Dong", until=NOW)
        assert profile.name == "Hanze Dong" and profile.h_index is not None
    else:
        items = repo.listing_items(run.id)
        assert len(items) == outcome.fetched and all(
            s.period == job.ledger_period for _, s in items
        )
    if job.source == "arxiv-author":  # only papers really by the followed name
        assert all(any(a.name == "Jane Doe" for a in p.authors) for p, _ in items)
