"""Hostile text from a source, through every output: inert everywhere, links only to http(s).

One digest per hostile string, with the string in every field a source or a section can fill
(title, abstract, AI summary, authors, organisation, repository, project page, labels, reason,
sparkline, section title/note/details, source health, digest title and notes), rendered to:

    HTML (the email's HTML part, before and after CSS inlining)
    text (the email's text part)
    Markdown (the archive and the Prefect artifact), read by markdown-it in CommonMark mode with
        raw HTML enabled and disabled
    the composed email (headers parsed back), the Atom feed (parsed back), the archive index

Each output is compared with the same digest built from benign text (its "twin"): hostile text
may remove a link (a refused URL) but never add a tag, attribute, token, header or line.
Bytes a parser must refuse or repair are tested through the parsers, then the same outputs.
"""

from __future__ import annotations

import dataclasses
import email
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from paperpulse.core.errors import ParseError
from paperpulse.core.models import Author, AuthorProfile, Listing, Paper, Sighting
from paperpulse.delivery.git_archive import ArchiveRepo
from paperpulse.digest.archive_paths import ArchiveEntry, build_index, daily_path
from paperpulse.digest.email_message import build_message
from paperpulse.digest.escaping import one_line
from paperpulse.digest.feed import FeedEntry, build_feed, digest_entry_id, feed_id, paper_entry_id
from paperpulse.digest.models import Digest, DigestItem, RenderedDigest, Section, SourceHealth
from paperpulse.digest.render import render_all
from paperpulse.scrapers import arxiv_api, arxiv_listing, hf_daily, hf_papers
from paperpulse.scrapers import semantic_scholar as s2
from tests.digest.test_email_message import OUR_HEADERS
from tests.digest_builders import build_daily
from tests.reliability.hostile import HOSTILE, INVALID_BYTES, ONE_MEGABYTE, SURROGATE_ESCAPES
from tests.reliability.record import record
from tests.replay import render_page

NOW = datetime(2024, 8, 1, 6, 0, tzinfo=UTC)
DAY = date(2024, 8, 1)
CATEGORY = "Hostile input"
BENIGN = "Benign text"
BENIGN_REPO = "https://github.com/owner/repo"
FIELDS = (
    "title",
    "abstract",
    "ai_summary",
    "authors",
    "organization",
    "github_repo",
    "project_page",
    "labels",
    "reason",
    "sparkline",
    "section title",
    "section note",
    "section details",
    "health source",
    "health error",
    "digest title",
    "digest notes",
)
OUTPUTS = (
    "HTML",
    "HTML email part",
    "text email part",
    "email headers",
    "Markdown (raw HTML on)",
    "Markdown (raw HTML off)",
    "Atom feed",
    "archive index",
)
ALLOWED_ATTRIBUTES = frozenset(
    {"class", "href", "lang", "charset", "name", "content", "style"}
    # the email's table layout
    | {"role", "width", "cellpadding", "cellspacing", "border", "align"}
)
ATOM = "{http://www.w3.org/2005/Atom}"
ATOM_ELEMENTS = frozenset(
    {"feed", "id", "title", "link", "updated", "generator", "author", "name", "entry", "summary"}
)
# C0/C1 controls, bidi embeddings/overrides/isolates, lone surrogates: never in an output.
HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
HEADERS = Counter(OUR_HEADERS)  # each exactly once
MESSAGE = {
    "sender": "paperpulse <digest@example.org>",
    "recipient": "reader@example.org",
    "list_id": "daily.paperpulse.example.org",
    "unsubscribe": "https://example.org/unsubscribe",
    "message_id_domain": "example.org",
    "date": NOW,
}


# --- building a digest full of one string ---------------------------------------------------


def paper(arxiv_id: str, value: str, *, repo: str | None, ai_summary: str | None) -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        title=value,
        authors=(
            Author(name=value, hf_user=value, affiliation=value),
            Author(name="Ada Lovelace"),
            Author(name=value),
            Author(name="Alan Turing"),
        ),
        abstract=f"{value}. Second sentence.",
        organization=value,
        github_repo=repo,
        project_page=value,
        ai_summary=ai_summary,
        ai_keywords=(value,),
        categories=("cs.CL",),
        comment=value,
    )


