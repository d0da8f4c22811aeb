"""bench.relevance runs end to end on tiny inputs of ours (smoke only: no figure is checked)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench import relevance

TOPICS = ("key value cache eviction", "graph transformer depth", "diffusion sampling")


def author_page(name: str, theme: str) -> str:
    """An author page laid out as the seeds are: header, then per paper a category-and-date
    line, the title, the authors and the abstract."""
    lines = [name, "", "LG", "h-index1", "10papers", "", "10 Papers", ""]
    for n in range(10):
        lines += [
            f"LGJan {n + 1}, 2024" + ("Code" if n % 2 else ""),
            f"Paper {n} on {theme}",
            "",
            f"{name}, A. Coauthor et al.",
            "",
            f"We study {theme} again, variant {n}, and report {theme} results.",
            "",
        ]
    return "\n".join(lines)


@pytest.fixture
def tiny(tmp_path: Path, fixtures_dir: Path) -> tuple[Path, Path]:
    data, seeds = tmp_path / "data", tmp_path / "seeds"
    (data / "hf_api_daily").mkdir(parents=True)
    for name in ("daily_2024.json", "daily_2026.json"):
        shutil.copyfile(fixtures_dir / "hf" / name, data / "hf_api_daily" / name)
    seeds.mkdir()
    for (file, author), theme in zip(relevance.AUTHORS.items(), TOPICS, strict=False):
        (seeds / file).write_text(author_page(author, theme), encoding="utf-8")
    return data, seeds


def test_the_relevance_benchmark_prints_every_ranking_and_step(
    tiny: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data, seeds = tiny
    args = ["--data", str(data), "--seeds", str(seeds), "--rounds", "1"]
    assert relevance.main([*args, "--library", "1", "--pool", "20"]) == 0
    out = capsys.readouterr().out
    for label in [*relevance.RANKERS, "random (expected)"]:
        assert f"| {label} |" in out
    assert out.count("fold") == 4
    assert "| warm: train one reader |" in out
    assert f"| {relevance.WARM_RUN} |" in out and f"| {relevance.BEFORE_RUN} |" in out
    # Our author pages are read as the seeds are: ten papers, halves of five.
    assert "| 5 | 5 (0) |" in out


def test_the_author_page_reader_reads_titles_abstracts_and_dates(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(author_page("Ada", "kv cache"), encoding="utf-8")
    papers = relevance.author_papers(page)
    assert len(papers) == 10
    assert papers[3].title == "Paper 3 on kv cache"
    assert papers[3].abstract.startswith("We study kv cache again, variant 3")
    assert str(papers[3].list_date) == "2024-01-04"
