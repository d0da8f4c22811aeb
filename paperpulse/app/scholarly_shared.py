"""What one run's readers share for "Cites your work", "Now published" and TL;DRs: Semantic
Scholar asked once per run for every reader, and one circuit breaker and one tally for the
summaries endpoint (kept apart from ``scholarly.py`` so ``compose.EditionReads`` can hold it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, kw_only=True)
class ReaderPapers:
    """A reader's papers by identity key: their own (library, likes) and those announced."""

    own: Mapping[str, str]  # {key: title as the reader knows it, or ""}
    announced: Mapping[str, str]  # {key: title}


@dataclass(slots=True)
class SummaryTally:
    made: int = 0
    cached: int = 0
    from_hf: int = 0  # English readers: Hugging Face's ai_summary shown, nothing asked
    skipped: int = 0  # not made this run: budget spent, endpoint down or slow
    failures: int = 0  # consecutive; the breaker opens at [summaries] breaker
    spent: float = 0.0  # seconds spent waiting on the endpoint this run
    open_reason: str | None = None  # why the breaker is open (the run log says it once)

    def line(self) -> str:
        why = f" ({self.open_reason})" if self.open_reason and self.skipped else ""
        return (
            f"summaries: {self.made} made, {self.cached} cached, {self.skipped} skipped{why}, "
            f"{self.from_hf} from Hugging Face"
        )


@dataclass(slots=True)
class ScholarShared:
    synced: bool = False  # Semantic Scholar asked (or tried) this run
    readers: dict[str, ReaderPapers] = field(default_factory=dict)  # read once per run
    summaries: SummaryTally = field(default_factory=SummaryTally)
