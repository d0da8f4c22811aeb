"""Sources that keep failing: called out at the top of every digest until they recover.

A digest already says when a source failed in its window; a source that stays dead (an
upstream retired, a layout changed for good) must not fade into one line among many. A
*run* here is one invocation's work for a source: its ledger rows from one process
(``owner``) started within ``SAME_RUN`` of one another (a daily run fetches several dates of
a source; ``paperpulse serve`` runs a day apart in one process). A run failed when none of
its rows got an answer; the streak ends at the newest run that did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from paperpulse.core.kinds import RunStatus
from paperpulse.core.models import RunRecord
from paperpulse.digest.presentation import source_label

SAME_RUN = timedelta(minutes=30)


@dataclass(frozen=True, slots=True, kw_only=True)
class FailingSource:
    source: str
    runs: int  # failed runs in a row, newest first, up to the last one that worked
    since: datetime  # the first of them
    last_success: datetime | None  # when a run of it last got an answer (None: never seen)
    error: str | None  # the newest run's error

    def reader_notice(self) -> str:
        """The line a digest carries: what is missing and since when, in the reader's words;
        the error itself stays in the run log (``notice``)."""
        return (
            f"{source_label(self.source)} could not be reached in the last {self.runs} runs "
            f"(since {self.since:%a %d %b}): its papers are missing here until it recovers."
        )

    def notice(self) -> str:
        """The operator's line (run summary, alerts): with the newest error."""
        worked = (
            f"last answer {self.last_success:%Y-%m-%d}"
            if self.last_success
            else "no answer on record"
        )
        error = f"; last error: {self.error}" if self.error else ""
        return (
            f"{self.source} has failed {self.runs} runs in a row (since "
            f"{self.since:%Y-%m-%d %H:%M} UTC; {worked}): its papers are missing from this "
            f"digest until it recovers{error}"
        )


def failing_sources(runs: Sequence[RunRecord], threshold: int) -> tuple[FailingSource, ...]:
    """Each source whose latest ``threshold`` or more runs all failed, by source name."""
    found = []
    by_source: dict[str, list[RunRecord]] = {}
    for run in sorted(runs, key=lambda r: (r.started_at, r.id)):
        if run.status != RunStatus.RUNNING:  # in flight: not an outcome yet
            by_source.setdefault(run.source, []).append(run)
    for source, rows in sorted(by_source.items()):
        groups = _group(rows)
        failed = 0
        for group in reversed(groups):
            if any(r.status != RunStatus.FAILED for r in group):
                break
            failed += 1
        if failed < threshold:
            continue
        settled = groups[: len(groups) - failed]
        answered = [r for g in settled for r in g if r.status != RunStatus.FAILED]
        found.append(
            FailingSource(
                source=source,
                runs=failed,
                since=groups[-failed][0].started_at,
                last_success=max((r.finished_at or r.started_at for r in answered), default=None),
                error=groups[-1][-1].error,
            )
        )
    return tuple(found)


def _group(rows: Sequence[RunRecord]) -> list[list[RunRecord]]:
    groups: list[list[RunRecord]] = []
    for row in rows:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and last.owner == row.owner
            and row.started_at - last.started_at <= SAME_RUN
        ):
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups
