"""The daily plan: heal holes after the first complete day, refresh recent ones, nothing more."""

from __future__ import annotations

from datetime import date

from paperpulse.app.jobs import backfill_plan, daily_plan, hf_daily_jobs
from paperpulse.config.file import AuthorConfig, Config, SourcesConfig, TopicConfig
from paperpulse.core.kinds import Source

DAY = date(2024, 8, 9)


def plan(done: set[str], heal: int = 14, refresh: int = 2) -> dict[str, str]:
    jobs = hf_daily_jobs(DAY, done=done, heal_days=heal, refresh_days=refresh)
    assert all(isinstance(j.period, date) for j in jobs)  # a day job carries its date
    return {j.ledger_period: j.reason for j in jobs}


def test_a_fresh_install_fetches_only_the_day() -> None:
    assert plan(set()) == {"2024-08-09": "scheduled"}


def test_a_gap_after_the_last_complete_day_is_healed_and_recent_days_refreshed() -> None:
    assert plan({"2024-08-05"}, refresh=6) == {
        "2024-08-09": "scheduled",
        "2024-08-08": "heal",
        "2024-08-07": "heal",
        "2024-08-06": "heal",
        "2024-08-05": "refresh",
    }


def test_a_hole_between_complete_days_is_healed_too() -> None:
    assert plan({"2024-08-05", "2024-08-07", "2024-08-08"}) == {
        "2024-08-09": "scheduled",
        "2024-08-08": "refresh",
        "2024-08-07": "refresh",
        "2024-08-06": "heal",
    }


def test_healing_is_bounded() -> None:
    reasons = plan({"2024-07-01"}, heal=3)
    assert reasons == {"2024-08-09": "scheduled"}  # the last complete day is out of reach


def test_the_config_adds_sources_once_each() -> None:
    config = Config(
        sources=SourcesConfig(
            hf_trending=True, hf_weekly=True, arxiv_categories=("cs.CL",), semantic_scholar=True
        ),
        topics=(TopicConfig(name="A", hf_queries=("kv cache", "KV  Cache")),),
        authors=(AuthorConfig(name="Hanze Dong"),),
    )
    jobs = daily_plan(config, DAY, hf_daily_done=set())
    assert [(j.source, j.ledger_period) for j in jobs] == [
        ("hf-daily", "2024-08-09"),
        ("hf-week", "2024-W32"),
        ("hf-trending", "2024-08-09"),
        ("hf-search", "kv cache"),
        ("arxiv-listing", "cs.CL"),
        ("arxiv-author", "Hanze Dong"),
        ("s2-profile", "Hanze Dong"),
    ]


def test_backfill_skips_complete_days_unless_forced() -> None:
    done = {("hf-daily", "2024-08-01")}
    days = (date(2024, 8, 1), date(2024, 8, 3))
    jobs = backfill_plan(*days, sources=[Source.HF_DAILY], done=done)
    assert [j.period for j in jobs] == [date(2024, 8, 2), date(2024, 8, 3)]
    forced = backfill_plan(*days, sources=[Source.HF_DAILY], done=done, force=True)
    assert len(forced) == 3
