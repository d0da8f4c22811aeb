"""One competitor of the backfill and orchestration benchmarks, in a process of its own.

    python -m bench.worker '{"task": "plain-backfill", "start": "2024-05-27", ...}'

Run by ``bench.backfill`` and ``bench.orchestration`` (never by hand): a fresh process per
competitor per round, so peak RSS (``getrusage``) and first-run costs (imports, Prefect's
ephemeral server) belong to that competitor alone. Settings come from the environment the
parent sets (``PAPERPULSE_*``, ``PREFECT_*``); the result is one JSON line on stdout.

Tasks:
- ``naive-backfill``: sequential httpx GET -> ``hf_daily.parse_api`` -> ``bench.naive``;
- ``plain-backfill``: ``bench.pipeline.plain_backfill`` (collect on 4 threads, no Prefect);
- ``flow-backfill``: the Prefect flow ``flows.backfill.backfill``;
- ``plain-daily`` / ``flow-daily``: ``bench.pipeline.plain_daily`` / ``flows.daily.daily``,
  ``repeat`` times, each on a fresh copy of ``template`` (a migrated, empty SQLite file).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.naive import naive_save
from bench.pipeline import plain_backfill, plain_daily, replay_context
from paperpulse.app.collect import SourceOutcome
from paperpulse.app.deliver import archive_relpath
from paperpulse.config.file import load_config
from paperpulse.config.settings import Settings
from paperpulse.digest.calendar import period_for
from paperpulse.scrapers import hf_daily
from paperpulse.scrapers.http import HttpClient, host_key
from paperpulse.storage import create_engine, upgrade


def main(argv: list[str]) -> int:
    spec: dict[str, Any] = json.loads(argv[0])
    task = spec["task"]
    result: dict[str, Any]
    if task == "naive-backfill":
        result = naive_backfill(date.fromisoformat(spec["start"]), date.fromisoformat(spec["end"]))
    elif task in ("plain-backfill", "flow-backfill"):
        result = backfill(task, spec)
    elif task in ("plain-daily", "flow-daily"):
        result = daily(task, spec)
    else:
        raise SystemExit(f"unknown task {task!r}")
    result["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(result))
    return 0


def naive_backfill(start: date, end: date) -> dict[str, Any]:
    settings = Settings.from_env()
    engine = create_engine(settings.database_url)
    upgrade(engine)
    began = time.perf_counter()
    statuses: Counter[str] = Counter()
    with httpx.Client(timeout=30) as http:
        day = start
        while day <= end:
            url = f"{settings.hf_url}/api/daily_papers"
            response = http.get(url, params={"date": day.isoformat(), "limit": 100})
            response.raise_for_status()
            listing = hf_daily.parse_api(
                response.content,
                url=str(response.url),
                requested_date=day,
                fetched_at=datetime.now(UTC),
            )
            naive_save(engine, listing, listing.fetched_at)
            statuses["complete" if listing.items else "empty"] += 1
            day += timedelta(days=1)
    seconds = time.perf_counter() - began
    engine.dispose()
    return {"seconds": [seconds], "statuses": dict(statuses)}


def backfill(task: str, spec: dict[str, Any]) -> dict[str, Any]:
    settings = Settings.from_env()
    ctx = replay_context(settings, load_config(settings.config_file), floor=bool(spec.get("floor")))
    if not spec.get("floor"):
        os.environ["PAPERPULSE_HF_MIN_INTERVAL"] = "0"  # the flow builds its own context
    start, end = date.fromisoformat(spec["start"]), date.fromisoformat(spec["end"])
    began = time.perf_counter()
    if task == "plain-backfill":
        outcomes = plain_backfill(ctx, start, end)
    else:
        with _prefect(heartbeats=False):
            from paperpulse.flows.backfill import backfill as backfill_flow
            from paperpulse.flows.tasks import SourcesFailed

            try:
                outcomes = list(backfill_flow(start=start, end=end).outcomes)
            except SourcesFailed as exc:
                outcomes = list(exc.summary.outcomes)
    seconds = time.perf_counter() - began
    ctx.close()
    return {
        "seconds": [seconds],
        "statuses": _statuses(outcomes),
        "http": _http(ctx.http, settings),
    }


def daily(task: str, spec: dict[str, Any]) -> dict[str, Any]:
    day = date.fromisoformat(spec["day"])
    template, folder = Path(spec["template"]), Path(spec["folder"])
    times: list[float] = []
    statuses: Counter[str] = Counter()
    digests: list[int] = []
    prefect = _prefect(heartbeats=bool(spec.get("heartbeats"))) if task == "flow-daily" else None
    with prefect or nullcontext():
        for number in range(int(spec["repeat"])):
            run_dir = folder / f"run-{number}"
            database = run_dir / "paperpulse.db"
            run_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(template, database)
            os.environ["PAPERPULSE_DATABASE_URL"] = f"sqlite:///{database}"
            os.environ["PAPERPULSE_ARCHIVE_DIR"] = str(run_dir / "archive")
            run = _daily_runner(task, day)
            began = time.perf_counter()
            outcomes, markdown = run()
            times.append(time.perf_counter() - began)
            statuses.update(_statuses(outcomes))
            digests.append(len(markdown or ""))
    return {"seconds": times, "statuses": dict(statuses), "digest_chars": digests}


def _daily_runner(task: str, day: date) -> Callable[[], tuple[list[SourceOutcome], str | None]]:
    def archived(settings: Settings) -> str | None:
        path = settings.archive_dir / archive_relpath(period_for("daily", day))
        return path.read_text(encoding="utf-8") if path.exists() else None

    def plain() -> tuple[list[SourceOutcome], str | None]:
        settings = Settings.from_env()
        config = load_config(settings.config_file)
        with closing(replay_context(settings, config, floor=False)) as ctx:
            result = plain_daily(ctx, day, email=True)
        return list(result.outcomes), archived(settings)

    def flow() -> tuple[list[SourceOutcome], str | None]:
        from paperpulse.flows.daily import daily as daily_flow

        os.environ["PAPERPULSE_HF_MIN_INTERVAL"] = "0"  # the flow builds its own context
        settings = Settings.from_env()
        summary = daily_flow(list_date=day, email=True)
        return list(summary.outcomes), archived(settings)

    return plain if task == "plain-daily" else flow


@contextmanager
def _prefect(*, heartbeats: bool) -> Iterator[None]:
    """Prefect as the benchmarks run it; heartbeats off as in tests/flows (see PREFECT.md)."""
    if heartbeats:
        yield
        return
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def _statuses(outcomes: list[SourceOutcome]) -> dict[str, int]:
    return dict(Counter(o.status for o in outcomes))


def _http(client: HttpClient, settings: Settings) -> dict[str, Any]:
    stats = client.stats.get(host_key(httpx.URL(settings.hf_url)))
    if stats is None:
        return {}
    return {
        "requests": stats.requests,
        "retries": stats.retries,
        "throttled": stats.throttled,
        "waited": round(stats.waited, 3),
    }


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
