"""Topic matching cost on real HF Daily Papers: every captured paper against 30 topics.

Run from the repository root: ``python bench/bench_topics.py`` (needs ../shared/data).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from paperpulse.core.models import Author, Paper  # noqa: E402
from paperpulse.digest.topics import Topic, explain, match_papers, match_topics  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "hf_api_daily"

TOPICS = [
    Topic(name="speculative", include=("speculative decoding", "kv cache", "draft model")),
    Topic(name="3dgs", include=("3D gaussian splatting", "novel view synthesis")),
    Topic(name="moe", include=("mixture of experts", '"MoE"'), ai_keywords=("mixture of experts",)),
    Topic(name="ssm", include=("state space model", "mamba")),
    Topic(name="alignment", include=("reward model", "RLHF", "preference optimization")),
    Topic(name="video", include=("video generation", "text-to-video"), exclude=("survey",)),
    Topic(name="agents", include=("agent", "tool use"), exclude=("survey", "benchmark")),
    Topic(name="rl", include=("RL", "reinforcement learning"), authors=("Hanze Dong",)),
    Topic(name="llm", include=("LLM", "large language model"), exclude=("survey",)),
    Topic(name="diffusion", include=("diffusion model", "flow matching", "consistency model")),
]
TOPICS = [
    Topic(
        name=f"{t.name}-{i}",
        include=t.include,
        exclude=t.exclude,
        ai_keywords=t.ai_keywords,
        authors=t.authors,
    )
    for i in range(3)
    for t in TOPICS
]  # 30 topics: distinct, so nothing is shared through the compile cache


def load() -> list[Paper]:
    papers = []
    for path in sorted(DATA.glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            if not isinstance(item, dict):
                continue  # a few captured files hold repr() strings
            p = item["paper"]
            papers.append(
                Paper(
                    arxiv_id=p["id"],
                    title=p["title"],
                    abstract=p["summary"],
                    ai_summary=p.get("ai_summary"),
                    ai_keywords=tuple(p.get("ai_keywords") or ()),
                    authors=tuple(Author(name=a["name"]) for a in p["authors"]),
                )
            )
    return papers


def best_of(runs: int, action: Callable[[], object]) -> float:
    """CPU seconds of the fastest run (CPU time: other processes on the host do not count)."""
    times = []
    for _ in range(runs):
        start = time.process_time()
        action()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    papers = load()
    pairs = len(papers) * len(TOPICS)
    matched = sum(len(m) for m in match_papers(papers, TOPICS).values())
    batch = best_of(3, lambda: match_papers(papers, TOPICS))
    single = best_of(3, lambda: [match_topics(p, TOPICS) for p in papers])
    one = best_of(3, lambda: [explain(p, TOPICS[0]) for p in papers])
    print(f"{len(papers)} real papers x {len(TOPICS)} topics = {pairs} pairs, {matched} matches")
    print(f"match_papers: {batch:.2f} s CPU, {batch / pairs * 1e6:.1f} us/pair")
    print(f"match_topics per paper: {single:.2f} s CPU, {single / pairs * 1e6:.1f} us/pair")
    print(f"explain: {one / len(papers) * 1e6:.0f} us/paper for one topic")


if __name__ == "__main__":
    main()
