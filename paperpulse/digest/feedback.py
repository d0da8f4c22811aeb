"""``feedback.txt`` in the archive repository: likes and hides given where the archive is read.

One signal a line, read by the next run (pure: the caller reads the file)::

    # like or hide, a paper (arXiv id or URL), and the reader (default: the archive's digest)
    like 2408.01234
    hide https://huggingface.co/papers/2408.05678 alice@example.org

A line we cannot read is a warning naming its line number; the others still count.
"""

from __future__ import annotations

from dataclasses import dataclass

from paperpulse.core.models import normalize_arxiv_id

FILENAME = "feedback.txt"
SIGNALS = ("like", "hide")


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedbackFile:
    signals: dict[str, dict[str, str]]  # reader -> {arxiv_id: "like" | "hide"}; last line wins
    warnings: tuple[str, ...] = ()


def parse_feedback(text: str, name: str, default_reader: str) -> FeedbackFile:
    signals: dict[str, dict[str, str]] = {}
    warnings: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        signal = words[0].casefold()
        if signal not in SIGNALS or len(words) not in (2, 3):
            warnings.append(
                f"{name}:{number}: expected 'like|hide ARXIV_ID [READER]', got {line[:60]!r}"
            )
            continue
        try:
            arxiv_id = normalize_arxiv_id(words[1])
        except ValueError:
            warnings.append(f"{name}:{number}: not an arXiv id or URL: {words[1][:60]!r}")
            continue
        reader = words[2] if len(words) == 3 else default_reader
        signals.setdefault(reader, {})[arxiv_id] = signal
    return FeedbackFile(signals=signals, warnings=tuple(warnings))