def digest_of(value: str, repo: str) -> Digest:
    """A digest with ``value`` in every text field and ``repo`` as every repository.

    HF gives the repository as a URL; a value without "://" is taken as "owner/name" on GitHub.
    """
    with_summary = paper("2401.00001", value, repo=repo, ai_summary=value)
    with_abstract = paper("2401.00002", value, repo=repo, ai_summary=None)
    items = tuple(
        DigestItem(
            paper=p,
            upvotes=12,
            gain=3,
            comments=2,
            stars=40,
            is_new=True,
            reason=value,
            sparkline=value,
            labels=(value, "rising"),
        )
        for p in (with_summary, with_abstract)
    )
    return Digest(
        edition="daily",
        period=DAY.isoformat(),
        title=value,
        generated_at=NOW,
        sections=(
            Section(title=value, items=items, note=value, more=3, details=(value, value)),
            Section(title=value, note=value, details=(value,)),
        ),
        health=(
            SourceHealth(source=value, status="failed", error=value),
            SourceHealth(source="arxiv-listing", status="failed", error=None),
            SourceHealth(source="hf-daily", status="complete", fetched=2),
        ),
        notes=(value, value),
    )


@dataclasses.dataclass(frozen=True)
class Outputs:
    rendered: RenderedDigest
    message: EmailMessage
    feed: bytes
    index: str


def outputs(digest: Digest) -> Outputs:
    rendered = render_all(digest)
    message = build_message(rendered, **MESSAGE)  # type: ignore[arg-type]
    papers = [item.paper for section in digest.sections for item in section.items]
    entries = [
        FeedEntry(
            id=digest_entry_id(rendered.key),
            title=digest.title,
            link="https://example.org/archive/2024/08/2024-08-01.md",
            updated=NOW,
            summary_html=rendered.html,
        ),
        *(
            FeedEntry(
                id=paper_entry_id(p.arxiv_id),
                title=p.title,
                link=p.hf_url,
                updated=NOW,
                summary_text=p.abstract,
                authors=tuple(a.name for a in p.authors),
            )
            for p in papers
        ),
    ]
    feed = build_feed(
        feed_id=feed_id("daily"),
        title=digest.title,
        link="https://example.org/",
        updated=NOW,
        entries=entries,
        author=digest.title,
    )
    entry = ArchiveEntry(period=DAY, title=digest.title, path=daily_path(DAY), n_papers=2)
    return Outputs(rendered=rendered, message=message, feed=feed, index=build_index([entry]))


@pytest.fixture(scope="module")
def twin() -> Outputs:
    return outputs(digest_of(BENIGN, BENIGN_REPO))


# --- what "inert" means for each output -----------------------------------------------------


