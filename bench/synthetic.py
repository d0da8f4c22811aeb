"""Deterministic synthetic papers and digests with realistic field lengths, for benchmarks.

Lengths follow the real captures: titles of 6–16 words (~90 characters), mostly 1–12 authors
with the odd 120-author paper, abstracts of ~150–250 words, an AI summary on most recent items.
Text includes characters the renderers must escape (Markdown specials, ``<``, ``&``) and
non-ASCII names, so escaping costs what it costs on real data. Same seed, same values.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from paperpulse.core.models import Author, Paper
from paperpulse.digest.models import Digest, DigestItem, Section, SourceHealth

_VOCABULARY = (
    "model language large diffusion transformer agent reasoning vision video benchmark "
    "alignment reward policy data scaling efficient sparse attention memory retrieval "
    "multimodal generation evaluation robust learning training inference token context "
    "graph neural network physics protein code math planning tool speech audio 3D scene "
    "latent representation contrastive self-supervised fine-tuning preference safety"
)
_WORDS = tuple(_VOCABULARY.split())
_TITLE_EXTRAS = ("LLM-as-a-Judge", "<Scaling>", "Q&A", "GPT-4o", "`pass@k`", "[RL]", "*Fast*")
_FIRST = ("Ada", "Grace", "Alan", "Wei", "Yuki", "Łukasz", "Zoë", "José", "Aarav", "Chen", "Olu")
_LAST = ("Lovelace", "Hopper", "Turing", "Zhang", "Tanaka", "Kaiser", "Müller", "García", "Li")
_ORGS = ("Example Lab", "DeepMind", "Tsinghua University", "Meta AI", "ETH Zürich", None, None)
_SPARKS = "▁▂▃▄▅▆▇█"


def synthetic_papers(
    count: int, *, seed: int = 2024, start: date = date(2024, 8, 1)
) -> list[Paper]:
    """``count`` distinct papers (ids 2407.10000, 2407.10001, ...) with realistic fields."""
    rng = random.Random(seed)
    return [_paper(rng, index, start) for index in range(count)]


def synthetic_digest(
    topics: int, items_per_topic: int, *, seed: int = 2024, generated_at: datetime | None = None
) -> Digest:
    """A weekly digest of ``topics`` sections of ``items_per_topic`` items each."""
    rng = random.Random(seed)
    papers = synthetic_papers(topics * items_per_topic, seed=seed)
    sections = []
    for topic in range(topics):
        chunk = papers[topic * items_per_topic : (topic + 1) * items_per_topic]
        sections.append(
            Section(
                title=f"Topic {topic + 1:02d} · {' '.join(rng.sample(_WORDS, 2)).title()}",
                items=tuple(_item(rng, paper) for paper in chunk),
                note="Fewer papers than usual this week." if topic % 10 == 9 else None,
                more=rng.randrange(0, 40) if topic % 3 == 0 else 0,
            )
        )
    count = topics * items_per_topic
    return Digest(
        edition="weekly",
        period="2024-W31",
        title="Weekly digest · 29 July – 4 August 2024",
        generated_at=generated_at or datetime(2024, 8, 5, 6, 0, tzinfo=UTC),
        sections=tuple(sections),
        health=(
            SourceHealth(source="hf-daily", status="complete", fetched=count),
            SourceHealth(
                source="arxiv-listing",
                status="failed",
                error="arxiv.org answered 503 three times; the next run retries",
            ),
        ),
        notes=("arXiv listings are missing this week: see the failed source below.",),
    )


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(low, high)))


def _sentence(rng: random.Random) -> str:
    return _words(rng, 10, 28).capitalize() + "."


def _paper(rng: random.Random, index: int, start: date) -> Paper:
    title = _words(rng, 6, 16).title()
    if rng.random() < 0.3:
        title = f"{rng.choice(_TITLE_EXTRAS)}: {title}"
    n_authors = rng.choice((1, 3, 4, 5, 6, 8, 10, 12)) if rng.random() < 0.97 else 120
    has_code = rng.random() < 0.4
    return Paper(
        arxiv_id=f"2407.{10000 + index}",
        title=title,
        authors=tuple(
            Author(name=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}") for _ in range(n_authors)
        ),
        abstract=" ".join(_sentence(rng) for _ in range(rng.randint(7, 11))),
        published_at=datetime(2024, 7, 30, 17, 59, tzinfo=UTC) - timedelta(hours=index % 72),
        list_date=start + timedelta(days=index % 5),
        organization=rng.choice(_ORGS),
        github_repo=f"https://github.com/example/repo-{index}" if has_code else None,
        ai_summary=_sentence(rng) if rng.random() < 0.7 else None,
        ai_keywords=tuple(rng.sample(_WORDS, 4)),
    )


def _item(rng: random.Random, paper: Paper) -> DigestItem:
    upvotes = rng.randrange(0, 300)
    gain = rng.randrange(-3, 60) if rng.random() < 0.6 else None
    return DigestItem(
        paper=paper,
        upvotes=upvotes,
        gain=gain,
        comments=rng.randrange(0, 20),
        stars=rng.randrange(1, 5000) if paper.github_repo else None,
        is_new=rng.random() < 0.3,
        reason=f"+{gain} upvotes since yesterday" if gain and gain > 20 else None,
        sparkline="".join(rng.choice(_SPARKS) for _ in range(7)) if rng.random() < 0.5 else None,
    )
