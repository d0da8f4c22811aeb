"""One paper, many sources: which source's value a stored ``Paper`` keeps, field by field.

Each field has an owner, the source family that knows it best. The owner's value wins whenever
the owner has one; another family's value only fills a field nobody filled yet. A missing value
(None, "", ()) never erases a stored one.

    field                                    owner   why
    ---------------------------------------  ------  --------------------------------------------
    title, abstract, authors (names, order,  arXiv   the authors' own submission, versioned
      affiliations), categories,
      primary_category, comment, journal_ref,
      doi, published_at
    ai_summary, ai_keywords, organization,   HF      only Hugging Face has them
      github_repo, project_page
    authors[].hf_user                        HF      carried onto the owner's author list by name
    version                                  -       the highest seen (a version never goes back)
    list_date                                -       the earliest seen (first listed, first shown)
    arxiv_id                                 -       the identity: both must agree

Families by source name: ``arxiv-*`` (listing, API, followed authors) and ``hf-*`` (daily, week,
month, trending, search, paper). Any other source owns nothing and only fills blanks.

Because every owned field resolves to "owner's value if it has one, else the other's", the order
in which an HF and an arXiv observation arrive does not change the result, and merging the same
observation twice changes nothing (both are property-tested).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from paperpulse.core.models import Author, Paper
from paperpulse.core.names import same_author_name

ARXIV = "arxiv"
HF = "hf"

OWNERS: dict[str, str] = {
    **dict.fromkeys(
        (
            "title",
            "abstract",
            "authors",
            "categories",
            "primary_category",
            "comment",
            "journal_ref",
            "doi",
            "published_at",
        ),
        ARXIV,
    ),
    **dict.fromkeys(
        ("ai_summary", "ai_keywords", "organization", "github_repo", "project_page"), HF
    ),
}
COMBINED = frozenset({"arxiv_id", "version", "list_date"})  # resolved without an owner


def family(source: str) -> str | None:
    """``"arxiv"`` for ``arxiv-*`` sources, ``"hf"`` for ``hf-*``, None for anything else."""
    for name in (ARXIV, HF):
        if source == name or source.startswith(f"{name}-"):
            return name
    return None


def merge_papers(
    stored: Paper | None,
    incoming: Paper,
    *,
    source: str,
    stored_families: Collection[str] | None = None,
) -> Paper:
    """``stored`` updated with what ``source`` observed in ``incoming`` (see the table above).

    ``stored_families``: the source families that contributed to ``stored``. A field whose
    owner never reported this paper takes the newest known value from any source (so an HF-only
    paper still picks up HF's title revisions); once the owner has reported, only it can change
    the field. None means "assume every owner has reported" (the strict table).

    Missing values come out in one spelling (the field's default: None, "" or ()), so the
    result never depends on which source wrote an empty field first.
    """
    blank = Paper(arxiv_id=incoming.arxiv_id, title="")
    base = stored or blank
    if base.arxiv_id != incoming.arxiv_id:
        raise ValueError(f"cannot merge {incoming.arxiv_id} into {base.arxiv_id}")
    incoming_family = family(source)
    changes: dict[str, Any] = {}
    for name, owner in OWNERS.items():
        old, new = getattr(base, name), getattr(incoming, name)
        owner_silent = stored_families is not None and owner not in stored_families
        wins = owner == incoming_family or owner_silent
        if name == "authors":
            value = _merge_authors(new, old) if wins else _merge_authors(old, new)
        elif wins:
            value = old if _missing(new) else new
        else:
            value = new if _missing(old) else old
        changes[name] = getattr(blank, name) if _missing(value) else value
    changes["version"] = _max(base.version, incoming.version)
    changes["list_date"] = _earliest(base.list_date, incoming.list_date)
    return replace(base, **changes)


def _merge_authors(preferred: Sequence[Author], other: Sequence[Author]) -> tuple[Author, ...]:
    """``preferred``'s list (if any), each author completed from its namesake in ``other``.

    Namesakes are paired one to one in order, so two co-authors called "Wei Zhang" each keep
    their own HF account.
    """
    if not preferred:
        return tuple(other)
    if tuple(preferred) == tuple(other):  # a re-observation: every author pairs with itself
        return tuple(preferred)
    unused = list(other)
    merged = []
    for author in preferred:
        match = next((o for o in unused if same_author_name(o.name, author.name)), None)
        if match is None:
            merged.append(author)
            continue
        unused.remove(match)
        merged.append(
            replace(
                author,
                hf_user=author.hf_user or match.hf_user,
                affiliation=author.affiliation or match.affiliation,
            )
        )
    return tuple(merged)


def _missing(value: object) -> bool:
    return value is None or value == () or (isinstance(value, str) and not value.strip())


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _earliest(a: date | None, b: date | None) -> date | None:
    return b if a is None else a if b is None else min(a, b)
