"""Parse arXiv listing pages: ``/list/<cat>/new``, ``/recent`` and ``/pastweek``.

The page is a run of ``h3`` headings and ``dt``/``dd`` pairs inside ``div#dlpage``. A heading is
either a section of a /new page ("New submissions (showing 47 of 47 entries)") or a day of a
/recent page ("Mon, 27 Jul 2026 (showing first 3 of 110 entries )"). Its "showing X" counts the
entries *this page* holds under it, so a parse that finds any other number means the layout
drifted: we raise ``LayoutChanged`` instead of returning a short listing. The 2014 layout (headings
"New submissions for Fri, 13 Jun 14", no per-section counts, "total of 72 entries") parses too.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime
from urllib.parse import urlencode

from selectolax.lexbor import LexborNode

from paperpulse.core.errors import LayoutChanged, ParseError
from paperpulse.core.kinds import Source
from paperpulse.core.models import Listing, ListingItem, Paper, split_arxiv_id
from paperpulse.scrapers.author_values import authors_named
from paperpulse.scrapers.dom import parse_html

SOURCE = Source.ARXIV_LISTING
NOTHING_ANNOUNCED = "arXiv announced no entries for this listing"  # the page said so itself
ARXIV_BASE = "https://arxiv.org"
LISTING_KINDS = ("new", "recent", "pastweek")
_HINT = (
    "the arXiv listing layout may have changed — run `paperpulse parse arxiv-listing FILE` "
    "on a saved copy"
)

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_DATE = re.compile(r"(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]{3,9})\.?\s+(?P<year>\d{4}|\d{2})\b")
_ANNOUNCED = re.compile(r"^Showing new listings for (?P<date>.+)$", re.IGNORECASE)
_SECTION = re.compile(
    r"^(?P<label>New submissions|Cross submissions|Cross-lists|Replacement submissions"
    r"|Replacements)(?:\s+for\s+(?P<date>[^(]+?))?\s*(?:\((?P<count>[^)]*)\))?$",
    re.IGNORECASE,
)
_DAY_HEADING = re.compile(
    r"^(?P<date>(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+\d{1,2}\s+[A-Za-z]+\s+\d{2,4})"
    r"\s*(?:\((?P<count>[^)]*)\))?$"
)
_SHOWING = re.compile(
    r"showing\s+(?:first\s+|last\s+)?(?P<shown>\d+)\s+of\s+(?P<total>\d+)\s+entries", re.IGNORECASE
)
# These three read the page's text as lexbor gives it: `\s+` where the words may be wrapped
# (collapsing the whole text first cost more than the parse of every entry's title).
_TOTAL = re.compile(r"total\s+of\s+(?P<total>\d+)\s+entries", re.IGNORECASE)
_PAGE_SIZE = re.compile(r"showing\s+up\s+to\s+(?P<show>\d+)\s+entries\s+per\s+page", re.IGNORECASE)
_RANGE = re.compile(r"^(?P<first>\d+)\s*-\s*(?P<last>\d+)$")
_NOTHING_LISTED = re.compile(
    r"no\s+(?:updates\s+(?:today|for\s+this\s+time\s+period)|new\s+submissions)", re.IGNORECASE
)
# A case-insensitive search cannot skip ahead on a literal; this case-sensitive one over the
# lowered text can, and every match of _NOTHING_LISTED holds one of its matches (no letter of
# "no", "upd" or "new" has a case variant but its ASCII one), so a miss here settles it.
_MAYBE_NOTHING_LISTED = re.compile(r"no\s+(?:upd|new)")
_CATEGORY_CODE = re.compile(r"\((?P<code>[A-Za-z][A-Za-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?)\)\s*$")
_META_PARTS = (
    "div.list-title",
    "div.list-comments",
    "div.list-journal-ref",
    "div.list-subjects",
    "span.primary-subject",
    "p",
)
# ("div", "list-title") -> "div.list-title": the parts _meta_parts keeps, looked up per class.
_PART_KEYS: dict[tuple[str | None, str], str] = {
    (tag, name): part for part in _META_PARTS if "." in part for tag, name in [part.split(".", 1)]
}
_DESCRIPTOR = "span.descriptor"  # the "Title:" label inside a part
_AUTHOR_LINKS = "div.list-authors a"
_META_QUERY = ", ".join((*_META_PARTS, _DESCRIPTOR, _AUTHOR_LINKS))
_SECTION_NAMES = {
    "new submissions": "new",
    "cross submissions": "cross",
    "cross-lists": "cross",
    "replacement submissions": "replacement",
    "replacements": "replacement",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclaredSection:
    """One heading of the page, what it declares, and how many entries we found under it."""

    heading: str  # as printed, whitespace collapsed
    section: str | None  # "new" | "cross" | "replacement" on /new pages
    day: date | None  # the listing day the heading names (/recent, /pastweek, 2014 /new)
    shown: int | None  # "showing X": entries this page holds under the heading
    total: int | None  # "of Y": entries under the heading across all pages
    parsed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ListingPage:
    """A parsed listing page: the ``Listing`` plus what the page declared and where it sits."""

    listing: Listing
    sections: tuple[DeclaredSection, ...]
    total: int | None  # "Total of N entries" across all pages (also listing.declared_count)
    first: int | None  # 1-based position of this page's first entry ("1-50")
    last: int | None  # position of its last entry
    page_size: int | None  # "Showing up to N entries per page"

    @property
    def declared_counts(self) -> dict[str, int]:
        """Declared entries per section ("new", ...) or per day (ISO date), across all pages."""
        counts: dict[str, int] = {}
        for sec in self.sections:
            key = sec.section or (sec.day.isoformat() if sec.day else sec.heading)
            if sec.total is not None:
                counts[key] = counts.get(key, 0) + sec.total
        return counts


def listing_url(
    category: str,
    kind: str = "new",
    *,
    skip: int | None = None,
    show: int | None = None,
    base: str = ARXIV_BASE,
) -> str:
    """``https://arxiv.org/list/<category>/<kind>[?skip=&show=]``."""
    if kind not in LISTING_KINDS:
        raise ValueError(f"listing kind must be one of {LISTING_KINDS}, not {kind!r}")
    if not re.fullmatch(r"[A-Za-z][A-Za-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?", category):
        raise ValueError(f"not an arXiv category: {category!r}")
    url = f"{base.rstrip('/')}/list/{category}/{kind}"
    params = {k: v for k, v in (("skip", skip), ("show", show)) if v is not None}
    return f"{url}?{urlencode(params)}" if params else url