class Shape(HTMLParser):
    """Tags, attributes, comments and text of an HTML document, as a browser would see them."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.attributes: list[tuple[str, str, str | None]] = []
        self.comments: list[str] = []
        self.chunks: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self.attributes += [(tag, name, value) for name, value in attrs]

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.chunks).split())


def is_http_link(value: str | None) -> bool:
    if not value:
        return False
    parts = urlsplit(value)
    clean = not any(c.isspace() or unicodedata.category(c) == "Cc" for c in value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and clean


def assert_inert_html(markup: str, benign: str, where: str, *, relative: bool = False) -> Shape:
    """No tag, comment or attribute beyond the twin's; links http(s) (``relative``: or a
    relative path, as the archive index links its own files); no control or bidi character."""
    shape, twin = Shape(markup), Shape(benign)
    assert not shape.tags - twin.tags, f"{where}: tags injected {shape.tags - twin.tags}"
    assert shape.comments == twin.comments, f"{where}: comments injected"
    for tag, name, value in shape.attributes:
        assert name in ALLOWED_ATTRIBUTES, f"{where}: attribute {name!r} on <{tag}>"
        if name == "href":
            ok = value == "#" or is_http_link(value) or (relative and is_archive_path(value))
            assert ok, f"{where}: link to {value!r}"
    hidden = HIDDEN.findall(shape.text)  # whitespace is already collapsed in shape.text
    assert not hidden, f"{where}: control or bidi characters {hidden!r} in the text"
    return shape


def is_archive_path(value: str | None) -> bool:
    return bool(value) and urlsplit(value or "").scheme == "" and (value or "").endswith(".md")


def flat_tokens(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        yield from flat_tokens(token.children or [])


def assert_inert_markdown(
    text: str, benign: str, where: str, *, relative: bool = False
) -> list[Shape]:
    shapes = []
    for raw_html in (True, False):
        parser = MarkdownIt("commonmark", {"html": raw_html})
        kinds = Counter(t.type for t in flat_tokens(parser.parse(text)))
        twin = Counter(t.type for t in flat_tokens(parser.parse(benign)))
        for plain in ("text", "text_special"):  # escapes split text runs differently
            kinds.pop(plain, None)
            twin.pop(plain, None)
        mode = f"{where} (raw HTML {'on' if raw_html else 'off'})"
        assert not kinds - twin, f"{mode}: Markdown tokens injected {kinds - twin}"
        html = parser.render(text)
        shapes.append(assert_inert_html(html, parser.render(benign), mode, relative=relative))
    return shapes


def assert_inert_text(text: str, benign: str, where: str) -> None:
    lines, twin = text.split("\n"), benign.split("\n")
    assert len(lines) <= len(twin), f"{where}: {len(lines) - len(twin)} lines injected"
    hidden = HIDDEN.findall(text.replace("\n", " "))
    assert not hidden, f"{where}: control or bidi characters {hidden!r}"


def assert_inert_message(message: EmailMessage, twin: EmailMessage, subject: str) -> None:
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert Counter(parsed.keys()) == HEADERS, f"headers: {sorted(parsed.keys())}"
    assert str(parsed["Subject"]) == subject and "\n" not in subject and "\r" not in subject
    assert str(parsed["To"]) == MESSAGE["recipient"]
    assert parsed.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in parsed.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    benign = email.message_from_bytes(twin.as_bytes(), policy=policy.default)
    assert isinstance(benign, EmailMessage)
    text, html = (parsed.get_body((kind,)) for kind in ("plain", "html"))
    benign_text, benign_html = (benign.get_body((kind,)) for kind in ("plain", "html"))
    assert text is not None and html is not None
    assert benign_text is not None and benign_html is not None
    plain, benign_plain = (t.get_content().replace("\r\n", "\n") for t in (text, benign_text))
    assert_inert_text(plain, benign_plain, "text email part")
    assert_inert_html(html.get_content(), benign_html.get_content(), "HTML email part")


def assert_inert_feed(data: bytes, benign: bytes, title: str) -> None:
    root = ET.fromstring(data)
    for element in root.iter():
        assert element.tag.startswith(ATOM), f"feed: foreign element {element.tag}"
        assert element.tag.removeprefix(ATOM) in ATOM_ELEMENTS, f"feed: element {element.tag}"
    for link in root.iter(f"{ATOM}link"):
        assert is_http_link(link.get("href")), f"feed: link to {link.get('href')!r}"
    for node in root.iter(f"{ATOM}title"):
        assert len(node) == 0, "feed: markup inside a title"
    assert root.findtext(f"{ATOM}title") == (one_line(title) or "paperpulse")
    twin = ET.fromstring(benign).find(f"{ATOM}entry/{ATOM}summary")
    summary = root.find(f"{ATOM}entry/{ATOM}summary")
    assert summary is not None and twin is not None and summary.get("type") == "html"
    assert_inert_html(summary.text or "", twin.text or "", "feed summary (HTML)")


def assert_inert_everywhere(title: str, digest_title: str, got: Outputs, twin: Outputs) -> None:
    """Every output inert; ``title`` (a paper's) still readable as text in HTML and Markdown."""
    rendered = got.rendered
    shape = assert_inert_html(rendered.html, twin.rendered.html, "HTML")
    assert one_line(title) in shape.text, "HTML: the title is not shown as text"
    assert_inert_text(rendered.text, twin.rendered.text, "text")
    for markdown_shape in assert_inert_markdown(
        rendered.markdown, twin.rendered.markdown, "Markdown"
    ):
        assert one_line(title) in markdown_shape.text, "Markdown: the title is not shown as text"
    assert_inert_message(got.message, twin.message, rendered.subject)
    assert_inert_feed(got.feed, twin.feed, digest_title)
    assert_inert_markdown(got.index, twin.index, "archive index", relative=True)


# --- the corpus through every output ---------------------------------------------------------


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_text_is_inert_in_every_output(name: str, twin: Outputs) -> None:
    value = HOSTILE[name]
    got = outputs(digest_of(value, value))

    assert_inert_everywhere(value, value, got, twin)
    record(
        category=CATEGORY,
        case=name,
        where=f"{len(FIELDS)} digest fields → {len(OUTPUTS)} outputs",
        outcome="escaped or flattened; no tag, attribute, link, header or line added",
        trials=len(FIELDS) * len(OUTPUTS),
    )


@pytest.mark.parametrize(
    "url",
    [v for k, v in HOSTILE.items() if "URL" in k] + ["//evil.example/x", "/relative", "ftp://x.y"],
)
def test_only_http_urls_become_links(url: str, twin: Outputs) -> None:
    got = outputs(digest_of(BENIGN, url))
    hrefs = [
        value
        for markup in (
            got.rendered.html,
            *(MarkdownIt("commonmark").render(got.rendered.markdown),),
        )
        for _, name, value in Shape(markup).attributes
        if name == "href"
    ]
    assert all(h == "#" or is_http_link(h) for h in hrefs), hrefs
    assert_inert_everywhere(BENIGN, BENIGN, got, twin)
    record(
        category=CATEGORY,
        case=f"repository URL {url!r}",
        where="github_repo (full URL and owner/name) → HTML, Markdown, text, email",
        outcome="no link unless http(s) with a host; javascript:/data:/relative refused",
        trials=2 * 4,
    )


# --- through the parsers: what a source can really send -------------------------------------


def hf_item(arxiv_id: str, value: str, repo: str | None = None) -> dict[str, object]:
    return {
        "paper": {
            "id": arxiv_id,
            "title": value,
            "summary": value,
            "ai_summary": value,
            "ai_keywords": [value],
            "authors": [{"name": value, "hidden": False}, {"name": "Ada Lovelace"}],
            "upvotes": 7,
            "githubRepo": value if repo is None else repo,
            "projectPage": value,
            "publishedAt": "2024-07-31T00:00:00.000Z",
            "submittedOnDailyAt": "2024-08-01T00:00:00.000Z",
        },
        "title": value,
        "numComments": 1,
        "organization": {"name": value, "fullname": value},
    }


def digest_from(listing: Listing) -> Digest:
    items = [
        (
            item.paper,
            Sighting(
                arxiv_id=item.paper.arxiv_id,
                source=listing.source,
                period=listing.period,
                run_id=1,
                observed_at=NOW,
                rank=item.rank,
                upvotes=item.upvotes,
                comments=item.comments,
            ),
        )
        for item in listing.items
    ]
    return build_daily(
        list_date=DAY,
        items=items,
        previous={},
        new_ids={p.arxiv_id for p, _ in items},
        updated=0,
        health=[SourceHealth(source="hf-daily", status="complete", fetched=len(items))],
        generated_at=NOW,
    )


@pytest.fixture(scope="module")
def parsed_twin() -> Outputs:
    listing = hf_daily.parse_api(
        json.dumps([hf_item("2401.00001", BENIGN, repo=BENIGN_REPO)]).encode(),
        url="https://huggingface.co/api/daily_papers?date=2024-08-01",
        requested_date=DAY,
        fetched_at=NOW,
    )
    return outputs(digest_from(listing))


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_fields_from_the_hf_api_and_page_parse_alike_and_render_inert(
    name: str, parsed_twin: Outputs
) -> None:
    value = HOSTILE[name]
    items = [hf_item("2401.00001", value)]
    api = hf_daily.parse_api(
        json.dumps(items).encode(),
        url="https://huggingface.co/api/daily_papers?date=2024-08-01",
        requested_date=DAY,
        fetched_at=NOW,
    )
    page = hf_daily.parse_page(
        render_page(DAY.isoformat(), items).encode("utf-8", "replace"),  # cards only
        url="https://huggingface.co/papers/date/2024-08-01",
        requested_date=DAY,
        fetched_at=NOW,
    )
    assert api.items == page.items  # entity-encoded page data decodes to the same values
    digest = digest_from(api)
    assert_inert_everywhere(api.items[0].paper.title, digest.title, outputs(digest), parsed_twin)
    record(
        category=CATEGORY,
        case=name,
        where="HF API JSON and HTML page (8 fields) → parser → daily digest → all outputs",
        outcome="parsed alike by both routes; inert in every output",
        trials=2,
    )


def parsed_text(parse: Callable[[], object]) -> str:
    """The titles/names a parser read, or "ParseError" when it refused the bytes."""
    try:
        result = parse()
    except ParseError:
        return "ParseError"
    if isinstance(result, Listing):
        return " ".join(item.paper.title for item in result.items)
    if isinstance(result, hf_papers.PaperDetails):
        return result.item.paper.title
    assert isinstance(result, (AuthorProfile, arxiv_api.ApiPage))
    if isinstance(result, AuthorProfile):
        return result.name
    return " ".join(item.paper.title for item in result.listing.items)


@pytest.mark.parametrize("name", list(INVALID_BYTES))
def test_invalid_utf8_is_refused_or_replaced_by_every_parser(name: str) -> None:
    bad = INVALID_BYTES[name]
    url = "https://example.org/source"
    api_body = json.dumps([hf_item("2401.00001", "@@@")]).encode().replace(b"@@@", bad)
    page_body = render_page(DAY.isoformat(), [hf_item("2401.00001", "@@@")]).encode()
    parsers: dict[str, Callable[[], object]] = {
        "HF API": lambda: hf_daily.parse_api(api_body, url=url, requested_date=DAY, fetched_at=NOW),
        "HF page": lambda: hf_daily.parse_page(
            page_body.replace(b"@@@", bad), url=url, requested_date=DAY, fetched_at=NOW
        ),
        "HF search": lambda: hf_papers.parse_search(api_body, url=url, query="q", fetched_at=NOW),
        "HF paper": lambda: hf_papers.parse_paper(api_body[1:-1], url=url),
        "Semantic Scholar": lambda: s2.parse_author(
            b'{"authorId": "1", "name": "@@@"}'.replace(b"@@@", bad), url
        ),
        "arXiv API": lambda: arxiv_api.parse_api_response(_atom_with(bad), url, fetched_at=NOW),
        "arXiv listing": lambda: arxiv_listing.parse_listing(
            _listing_with(bad), url, fetched_at=NOW
        ),
    }
    outcomes: dict[str, list[str]] = {}
    for where, parse in parsers.items():
        text = parsed_text(parse)
        assert text == "ParseError" or ("\ufffd" in text and text.encode("utf-8")), where
        outcome = "ParseError" if text == "ParseError" else "decoded with U+FFFD"
        outcomes.setdefault(outcome, []).append(where)
    # Pages are decoded leniently (browsers do the same); strict JSON decoding refuses, except
    # for an encoded surrogate, which json.loads lets through and the parsers then replace.
    assert "HF page" in outcomes["decoded with U+FFFD"]
    assert "arXiv listing" in outcomes["decoded with U+FFFD"]
    for outcome, wheres in outcomes.items():
        record(
            category=CATEGORY,
            case=name,
            where=", ".join(wheres) + " (bytes)",
            outcome=f"{outcome}; no crash" if outcome == "ParseError" else f"{outcome}; parsed",
            trials=len(wheres),
        )


@pytest.mark.parametrize("name", list(SURROGATE_ESCAPES))
def test_lone_surrogates_from_json_escapes_are_replaced_before_anything_stores_them(
    name: str, tmp_path: Path
) -> None:
    escaped = SURROGATE_ESCAPES[name]
    body = json.dumps([hf_item("2401.00001", "@@@")]).replace("@@@", escaped).encode()
    listing = hf_daily.parse_api(
        body,
        url="https://huggingface.co/api/daily_papers?date=2024-08-01",
        requested_date=DAY,
        fetched_at=NOW,
    )
    paper = listing.items[0].paper
    texts = [
        paper.title,
        paper.abstract,
        paper.ai_summary or "",
        paper.organization or "",
        paper.github_repo or "",
        paper.project_page or "",
        *(a.name for a in paper.authors),
        *paper.ai_keywords,
    ]
    assert all(text.encode("utf-8") for text in texts)  # no lone surrogate left
    assert "\ufffd" in paper.title
    got = outputs(digest_from(listing))
    got.message.as_bytes()
    repo = ArchiveRepo(tmp_path / "archive", "paperpulse", "bot@example.org")
    repo.write_and_commit({daily_path(DAY): got.rendered.markdown}, "digest 2024-08-01")
    profile = s2.parse_author(
        json.dumps({"authorId": "1", "name": "@@@", "affiliations": ["@@@"]})
        .replace("@@@", escaped)
        .encode(),
        "https://api.semanticscholar.org/graph/v1/author/1",
    )
    assert profile.name.encode("utf-8") and all(a.encode("utf-8") for a in profile.affiliations)
    record(
        category=CATEGORY,
        case=name,
        where="HF API (8 fields), Semantic Scholar author → render, email, archive commit",
        outcome="replaced by U+FFFD at parse; email and archive write succeed",
        trials=2,
    )


def test_a_one_megabyte_title_renders_escaped_everywhere(tmp_path: Path) -> None:
    huge = ("<b>A</b> " * (ONE_MEGABYTE // 9))[:ONE_MEGABYTE]
    body = json.dumps([hf_item("2401.00001", huge)]).encode()
    listing = hf_daily.parse_api(
        body,
        url="https://huggingface.co/api/daily_papers?date=2024-08-01",
        requested_date=DAY,
        fetched_at=NOW,
    )
    assert len(listing.items[0].paper.title) >= ONE_MEGABYTE - 10
    digest = digest_from(listing)
    got = outputs(digest)
    benign = outputs(
        digest_from(
            hf_daily.parse_api(
                json.dumps([hf_item("2401.00001", BENIGN)]).encode(),
                url="https://huggingface.co/api/daily_papers?date=2024-08-01",
                requested_date=DAY,
                fetched_at=NOW,
            )
        )
    )
    assert "<b>" not in got.rendered.html and "<b>" not in got.rendered.markdown.replace("\\<", "")
    assert len(got.rendered.subject) <= 200
    shape = Shape(got.rendered.html)
    assert "b" not in shape.tags and not [a for a in shape.attributes if a[1].startswith("on")]
    parsed = email.message_from_bytes(got.message.as_bytes(), policy=policy.default)
    assert Counter(parsed.keys()) == HEADERS
    assert_inert_feed(got.feed, benign.feed, digest.title)
    repo = ArchiveRepo(tmp_path / "archive", "paperpulse", "bot@example.org")
    result = repo.write_and_commit({daily_path(DAY): got.rendered.markdown}, "digest")
    assert result.committed
    record(
        category=CATEGORY,
        case="1 MB title of <b> tags (also abstract, authors, organisation)",
        where="HF API → parser → render, email, feed, archive commit",
        outcome="escaped; subject cut to 200 characters; everything builds",
        trials=1,
    )


def _atom_with(text: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        b'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"><title>q</title>'
        b"<opensearch:totalResults>1</opensearch:totalResults>"
        b"<opensearch:startIndex>0</opensearch:startIndex>"
        b"<opensearch:itemsPerPage>1</opensearch:itemsPerPage><entry>"
        b"<id>http://arxiv.org/abs/2401.00001v1</id><title>" + text + b"</title></entry></feed>"
    )


def _listing_with(text: bytes) -> bytes:
    return (
        b"<html><body><div id='dlpage'><h3>Showing new listings for Thursday, 1 August 2024</h3>"
        b"<dl id='articles'><h3>New submissions (showing 1 of 1 entries)</h3>"
        b"<dt><a href='/abs/2401.00001' title='Abstract'>arXiv:2401.00001</a></dt>"
        b"<dd><div class='meta'><div class='list-title mathjax'><span class='descriptor'>"
        b"Title:</span> " + text + b"</div><div class='list-authors'><a href='/a/x'>A</a></div>"
        b"<div class='list-subjects'><span class='primary-subject'>Computation and Language "
        b"(cs.CL)</span></div></div></dd></dl></div></body></html>"
    )
