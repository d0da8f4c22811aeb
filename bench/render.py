"""Benchmark 6, render: a digest of 50 topics × 25 items in Markdown, HTML and plain text.

    python -m bench.render [--rounds N] [--quick] [--json PATH]

The digest is synthetic and deterministic (bench.synthetic), built once outside the timing; the
Jinja2 environment and its compiled templates are warmed up before the first round, as they are
in a long-running process. ``render_all`` (all three formats and the subject) is timed too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bench.harness import (
    Case,
    Competitor,
    arguments,
    format_bytes,
    machine,
    main_guard,
    measure,
    report,
)
from bench.synthetic import synthetic_digest
from paperpulse.digest.models import Digest
from paperpulse.digest.render import render, render_all

TOPICS, ITEMS_PER_TOPIC = 50, 25
QUICK_TOPICS, QUICK_ITEMS_PER_TOPIC = 3, 4
FORMATS = (("Markdown", "md"), ("HTML", "html"), ("text", "txt"))
LIBRARIES = ("jinja2", "markupsafe")
BATCH = 5  # renders per round: rounds of ~0.1-0.3 s


def build_cases(digest: Digest, *, quick: bool) -> list[Case]:
    items = sum(len(section.items) for section in digest.sections)

    def one(fmt: str) -> Callable[[], object]:
        return lambda: render(digest, fmt)

    competitors = [
        Competitor(
            name=label,
            run=one(fmt),
            extra=(("output", format_bytes(len(render(digest, fmt).encode("utf-8")))),),
        )
        for label, fmt in FORMATS
    ]
    everything = render_all(digest)
    total = sum(
        len(t.encode("utf-8")) for t in (everything.markdown, everything.html, everything.text)
    )
    competitors.append(
        Competitor(
            name="render_all (3 formats)",
            run=lambda: render_all(digest),
            extra=(("output", format_bytes(total)),),
        )
    )
    topics = len(digest.sections)
    return [
        Case(
            name=f"digest {topics} topics × {items // max(topics, 1)} items",
            unit="render",
            batch=1 if quick else BATCH,
            per_item=("item", items),
            competitors=tuple(competitors),
        )
    ]


def run(argv: Sequence[str] | None = None) -> str:
    options = arguments(__doc__.splitlines()[0] if __doc__ else "render benchmark", argv)
    topics, per_topic = (
        (QUICK_TOPICS, QUICK_ITEMS_PER_TOPIC) if options.quick else (TOPICS, ITEMS_PER_TOPIC)
    )
    digest = synthetic_digest(topics, per_topic)
    host = machine(LIBRARIES)
    results = measure(build_cases(digest, quick=options.quick), rounds=options.rounds)
    return report(
        "render",
        results,
        options,
        host=host,
        notes=[
            "Output sizes are UTF-8 bytes. The digest is built outside the timing; templates "
            "are compiled during the untimed warm-up.",
        ],
    )


def main(argv: Sequence[str] | None = None) -> int:
    return main_guard(run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