def next_page_params(page: ListingPage) -> dict[str, int] | None:
    """``{"skip": .., "show": ..}`` for the page after this one, or None on the last page."""
    if page.total is None or page.last is None or page.last >= page.total:
        return None
    show = page.page_size or (page.last - (page.first or 1) + 1)
    return {"skip": page.last, "show": show}


def parse_listing(html: str | bytes, url: str, *, fetched_at: datetime) -> Listing:
    """The ``Listing`` of one page; see ``parse_listing_page`` for the declared counts."""
    return parse_listing_page(html, url, fetched_at=fetched_at).listing


def parse_listing_page(html: str | bytes, url: str, *, fetched_at: datetime) -> ListingPage:
    """Parse one listing page; raise ``LayoutChanged`` when it holds other counts than declared."""
    tree = parse_html(html)
    scope = tree.css_first("#dlpage") or tree.root
    if scope is None:
        raise LayoutChanged(f"empty document; {_HINT}", source=SOURCE, url=url)
    page_text = scope.text()

    announced = _announcement_date(scope)
    headings, entries = _walk(scope, url, announced)
    total = _first_int(_TOTAL, page_text, "total")
    first, last = _page_range(scope)
    counts = Counter(entry.group for entry in entries)
    sections = tuple(
        DeclaredSection(
            heading=h.text,
            section=h.section,
            day=h.day,
            shown=h.shown,
            total=h.total,
            parsed=counts.get(index, 0),
        )
        for index, h in enumerate(headings)
    )
    nothing_listed = bool(
        _MAYBE_NOTHING_LISTED.search(page_text.lower()) and _NOTHING_LISTED.search(page_text)
    )
    _check_complete(url, sections, len(entries), total, first, last, nothing_listed)
    _check_selectors(url, entries)

    period_day = _period_day(announced, scope, headings, url)
    offset = (first - 1) if first else 0
    items = tuple(
        ListingItem(
            # Entries are dated by their day heading, else the announcement; the rare page
            # with neither takes the period's day here.
            paper=entry.paper
            if entry.paper.list_date
            else replace(entry.paper, list_date=period_day),
            rank=offset + position,
            section=_section_of(entry, headings),
        )
        for position, entry in enumerate(entries, start=1)
    )
    notes: list[str] = []
    if not entries and nothing_listed:
        notes.append(NOTHING_ANNOUNCED)
    if total is not None and last is not None and last < total:
        notes.append(f"this page holds entries {first}-{last} of {total}; more pages follow")
    listing = Listing(
        source=SOURCE,
        period=period_day.isoformat(),
        url=url,
        fetched_at=fetched_at,
        items=items,
        declared_count=total,
        notes=tuple(notes),
    )
    return ListingPage(
        listing=listing,
        sections=sections,
        total=total,
        first=first,
        last=last,
        page_size=_first_int(_PAGE_SIZE, page_text, "show"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Heading:
    text: str
    section: str | None
    day: date | None
    shown: int | None
    total: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Entry:
    paper: Paper
    group: int | None  # index of the heading it sits under
    marker: str | None  # "cross" / "replacement" from the dt's "(cross-list from ...)"


def _walk(
    scope: LexborNode, url: str, announced: date | None
) -> tuple[list[_Heading], list[_Entry]]:
    """Headings and entries in page order; each entry remembers the heading it sits under and
    is dated by that heading's day, else by the ``announced`` date."""
    headings: list[_Heading] = []
    entries: list[_Entry] = []
    pending_dt: LexborNode | None = None
    for node in scope.css("h3, dt, dd"):  # selectolax returns a selector list in document order
        if node.tag == "h3":
            if (heading := _classify_heading(_collapse(node.text()))) is not None:
                headings.append(heading)
        elif node.tag == "dt":
            if pending_dt is not None:
                raise _missing(url, len(entries) + 1, "dd", "a dt is not followed by its dd")
            pending_dt = node
        else:
            if pending_dt is None:
                raise _missing(url, len(entries) + 1, "dt", "a dd has no dt before it")
            group = len(headings) - 1 if headings else None
            day = (headings[-1].day if headings else None) or announced
            entries.append(_parse_entry(pending_dt, node, group, day, url, len(entries) + 1))
            pending_dt = None
    if pending_dt is not None:
        raise _missing(url, len(entries) + 1, "dd", "the last dt has no dd")
    return headings, entries


def _period_day(
    announced: date | None, scope: LexborNode, headings: list[_Heading], url: str
) -> date:
    """/new: the announcement date; /recent and /pastweek: the listing's newest day."""
    if announced is not None:
        return announced
    if any(h.section for h in headings):  # a /new page without its "Showing new listings" line
        day = next((h.day for h in headings if h.day), None)
    else:
        day = _newest_day(scope, headings)
    if day is None:
        raise LayoutChanged(
            "no listing date found (neither 'Showing new listings for ...' nor a day heading); "
            + _HINT,
            source=SOURCE,
            url=url,
        )
    return day


def _classify_heading(text: str) -> _Heading | None:
    """A section or day heading with its counts; None for headings that are neither."""
    section: str | None = None
    day: date | None = None
    count_text: str | None = None
    if match := _SECTION.match(text):
        section = _SECTION_NAMES[" ".join(match["label"].lower().split())]
        day = _parse_day(match["date"]) if match["date"] else None
        count_text = match["count"]
    elif match := _DAY_HEADING.match(text):
        day = _parse_day(match["date"])
        if day is None:
            return None
        count_text = match["count"]
    else:
        return None
    shown = total = None
    if count_text and (counts := _SHOWING.search(count_text)):
        shown, total = int(counts["shown"]), int(counts["total"])
    return _Heading(text=text, section=section, day=day, shown=shown, total=total)


def _parse_entry(
    dt: LexborNode, dd: LexborNode, group: int | None, day: date | None, url: str, n: int
) -> _Entry:
    link = dt.css_first('a[title="Abstract"]')
    href = link.attributes.get("href") if link is not None else None
    if not href:
        raise _missing(url, n, 'dt a[title="Abstract"]', "no abstract link with the arXiv id")
    try:
        arxiv_id, version = split_arxiv_id(href)
    except ValueError as exc:
        raise _missing(url, n, 'dt a[title="Abstract"]', f"{href!r} is not an arXiv id") from exc
    meta = _first_meta(dd) or dd
    parts = _meta_parts(meta)
    title = parts.text("div.list-title")
    if not title:
        raise _missing(url, n, "dd div.list-title", f"no title for {arxiv_id}")
    names = [" ".join(a.text().split()) for a in parts.author_links]  # _collapse, inlined
    authors = authors_named([name for name in names if name])
    primary = _category_code(parts.text("span.primary-subject") or "")
    categories = [primary] if primary else []
    for part in (parts.text("div.list-subjects") or "").split(";"):
        code = _category_code(part)
        if code and code not in categories:
            categories.append(code)
    abstract_node = parts.first.get("p")
    dt_text = _collapse(dt.text()).lower()
    marker = (
        "cross" if "cross-list" in dt_text else "replacement" if "(replaced)" in dt_text else None
    )
    paper = Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        authors=authors,
        abstract=_collapse(abstract_node.text()) if abstract_node is not None else "",
        comment=parts.text("div.list-comments"),
        journal_ref=parts.text("div.list-journal-ref"),
        primary_category=primary,
        categories=tuple(categories),
        list_date=day,
    )
    return _Entry(paper=paper, group=group, marker=marker)


def _check_complete(
    url: str,
    sections: tuple[DeclaredSection, ...],
    parsed: int,
    total: int | None,
    first: int | None,
    last: int | None,
    nothing_listed: bool,
) -> None:
    """Every count the page declares must match what we parsed, or the layout drifted."""
    for sec in sections:
        if sec.shown is not None and sec.parsed != sec.shown:
            raise LayoutChanged(
                f"parsed {sec.parsed} of {sec.shown} entries declared under {sec.heading!r}; "
                + _HINT,
                source=SOURCE,
                url=url,
            )
    if first is not None and last is not None:
        expected: int | None = max(0, last - first + 1)
        where = f"for positions {first}-{last}"
    else:
        expected, where = total, "in 'Total of N entries'"
    if expected is not None and parsed != expected:
        raise LayoutChanged(
            f"parsed {parsed} of {expected} entries declared {where}; " + _HINT,
            source=SOURCE,
            url=url,
        )
    declared_anything = expected is not None or any(s.shown is not None for s in sections)
    if parsed == 0 and not declared_anything and not nothing_listed:
        raise LayoutChanged(
            "found no entries, no declared counts and no 'No updates' notice; " + _HINT,
            source=SOURCE,
            url=url,
        )


def _check_selectors(url: str, entries: list[_Entry]) -> None:
    """A selector that matches on no entry at all has drifted (spatula-style loud failure)."""
    if not entries:
        return
    for selector, found in (
        ("div.list-authors a", any(e.paper.authors for e in entries)),
        ("span.primary-subject", any(e.paper.primary_category for e in entries)),
    ):
        if not found:
            raise LayoutChanged(
                f"none of {len(entries)} entries matched {selector!r}; " + _HINT,
                source=SOURCE,
                url=url,
            )


def _section_of(entry: _Entry, headings: list[_Heading]) -> str:
    """The heading's section on /new pages; on /recent, the dt's cross-list marker or "new"."""
    if entry.group is not None and (section := headings[entry.group].section):
        return section
    return entry.marker or "new"


def _announcement_date(scope: LexborNode) -> date | None:
    for h3 in scope.css("h3"):
        if match := _ANNOUNCED.match(_collapse(h3.text())):
            return _parse_day(match["date"])
    # 2014 layout: "Submissions received from ... , announced Fri, 13 Jun 14"
    dateline = scope.css_first("div.list-dateline")
    if dateline is not None and "announced" in (text := dateline.text()):
        return _parse_day(text.rsplit("announced", 1)[1])
    return None


def _newest_day(scope: LexborNode, headings: list[_Heading]) -> date | None:
    """The newest listing day: the /recent day index (same on every page) or the day headings."""
    days = [h.day for h in headings if h.day]
    for link in scope.css("ul li a"):
        text = _collapse(link.text())
        if _DAY_HEADING.match(text) and (day := _parse_day(text)):
            days.append(day)
    return max(days) if days else None


def _page_range(scope: LexborNode) -> tuple[int | None, int | None]:
    """This page's positions: the unlinked range ("1-50") among the paging links."""
    for node in scope.css("div.paging span, small b"):
        if match := _RANGE.match(_collapse(node.text())):
            return int(match["first"]), int(match["last"])
    return None, None


@dataclass(frozen=True, slots=True, kw_only=True)
class _MetaParts:
    """An entry's ``div.meta`` from one selector-list query (``_META_QUERY``).

    A ``css_first`` per part, per label and for the authors was half of a listing's parse time
    (bench.parse). lexbor returns a selector list's matches in document order, so the first
    match of each kind is the node ``css_first`` would have found.
    """

    meta_id: int
    first: dict[str, LexborNode]  # the first node of each part in _META_PARTS
    descriptors: list[LexborNode]  # every span.descriptor, in document order
    author_links: list[LexborNode]  # every div.list-authors a, in document order

    def text(self, key: str) -> str | None:
        """The collapsed text of a part without its "Title:"-style descriptor."""
        node = self.first.get(key)
        if node is None:
            return None
        text = _collapse(node.text())
        descriptor = self.descriptor_in(node)
        if descriptor is not None:
            label = _collapse(descriptor.text())
            if label and text.startswith(label):
                text = text[len(label) :].strip()
        return text or None

    def descriptor_in(self, node: LexborNode) -> LexborNode | None:
        """The first span.descriptor inside ``node``: what node.css_first would return."""
        target = node.mem_id
        for descriptor in self.descriptors:
            ancestor = descriptor.parent
            while ancestor is not None and ancestor.mem_id != self.meta_id:
                if ancestor.mem_id == target:
                    return descriptor
                ancestor = ancestor.parent
        return None


def _first_meta(dd: LexborNode) -> LexborNode | None:
    """``dd.css_first("div.meta")``, without a selector query when the dd's first element is
    that div (always, on arXiv): the first element child comes first in document order. The
    class test splits on spaces only, so it never says yes where CSS would say no."""
    node = dd.child
    while node is not None and not node.is_element_node:
        node = node.next
    if (
        node is not None
        and node.tag == "div"
        and "meta" in (node.attributes.get("class") or "").split(" ")
    ):
        return node
    return dd.css_first("div.meta")


def _meta_parts(meta: LexborNode) -> _MetaParts:
    first: dict[str, LexborNode] = {}
    descriptors: list[LexborNode] = []
    author_links: list[LexborNode] = []
    for node in meta.css(_META_QUERY):
        tag = node.tag
        if tag == "a":  # only "div.list-authors a" matches links
            author_links.append(node)
            continue
        if tag == "p":
            first.setdefault("p", node)
            continue
        for name in (node.attributes.get("class") or "").split():
            if (key := _PART_KEYS.get((tag, name))) is not None:
                first.setdefault(key, node)
            elif tag == "span" and name == "descriptor":
                descriptors.append(node)
    return _MetaParts(
        meta_id=meta.mem_id, first=first, descriptors=descriptors, author_links=author_links
    )


def _category_code(text: str) -> str | None:
    match = _CATEGORY_CODE.search(text.strip())
    return match["code"] if match else None


def _parse_day(text: str) -> date | None:
    """'Monday, 27 July 2026', 'Mon, 27 Jul 2026' or 'Fri, 13 Jun 14' -> date, else None."""
    match = _DATE.search(text)
    if not match:
        return None
    month = _MONTHS.get(match["month"][:3].lower())
    year = int(match["year"])
    if len(match["year"]) == 2:  # arXiv's two-digit years: 91-99 are 1990s
        year += 1900 if year >= 91 else 2000
    if month is None:
        return None
    try:
        return date(year, month, int(match["day"]))
    except ValueError:
        return None


def _first_int(pattern: re.Pattern[str], text: str, group: str) -> int | None:
    match = pattern.search(text)
    return int(match[group]) if match else None


def _missing(url: str, n: int, selector: str, what: str) -> ParseError:
    return ParseError(f"entry {n}: {what} (selector {selector!r}); {_HINT}", source=SOURCE, url=url)


def _collapse(text: str | None) -> str:
    return " ".join((text or "").split())
