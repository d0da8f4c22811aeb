"""The baselines of bench.parse: the straightforward extraction a peer project would write.

BeautifulSoup (``find`` / ``find_all``, no CSS selectors) and a plain dict walk, building the
fields our parsers build. They do *less* than ours — no validation, no declared-count checks, no
dataclasses — so a speed ratio against them understates our advantage rather than inflating it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bs4 import BeautifulSoup, Tag
from selectolax.lexbor import LexborHTMLParser

_CATEGORY = re.compile(r"\(([^()]+)\)\s*$")
_VERSION = re.compile(r"v\d+$")


def hf_records(raw_items: list[Any]) -> list[dict[str, Any]]:
    """The fields of HF Daily Papers items, as a dict walk gets them."""
    records = []
    for item in raw_items:
        paper = item["paper"]
        records.append(
            {
                "id": paper["id"],
                "title": " ".join((item.get("title") or paper["title"]).split()),
                "authors": [
                    " ".join(author["name"].split())
                    for author in paper.get("authors", [])
                    if not author.get("hidden")
                ],
                "abstract": " ".join(paper.get("summary", "").split()),
                "published_at": paper.get("publishedAt"),
                "upvotes": paper.get("upvotes"),
                "comments": item.get("numComments"),
            }
        )
    return records


def hf_api(content: bytes | str) -> list[dict[str, Any]]:
    """An API response (or the archived ``{"data": [...]}`` form): json.loads + dict walk."""
    payload = json.loads(content)
    return hf_records(payload["data"] if isinstance(payload, dict) else payload)


def hf_page(html: str, backend: str) -> list[dict[str, Any]]:
    """The Daily Papers page: find the DailyPapers island, json.loads its data-props."""
    soup = BeautifulSoup(html, backend)
    island = soup.find(None, {"data-target": "DailyPapers"})
    if not isinstance(island, Tag):
        raise ValueError("no DailyPapers element")
    props = json.loads(str(island["data-props"]))
    return hf_records(props["dailyPapers"])


def arxiv_listing(html: str, backend: str) -> list[dict[str, Any]]:
    """An arXiv listing page: id, title, authors and primary subject of every dt/dd pair."""
    soup = BeautifulSoup(html, backend)
    scope = soup.find(id="dlpage") or soup
    records = []
    for dt, dd in zip(scope.find_all("dt"), scope.find_all("dd"), strict=True):
        link = dt.find("a", title="Abstract")
        title = dd.find("div", class_="list-title")
        authors = dd.find("div", class_="list-authors")
        primary = dd.find("span", class_="primary-subject")
        if not isinstance(link, Tag) or not isinstance(title, Tag):
            raise ValueError("an entry without its abstract link or title")
        href = str(link["href"])
        category = _CATEGORY.search(primary.get_text()) if isinstance(primary, Tag) else None
        records.append(
            {
                "id": _VERSION.sub("", href.rsplit("/abs/", 1)[-1].strip()),
                "title": " ".join(title.get_text().split()).removeprefix("Title:").strip(),
                "authors": [
                    " ".join(a.get_text().split())
                    for a in (authors.find_all("a") if isinstance(authors, Tag) else [])
                ],
                "primary": category.group(1) if category else None,
            }
        )
    return records


# --- the bare selectolax floor ---------------------------------------------------------------
# The same extraction with the engine ours uses (lexbor, given the fetched bytes) and the same
# selections ours makes, minus everything that makes ours a parser: no validation, no declared
# counts, no hostile-text cleaning, no dataclasses. What ours costs above this is the price of
# its checks and values (issue 14: goal <= 1.3x this floor on the HF page).


def floor_hf_page(content: bytes) -> list[dict[str, Any]]:
    """The DailyPapers island's data-props through json.loads, plus the card count ours reads."""
    tree = LexborHTMLParser(content)
    island = tree.css_first('[data-target="DailyPapers"]')
    if island is None:
        raise ValueError("no DailyPapers element")
    props = json.loads(island.attributes["data-props"] or "")
    len(tree.css("article"))  # ours counts the cards as a completeness check
    return hf_records(props["dailyPapers"])


def floor_arxiv_listing(content: bytes) -> list[dict[str, Any]]:
    """id, title, authors and primary subject of every dt/dd pair, as in ``arxiv_listing``."""
    tree = LexborHTMLParser(content)
    scope = tree.css_first("#dlpage") or tree.root
    if scope is None:
        raise ValueError("empty document")
    records = []
    for dt, dd in zip(scope.css("dt"), scope.css("dd"), strict=True):
        link = dt.css_first('a[title="Abstract"]')
        title = dd.css_first("div.list-title")
        primary = dd.css_first("span.primary-subject")
        if link is None or title is None:
            raise ValueError("an entry without its abstract link or title")
        href = link.attributes.get("href") or ""
        category = _CATEGORY.search(primary.text()) if primary is not None else None
        records.append(
            {
                "id": _VERSION.sub("", href.rsplit("/abs/", 1)[-1].strip()),
                "title": " ".join(title.text().split()).removeprefix("Title:").strip(),
                "authors": [" ".join(a.text().split()) for a in dd.css("div.list-authors a")],
                "primary": category.group(1) if category else None,
            }
        )
    return records
