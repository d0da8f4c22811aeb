"""A small pool of papers on four themes, written for the tests (not real papers)."""

from __future__ import annotations

from paperpulse.core.models import Paper

THEMES = {
    "kv": (
        "KV cache",
        "We compress the key value cache of large language models for long context "
        "inference, evicting and quantizing cached keys to cut memory while decoding.",
    ),
    "diffusion": (
        "Diffusion",
        "We train a text to image diffusion model with a new noise schedule and guidance, "
        "improving image fidelity and prompt alignment of generated pictures.",
    ),
    "robot": (
        "Robot",
        "We teach a robot arm manipulation skills from demonstrations with a policy that "
        "grasps objects, plans trajectories and transfers from simulation to the real world.",
    ),
    "speech": (
        "Speech",
        "We recognise speech with an audio encoder trained on multilingual recordings, "
        "lowering word error rate for transcription of noisy spoken utterances.",
    ),
}
VARIANTS = (
    "efficient",
    "scalable",
    "robust",
    "adaptive",
    "unified",
    "simple",
    "fast",
    "sparse",
    "learned",
    "hierarchical",
)


def pool() -> list[Paper]:
    """Ten papers per theme, ids 2408.1TNNN (T: theme number)."""
    papers = []
    for t, (theme, (noun, abstract)) in enumerate(THEMES.items(), start=1):
        for n, word in enumerate(VARIANTS):
            papers.append(
                Paper(
                    arxiv_id=f"2408.{t}{n:04d}",
                    title=f"{word.title()} {noun} {theme} study {n}",
                    abstract=f"{abstract} Our {word} method is {word} in every {theme} setting.",
                )
            )
    return papers
