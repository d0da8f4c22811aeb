"""What the reliability suites tried, noted for ``python -m tests.reliability.report``.

A test calls ``record(...)`` only after its assertions passed, so every line is a verified
outcome. Lines go to the JSON-lines file named by ``PAPERPULSE_RELIABILITY_LOG``; without it
(an ordinary pytest run) ``record`` does nothing.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

LOG_ENV = "PAPERPULSE_RELIABILITY_LOG"
_lock = threading.Lock()


@dataclass(frozen=True, slots=True, kw_only=True)
class Trial:
    category: str  # "HTTP fault", "Hostile input", "Parser fuzzing", "Secrets"
    case: str  # the fault or input tried, e.g. "HTTP 503 + Retry-After, first 3 attempts"
    where: str  # what it went through, e.g. "hf-daily API via HttpClient"
    outcome: str  # what happened, as the test asserted it
    trials: int = 1  # fetches, renders or examples run
    injected: int = 0  # faults the replay server injected while doing so


def record(
    *, category: str, case: str, where: str, outcome: str, trials: int = 1, injected: int = 0
) -> None:
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    trial = Trial(
        category=category,
        case=case,
        where=where,
        outcome=outcome,
        trials=trials,
        injected=injected,
    )
    line = json.dumps(asdict(trial), ensure_ascii=False)
    with _lock, Path(path).open("a", encoding="utf-8") as log:
        log.write(line + "\n")


def read_trials(path: Path) -> list[Trial]:
    if not path.is_file():
        return []
    return [
        Trial(**json.loads(line))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
