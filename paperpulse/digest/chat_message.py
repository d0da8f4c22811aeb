"""A digest as a short chat or push message: the top papers with links, a link to the rest.

Pure. Chat apps show a few lines, so the message carries the first ``top`` papers of the
digest (sections in order, each paper once), one line each, in Markdown, which Apprise
converts for services that want something else.
"""

from __future__ import annotations

from dataclasses import dataclass

from paperpulse.digest.escaping import md_escape, one_line, truncate
from paperpulse.digest.models import Digest, DigestItem
from paperpulse.digest.presentation import ReaderLinks, failure_lines, paper_url
from paperpulse.digest.render import md_url, plural

TITLE_CHARS = 140  # a chat line, not a page


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatMessage:
    title: str  # one line
    body: str  # Markdown
    shown: tuple[tuple[str, int | None, bool], ...] = ()  # for the reader's ledger


def top_items(digest: Digest, top: int) -> list[DigestItem]:
    """The first ``top`` papers, sections in order (topics first), each paper once."""
    seen: set[str] = set()
    items: list[DigestItem] = []
    for section in digest.sections:
        for item in section.items:
            if item.paper.arxiv_id not in seen and len(items) < top:
                seen.add(item.paper.arxiv_id)
                items.append(item)
    return items


def chat_message(digest: Digest, *, top: int = 5, links: ReaderLinks | None = None) -> ChatMessage:
    links = links or ReaderLinks()
    items = top_items(digest, top)
    title = one_line(f"paperpulse · {digest.title}")
    lines = [
        f"{plural(digest.paper_count, 'paper')} · {digest.new_count} new · "
        f"{digest.rising_count} rising"
    ]
    lines += [md_escape(note) for note in digest.notes]
    lines += [md_escape(line) for line in failure_lines(digest.health, digest.edition)]
    for n, item in enumerate(items, start=1):
        stats = [plural(item.upvotes, "upvote")] if item.upvotes is not None else []
        if item.is_new:
            stats.append("new")
        name = md_escape(truncate(one_line(item.paper.title), TITLE_CHARS))
        suffix = f" · {' · '.join(stats)}" if stats else ""
        lines.append(f"{n}. [{name}]({md_url(paper_url(item))}){suffix}")
    if not items:
        lines.append("No papers in this digest.")
    if links.digest_url:
        lines.append(f"[The whole digest]({md_url(links.digest_url)})")
    shown = tuple((i.paper.arxiv_id, i.upvotes, i.is_new) for i in items)
    return ChatMessage(title=title, body="\n".join(lines), shown=shown)
