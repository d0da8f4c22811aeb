"""Fit one reader's digest into an email under the clipping size, cutting nothing silently.

Pure (docs/digest-semantics.md, rule 10). Gmail clips a message over about 102 KB, and a full
card costs ~2 KB, so a busy day (30-50 papers) or a catch-up of several does not fit as cards.
The digest degrades in steps, each smaller than the one before, and the first that fits wins:

1. every paper a full card;
2. cards become one-line links (title, ▲ upvotes, link), least important sections first:
   the days' own sections ("Papers of the day", "Also listed…"), then Rising, then the
   reader's topics and followed authors, then For you — the top of each keeps its cards
   longest;
3. only when even one-line links cannot fit, the days' lines are cut from the bottom (then
   the topics', then Rising's) into "…and N more", linked to pages that exist and list them
   (``DayPages``). A section whose papers have no such page is never cut; For you and
   followed authors never are.

A cut paper is not in ``Section.items``, so header counts and the reader's ledger
(``shown_items``) leave it out: only what reached the reader is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from paperpulse.core.errors import DeliveryError
from paperpulse.digest.models import Digest, Section, SectionKind
from paperpulse.digest.presentation import DayPages

T = TypeVar("T")

# Step 2: how many cards each kind keeps, step by step (the rest become one-line links).
CARD_STEPS: tuple[tuple[frozenset[SectionKind], tuple[int, ...]], ...] = (
    (frozenset({"day"}), (40, 30, 20, 15, 10, 5, 3, 1, 0)),
    (frozenset({"rising"}), (5, 3, 1, 0)),
    (frozenset({"topic", "authors"}), (3, 1, 0)),
    (frozenset({"for_you"}), (3, 1, 0)),
)
# Step 3: whose one-line links may be cut, in this order.
CUT_ORDER: tuple[frozenset[SectionKind], ...] = (
    frozenset({"day"}),
    frozenset({"topic"}),
    frozenset({"rising"}),
)


@dataclass(frozen=True, slots=True)
class Plan:
    """Per section: how many items are cards and how many are kept (None: all)."""

    cards: tuple[int | None, ...]
    kept: tuple[int | None, ...]


def stages(digest: Digest, pages: DayPages) -> list[list[Plan]]:
    """The degrade steps, largest first: the first stage turns cards into one-line links, each
    later one cuts one kind's lines. Within a stage each step is smaller than the one before;
    a cut stage's first step may be a little larger than the step before it (it adds the
    "…and N more" line), which is why ``fit`` searches stage by stage."""
    sections = digest.sections
    cards: list[int | None] = [None] * len(sections)
    kept: list[int | None] = [None] * len(sections)
    found = [[Plan(tuple(cards), tuple(kept))]]
    for kinds, steps in CARD_STEPS:
        chosen = [i for i, s in enumerate(sections) if s.kind in kinds]
        for step in steps:
            changed = False
            for i in chosen:
                now = len(sections[i].items) if cards[i] is None else cards[i]
                if step < (now or 0):
                    cards[i] = step
                    changed = True
            if changed:
                found[0].append(Plan(tuple(cards), tuple(kept)))
    for kinds in CUT_ORDER:
        chosen = [
            i
            for i, s in enumerate(sections)
            if s.kind in kinds and s.items and all(pages.page(item) for item in s.items)
        ]
        longest = max((len(sections[i].items) for i in chosen), default=0)
        stage = []
        # One line off each chosen section per step: a catch-up's days shrink alike.
        for keep in range(longest - 1, -1, -1):
            for i in chosen:
                if len(sections[i].items) > keep:
                    kept[i] = keep
            stage.append(Plan(tuple(cards), tuple(kept)))
        if stage:
            found.append(stage)
    return found


def ladder(digest: Digest, pages: DayPages) -> list[Plan]:
    """Every degrade step, largest first."""
    return [plan for stage in stages(digest, pages) for plan in stage]


def apply(digest: Digest, plan: Plan, pages: DayPages) -> Digest:
    """``digest`` as ``plan`` shows it: cards, one-line links, and cut papers as "…and N more"
    with the pages that list them."""
    sections: list[Section] = []
    for section, cards, kept in zip(digest.sections, plan.cards, plan.kept, strict=True):
        kept = len(section.items) if kept is None else kept
        items, cut = section.items[:kept], section.items[kept:]
        sections.append(
            replace(
                section,
                items=items,
                cards=None if cards is None else min(cards, len(items)),
                cut=section.cut + len(cut),
                cut_links=section.cut_links + pages.links(cut) if cut else section.cut_links,
            )
        )
    shown = {item.paper.arxiv_id for s in sections for item in s.items}
    # For you's "N more … among the papers below" counts only those still below.
    sections = [
        replace(s, more=sum(1 for i in s.elsewhere if i in shown)) if s.elsewhere else s
        for s in sections
    ]
    return replace(digest, sections=tuple(sections))


def fit(
    digest: Digest,
    *,
    limit: int,
    pages: DayPages,
    build: Callable[[Digest], T],
    size: Callable[[T], int],
) -> tuple[Digest, T]:
    """The least degraded step of ``ladder`` whose built message (``build``: render and
    compose) is at most ``limit`` bytes (``size``), and that message.

    Tries every paper as a card first (a quiet day stays as it was); then, stage by stage,
    the stage's last step and, when that fits, a bisection of the stage (whose sizes fall
    step by step): a busy catch-up costs ~log2(steps) renders, not one per step. Raises
    DeliveryError when even the last step is too large."""
    found = stages(digest, pages)

    def attempt(plan: Plan) -> tuple[Digest, T, int]:
        shown = apply(digest, plan, pages)
        built = build(shown)
        return shown, built, size(built)

    first = attempt(found[0][0])
    if first[2] <= limit:
        return first[0], first[1]
    smallest = first[2]
    for stage in found:
        last = attempt(stage[-1])
        smallest = min(smallest, last[2])
        if last[2] > limit:
            continue  # every step before the stage's last failed too: the next stage
        # Bisect: ``low`` fails (-1: the step before the stage, known to fail; 0 in the first
        # stage: every paper a card, tried first), ``high`` fits.
        low, high, best = (0 if stage is found[0] else -1), len(stage) - 1, last
        while high - low > 1:
            middle = (low + high) // 2
            tried = attempt(stage[middle])
            if tried[2] <= limit:
                high, best = middle, tried
            else:
                low = middle
        return best[0], best[1]
    raise DeliveryError(
        f"digest {digest.key!r} is {smallest} bytes even with its papers as one-line links "
        f"and every section that can be cut cut, over [email] max_bytes = {limit}; raise "
        "max_bytes or follow fewer topics"
    )


def cut_papers(digest: Digest) -> int:
    """Papers an email had no room for (each is behind a "…and N more" link)."""
    return sum(s.cut for s in digest.sections)


def line_count(sections: Sequence[Section]) -> int:
    """Papers shown as one-line links."""
    return sum(len(s.line_items) for s in sections)
