"""Topic matching and explanations: terms, exclusions, categories, authors, keywords, HF hits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperpulse.core.errors import ConfigError
from paperpulse.core.models import Author, Paper
from paperpulse.digest.topics import (
    RuleKind,
    Topic,
    explain,
    match_topics,
    normalize_author,
    normalize_keyword,
)


def paper(
    title: str = "A title",
    abstract: str = "",
    *,
    arxiv_id: str = "2408.00001",
    **fields: object,
) -> Paper:
    return Paper(arxiv_id=arxiv_id, title=title, abstract=abstract, **fields)  # type: ignore[arg-type]


def included(p: Paper, topic: Topic, **kwargs: object) -> bool:
    return [m.topic for m in match_topics(p, [topic], **kwargs)] == [topic.name]  # type: ignore[arg-type]


# --- terms -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("Offline RL for robots", True),
        ("RL-based fine-tuning", True),
        ("we use RL.", True),
        ("(RL) objective", True),
        ("Fetching a URL quickly", False),
        ("RLHF at scale", False),
        ("CURL: contrastive learning", False),
        ("an RL_agent module", False),  # underscore is part of a word
    ],
)
def test_terms_match_whole_words_only(text: str, hit: bool) -> None:
    assert included(paper(text), Topic(name="rl", include=("RL",))) is hit


@pytest.mark.parametrize(
    ("term", "text", "hit"),
    [
        ("diffusion model", "Diffusion  Models beat GANs", True),
        ("diffusion model", "Fast diffusion\n  model sampling", True),
        ("diffusion model", "diffusion-based model", False),
        ("self attention", "Self-Attention is all", True),
        ("self-attention", "self attention layers", True),
        ("speculative decoding", "speculative and decoding", False),
        ("LLM", "Small LLMs reason", True),
        ("LLM", "an LLM's memory", True),
        ('"LLM"', "Small LLMs reason", False),
        ('"LLM"', "one llm", True),
        ('"self-attention"', "self attention layers", False),
        ('"self-attention"', "Self-Attention layers", True),
        ('"mixture of experts"', "Mixture\n of  Experts", True),
        ("policy", "learned policies", True),
        ("policy", "policys", True),
        ("kv cache", "KV caches are large", True),
        ("box", "bounding boxes", True),
        ("models", "one model", False),  # plurals are added, never removed
        ("GPT-4", "GPT-4o is", False),
        ("GPT-4", "beats GPT 4 and", True),
        ("C++", "in C++ code", True),
        ("C++", "in C code", False),
    ],
)
def test_phrases_plurals_hyphens_and_quotes(term: str, text: str, hit: bool) -> None:
    assert included(paper(text), Topic(name="t", include=(term,))) is hit


def test_every_searched_field_is_searched_and_named() -> None:
    p = paper(
        "Title about agents",
        "An abstract about agents.",
        ai_summary="Agents summarised.",
        ai_keywords=("tool use", "agent"),
    )
    (hit,) = explain(p, Topic(name="t", include=("agent",))).inclusions
    assert hit.fields == ("title", "abstract", "ai_summary", "ai_keywords")
    assert hit.describe() == (
        "include term 'agent' matched the title, the abstract, the AI summary and the AI keywords"
        " ('agents')"
    )


def test_a_phrase_never_spans_two_ai_keywords() -> None:
    p = paper(ai_keywords=("speculative", "decoding"))
    assert not included(p, Topic(name="t", include=("speculative decoding",)))


def test_unicode_text_keeps_match_offsets_right() -> None:
    # "İ" lowercases to two characters; the reported match must still be the right words.
    p = paper("İstanbul dataset for Speculative Decoding")
    (hit,) = explain(p, Topic(name="t", include=("speculative decoding",))).inclusions
    assert hit.matched == "Speculative Decoding"


# --- exclusions --------------------------------------------------------------------------------


def test_exclusions_win_over_every_inclusion() -> None:
    p = paper(
        "A Survey of Speculative Decoding",
        categories=("cs.CL",),
        authors=(Author(name="Hanze Dong"),),
    )
    topic = Topic(
        name="spec",
        include=("speculative decoding",),
        exclude=("survey",),
        categories=("cs.CL",),
        authors=("Hanze Dong",),
    )
    assert match_topics(p, [topic]) == ()
    explanation = explain(p, topic)
    assert not explanation.matched
    assert explanation.lines == (
        "2408.00001 is not in topic 'spec': excluded (although 3 inclusion rules matched)",
        "- excluded by 'survey' in the title",
        "- include term 'speculative decoding' matched the title",
        "- category cs.CL matched",
        "- author 'Hanze Dong' matched",
    )


def test_exclusion_terms_follow_the_same_word_rules() -> None:
    topic = Topic(name="t", include=("agent",), exclude=("survey",))
    assert not included(paper("Agent surveys", ""), topic)
    assert included(paper("Agent surveyor notes", ""), topic)


# --- categories, authors, ai_keywords, HF search -----------------------------------------------


@pytest.mark.parametrize(
    ("rule", "hit"),
    [("cs.CL", True), ("CS.cl", True), ("cs.*", True), ("cs.C", False), ("stat.*", False),
     ("cs.LG", True)],
)  # fmt: skip
def test_categories_exact_or_whole_archive(rule: str, hit: bool) -> None:
    p = paper(primary_category="cs.CL", categories=("cs.LG",))
    assert included(p, Topic(name="t", categories=(rule,))) is hit


@pytest.mark.parametrize(
    ("rule", "hit"),
    [
        ("Hanze Dong", True),
        ("hanze  dong", True),
        ("Hanzé Dong", True),
        ("Dong, Hanze", True),
        ("H. Dong", True),
        ("H Dong", True),
        ("Hanze X. Dong", False),  # the paper lists no middle name
        ("Hanze Dang", False),
        ("Hanz Dong", False),
        ("Dong", True),  # a surname alone matches any given name: wide, but explicit
        ("@hdong", True),
        ("@someone", False),
    ],
)
def test_author_names_are_normalized(rule: str, hit: bool) -> None:
    p = paper(authors=(Author(name="Hánze Dong", hf_user="HDong"),))
    assert included(p, Topic(name="t", authors=(rule,))) is hit


def test_middle_names_in_the_paper_are_ignored() -> None:
    p = paper(authors=(Author(name="Jean-Pierre X. Dupont"),))
    assert included(p, Topic(name="t", authors=("Jean-Pierre Dupont",)))
    assert included(p, Topic(name="t", authors=("J. Dupont",)))


def test_normalize_author() -> None:
    assert normalize_author("Dong, Hanzé") == "hanze dong"
    assert normalize_author("Jean-Pierre  O'Brien") == "jean pierre obrien"


def test_ai_keywords_match_whole_keywords() -> None:
    p = paper(ai_keywords=("KV-Caches (KVC)", "KV cache compression"))
    topic = Topic(name="t", ai_keywords=("kv cache",))
    (hit,) = explain(p, topic).inclusions
    assert (hit.kind, hit.matched) == (RuleKind.AI_KEYWORD, "KV-Caches (KVC)")
    assert hit.describe() == "ai_keyword 'kv cache' ('KV-Caches (KVC)')"
    assert not included(paper(ai_keywords=("KV cache compression",)), topic)
    assert normalize_keyword("Mixture-of-Experts (MoE)") == "mixture of experts"


def test_hf_search_hits_put_a_paper_in() -> None:
    topic = Topic(name="kv", hf_queries=("kv cache",))
    p = paper()
    assert match_topics(p, [topic]) == ()
    assert not included(p, topic, hf_query_hits={"kv cache": {"2408.99999"}})
    (m,) = match_topics(p, [topic], hf_query_hits={"kv cache": {"2408.00001"}})
    assert m.reasons == ("HF search 'kv cache' returned it",)


# --- several topics, explain ------------------------------------------------------------------


def test_a_paper_can_belong_to_several_topics_in_their_order() -> None:
    p = paper("Speculative decoding with a KV cache", categories=("cs.CL",))
    topics = [
        Topic(name="kv", include=("kv cache",)),
        Topic(name="vision", include=("image",)),
        Topic(name="nlp", categories=("cs.CL",)),
    ]
    assert [(m.topic, m.reasons) for m in match_topics(p, topics)] == [
        ("kv", ("include term 'kv cache' matched the title",)),
        ("nlp", ("category cs.CL matched",)),
    ]


def test_explain_a_paper_with_no_matching_rule() -> None:
    explanation = explain(paper("Protein folding"), Topic(name="llm", include=("LLM",)))
    assert not explanation.matched and explanation.inclusions == ()
    assert str(explanation) == "2408.00001 is not in topic 'llm': no inclusion rule matched"


def test_explain_lists_every_kind_of_inclusion() -> None:
    p = paper(
        "Speculative Decoding for LLMs",
        categories=("cs.CL",),
        authors=(Author(name="Hanze Dong"),),
        ai_keywords=("KV cache",),
    )
    topic = Topic(
        name="fast",
        include=("speculative decoding", "LLM"),
        categories=("cs.*",),
        authors=("H. Dong",),
        ai_keywords=("kv cache",),
        hf_queries=("fast inference",),
    )
    explanation = explain(p, topic, hf_query_hits={"fast inference": {"2408.00001"}})
    assert explanation.matched
    assert explanation.lines == (
        "2408.00001 is in topic 'fast'",
        "- include term 'speculative decoding' matched the title",
        "- include term 'LLM' matched the title ('LLMs')",
        "- category cs.CL matched (rule 'cs.*')",
        "- author 'H. Dong' matched ('Hanze Dong')",
        "- HF search 'fast inference' returned it",
        "- ai_keyword 'kv cache'",
    )


# --- topic validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": " "}, "non-empty name"),
        ({"name": "t", "exclude": ("survey",)}, "no inclusion rule"),
        ({"name": "t", "include": "llm"}, "tuple of strings"),
        ({"name": "t", "include": ["llm"]}, "tuple of strings"),
        ({"name": "t", "include": ("llm", "  ")}, "no letters or digits"),
        ({"name": "t", "include": ('say "hi" now',)}, "stray quotes"),
        ({"name": "t", "include": ('"unclosed',)}, "stray quotes"),
    ],
)
def test_bad_topics_are_config_errors_that_say_what_to_fix(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Topic(**fields)  # type: ignore[arg-type]


# --- the fast path agrees with a plain regex ---------------------------------------------------

WORDS = ["rl", "RL", "url", "model", "Models", "policy", "policies", "kv", "cache", "caches", "x"]
SEPARATORS = [" ", "  ", "-", "\n ", ", ", "_", "(", ") ", "'", ".", ""]


def reference_regex(term: str) -> re.Pattern[str]:
    """The documented rule written the obvious (slow) way."""
    words = re.split(r"[\s\-]+", term.strip())
    last = words[-1]
    if re.search(r"[^aeiou]y$", last, re.I):
        last_pattern = re.escape(last[:-1]) + "(?:y|ys|ies)"
    else:
        last_pattern = re.escape(last) + "(?:s|es)?"
    body = r"[\s\-\u2010\u2011]+".join([*map(re.escape, words[:-1]), last_pattern])
    return re.compile(rf"(?<!\w){body}(?!\w)", re.I)


@given(
    parts=st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=12),
    term=st.sampled_from(["RL", "model", "policy", "kv cache", "url model", "x"]),
)
def test_fast_matching_agrees_with_the_reference_regex(
    parts: list[tuple[str, str]], term: str
) -> None:
    text = "".join(word + sep for word, sep in parts)
    expected = reference_regex(term).search(text) is not None
    assert included(paper(text), Topic(name="t", include=(term,))) is expected


# --- real data ---------------------------------------------------------------------------------


def hf_papers(path: Path) -> dict[str, Paper]:
    """A minimal mapping of real HF items (the real parser lives in scrapers/)."""
    items = json.loads(path.read_text(encoding="utf-8"))
    papers = {}
    for item in items:
        p = item["paper"]
        papers[p["id"]] = Paper(
            arxiv_id=p["id"],
            title=p["title"],
            abstract=p["summary"],
            ai_summary=p.get("ai_summary"),
            ai_keywords=tuple(p.get("ai_keywords") or ()),
            authors=tuple(Author(name=a["name"]) for a in p["authors"]),
        )
    return papers


def test_real_hf_day_golden_explanations(shared_data: Path) -> None:
    papers = hf_papers(shared_data / "hf_api_daily" / "2025-10-15.json")
    topic = Topic(
        name="RL for LLMs",
        include=("RL", "reinforcement learning"),
        exclude=("tutorial", "survey"),
        ai_keywords=("large language model",),
    )
    assert explain(papers["2510.11683"], topic).lines == (
        "2510.11683 is in topic 'RL for LLMs'",
        "- include term 'RL' matched the title and the abstract",
        "- include term 'reinforcement learning' matched the abstract, the AI summary"
        " and the AI keywords",
    )
    assert explain(papers["2510.12403"], topic).lines == (
        "2510.12403 is not in topic 'RL for LLMs': excluded (although 1 inclusion rule matched)",
        "- excluded by 'tutorial' in the title and the abstract",
        "- include term 'reinforcement learning' matched the abstract, the AI summary"
        " and the AI keywords",
    )
    assert explain(papers["2510.09116"], topic).lines == (
        "2510.09116 is in topic 'RL for LLMs'",
        "- ai_keyword 'large language model' ('large language models')",
    )
    assert not explain(papers["2510.12088"], topic).matched
