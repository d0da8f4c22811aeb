"""Atom feeds (RFC 4287) of digests, built with feedgen; pure: values in, bytes out.

Entry identity. An Atom id must never change once published, so ids are tag URIs (RFC 4151)
minted from stable keys, never from URLs or titles that may change:

* one entry per digest edition: ``tag:paperpulse,2024:daily/2024-08-01``,
  ``tag:paperpulse,2024:weekly/2024-W31`` (``digest_entry_id(rendered.key)``); a per-topic feed
  uses the topic's edition key, e.g. ``daily/2024-08-01/topic/llm``;
* one entry per paper, for paper-level feeds: ``tag:paperpulse,2024:arxiv/2408.01234``
  (``paper_entry_id``; the id without version, so v2 updates the same entry);
* the feed itself: ``tag:paperpulse,2024:feed/daily`` or ``.../feed/topic/llm`` (``feed_id``).

The date in a tag URI is when the authority was held, not the entry's date, so it is a constant.
Titles and names are text nodes (lxml escapes them); HTML summaries are embedded escaped with
``type="html"`` and must be our rendered, already-escaped HTML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from feedgen.feed import FeedGenerator
from markupsafe import Markup

from paperpulse.core.errors import DeliveryError
from paperpulse.core.models import Paper
from paperpulse.digest.escaping import one_line, safe_url

TAG_AUTHORITY = "paperpulse"
TAG_DATE = "2024"
# Characters XML 1.0 forbids even escaped; lxml refuses them, so they are dropped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
# pchar / "/" / "?" of RFC 4151, minus "%" so every input is encoded the same way.
_TAG_SAFE = "/?:@-._~!$&'()*+,;="


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedEntry:
    """One Atom entry. Give ``summary_html`` (our rendered HTML) or ``summary_text``, not both."""

    id: str
    title: str
    link: str
    updated: datetime  # timezone-aware
    summary_html: str | None = None
    summary_text: str | None = None
    authors: tuple[str, ...] = ()
    content_html: str | None = None  # the entry's body: built by paper_content, never a page

    def __post_init__(self) -> None:
        if self.summary_html is not None and self.summary_text is not None:
            raise ValueError(f"feed entry {self.id!r}: give summary_html or summary_text, not both")


def tag_id(specific: str, *, authority: str = TAG_AUTHORITY, date: str = TAG_DATE) -> str:
    """``tag:<authority>,<date>:<specific>``, percent-encoding what a tag URI cannot hold."""
    return f"tag:{authority},{date}:{quote(one_line(specific), safe=_TAG_SAFE)}"


def digest_entry_id(key: str) -> str:
    """Entry id of one digest edition, from ``RenderedDigest.key`` (e.g. ``daily/2024-08-01``)."""
    return tag_id(key)


def paper_entry_id(arxiv_id: str) -> str:
    """Entry id of one paper, from its arXiv id without version."""
    return tag_id(f"arxiv/{arxiv_id}")


def feed_id(name: str) -> str:
    """Id of a feed, e.g. ``feed_id("daily")`` or ``feed_id("topic/llm")``."""
    return tag_id(f"feed/{name}")


def build_feed(
    *,
    feed_id: str,
    title: str,
    link: str,
    updated: datetime,
    entries: Sequence[FeedEntry],
    self_link: str | None = None,
    author: str = "paperpulse",
) -> bytes:
    """A UTF-8 Atom document; entries keep the given order (put the latest first).

    Raises DeliveryError for an id that is not an IRI, a link that is not http(s), or a naive
    datetime: a feed reader would otherwise silently drop or duplicate entries.
    """
    generator = FeedGenerator()
    generator.id(_iri("feed", feed_id))
    generator.title(_text(title) or "paperpulse")
    generator.link(href=_link("feed", link), rel="alternate")
    if self_link is not None:
        generator.link(href=_link("feed self", self_link), rel="self")
    generator.updated(_utc("feed", updated))
    generator.generator("paperpulse")  # not feedgen's version: the bytes change only with content
    # RFC 4287 needs an author on the feed unless every entry has one.
    generator.author({"name": _text(author) or "paperpulse"})
    for entry in entries:
        item = generator.add_entry(order="append")
        item.id(_iri("entry", entry.id))
        item.title(_text(entry.title) or entry.id)
        item.link(href=_link(f"entry {entry.id}", entry.link), rel="alternate")
        item.updated(_utc(f"entry {entry.id}", entry.updated))
        if entry.summary_html is not None:
            item.summary(_XML_INVALID.sub("", entry.summary_html), type="html")
        elif entry.summary_text is not None:
            item.summary(_XML_INVALID.sub("", entry.summary_text), type="text")
        if entry.content_html is not None:
            item.content(_XML_INVALID.sub("", entry.content_html), type="html")
        for name in entry.authors:
            if _text(name):
                item.author({"name": _text(name)})
    document: bytes = generator.atom_str(pretty=True, encoding="UTF-8")
    return document


def _text(value: str) -> str:
    return _XML_INVALID.sub("", one_line(value))


def _iri(what: str, value: str) -> str:
    if not _IRI.match(value):
        raise DeliveryError(f"{what} id {value!r} is not an IRI; use tag_id() or feed_id()")
    return value


def _link(what: str, value: str) -> str:
    url = safe_url(value)
    if url is None:
        raise DeliveryError(f"{what} link {value!r} is not an absolute http(s) URL")
    return url


def _utc(what: str, value: datetime) -> datetime:
    if value.tzinfo is None:
        raise DeliveryError(f"{what} time {value} must be timezone-aware (UTC)")
    return value.astimezone(UTC)


def paper_content(
    paper: Paper, *, page: str | None = None, actions: Mapping[str, str] | None = None
) -> str:
    """An entry's HTML body: the paper's summary and abstract, then its links. Built only from
    escaped text and checked URLs (paragraphs and links, no style, no script, no page).
    ``actions``: the web app's paper page and signed like / hide links ("page", "like", "hide")."""
    parts = []
    if paper.ai_summary:
        parts.append(Markup("<p><strong>{}</strong></p>").format(one_line(paper.ai_summary)))
    if paper.abstract:
        parts.append(Markup("<p>{}</p>").format(one_line(paper.abstract)))
    authors = [a.name for a in paper.authors]
    if authors:
        shown = ", ".join(authors[:10]) + (
            f" and {len(authors) - 10} more" if len(authors) > 10 else ""
        )
        parts.append(Markup("<p>{}</p>").format(one_line(shown)))
    links = [
        ("Hugging Face", page or paper.hf_url),
        ("arXiv", paper.arxiv_url),
        ("PDF", f"https://arxiv.org/pdf/{paper.arxiv_id}"),
        ("code", _repo_url(paper.github_repo)),
        ("project page", paper.project_page),
        *(
            (label, (actions or {}).get(key))
            for label, key in (
                ("history", "page"),
                ("More like this", "like"),
                ("Not for me", "hide"),
            )
        ),
    ]
    anchors = [
        Markup('<a href="{}">{}</a>').format(url, label)
        for label, raw in links
        if raw and (url := safe_url(raw))
    ]
    parts.append(Markup("<p>{}</p>").format(Markup(" · ").join(anchors)))
    return str(Markup("").join(parts))


def _repo_url(repo: str | None) -> str | None:
    if not repo:
        return None
    return repo if "://" in repo else f"https://github.com/{repo.strip('/')}"
