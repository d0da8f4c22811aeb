"""Render a ``Digest`` value with Jinja2: Markdown, HTML and plain text from one value."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from paperpulse.core.models import Author
from paperpulse.core.text import first_sentence
from paperpulse.digest.escaping import TEMPLATE_FILTERS, header_safe, md_escape, printable, safe_url
from paperpulse.digest.models import Digest, RenderedDigest
from paperpulse.digest.presentation import (
    ReaderLinks,
    author_count,
    failure_lines,
    line_stat,
    paper_url,
    pdf_url,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FORMATS = ("md", "html", "txt")


def authors_short(authors: tuple[Author, ...], limit: int = 3) -> str:
    """ "A, B, C et al." — the first three names, as readers scan them."""
    names = [author.name for author in authors[:limit]]
    return ", ".join(names) + (" et al." if len(authors) > limit else "")


def md_url(url: str | None) -> str:
    """A link target safe inside Markdown ``(...)``: http(s) only, parentheses encoded."""
    checked = safe_url(url) if url else None
    if checked is None:
        return "#"
    return checked.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def signed(value: int | None) -> str:
    return "" if value is None else f"{value:+d}"


def github_url(repo: str | None) -> str | None:
    """HF stores the repository as a full URL; accept "owner/name" too."""
    if not repo:
        return None
    if "://" not in repo:
        repo = f"https://github.com/{repo.strip('/')}"
    return safe_url(repo)


def printed(value: Any) -> Any:
    """What every ``{{ ... }}`` prints: text loses control, bidi and lone-surrogate characters.

    The Markdown and text templates' filters drop them already; autoescaped HTML would keep
    them (a bidi override reorders what the reader sees, a lone surrogate cannot be encoded
    into the email). Markup is ours and already clean.
    """
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return printable(value)
    return value


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # Autoescape HTML always; Markdown and text templates escape with their own filters.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=printed,
    )
    env.filters.update(TEMPLATE_FILTERS)
    env.filters.update(
        md=md_escape,
        md_url=md_url,
        authors_short=authors_short,
        first_sentence=first_sentence,
        signed=signed,
        plural=plural,
        github_url=github_url,
        paper_url=paper_url,
        pdf_url=pdf_url,
        author_count=author_count,
        failure_lines=failure_lines,
        line_stat=line_stat,
    )
    return env


def render(digest: Digest, fmt: str = "md", links: ReaderLinks | None = None) -> str:
    """``links`` says where this reader's copy points (archive, unsubscribe); None: nowhere."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    template = environment().get_template(f"digest.{fmt}.j2")
    return template.render(digest=digest, links=links or ReaderLinks())


def subject(digest: Digest) -> str:
    """One header-safe line: the edition, the period and the top item."""
    top = next((s.items[0] for s in digest.sections if s.items), None)
    headline = f"paperpulse {digest.edition} · {digest.label or digest.period}"
    if top is None:
        return header_safe(f"{headline}: no papers")
    return header_safe(f"{headline}: {top.paper.title}")[:200]


def render_all(digest: Digest, links: ReaderLinks | None = None) -> RenderedDigest:
    return RenderedDigest(
        key=digest.key,
        subject=subject(digest),
        markdown=render(digest, "md", links),
        html=render(digest, "html", links),
        text=render(digest, "txt", links),
    )


def render_email(digest: Digest, links: ReaderLinks | None = None) -> RenderedDigest:
    """The parts an email carries (HTML and text), without the Markdown it never sends."""
    return RenderedDigest(
        key=digest.key,
        subject=subject(digest),
        markdown="",
        html=render(digest, "html", links),
        text=render(digest, "txt", links),
    )
