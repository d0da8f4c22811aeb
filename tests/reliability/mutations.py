"""Hypothesis strategies that change a real payload the way a redesign or a bad proxy would.

``damaged`` (tests/scrapers) breaks bytes; these change structure while staying well-formed,
which is what reaches the deep parts of a parser:

    mutated_json    a JSON document with values replaced, keys deleted or renamed, items copied
    mutated_markup  HTML/XML with tags or text runs deleted, copied, swapped or rewritten, and
                    attribute values or numbers changed (declared counts drift)
    mutated_island  an HF page whose data-props JSON is mutated as above, then re-embedded
"""

from __future__ import annotations

import copy
import html
import json
import re
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from tests.scrapers.payload_mutations import damaged

__all__ = ["damaged", "mutated", "mutated_island", "mutated_json", "mutated_markup"]

_TOKEN = re.compile(rb"(<[^>]*>)")
_ATTRIBUTE_VALUE = re.compile(rb'=\s*("[^"]*"|\'[^\']*\')')
_NUMBER = re.compile(rb"\d+")
_PROPS = re.compile(rb'data-props="([^"]*)"')

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
markup_text = st.one_of(
    st.text(max_size=24),
    st.sampled_from(
        [
            "",
            "(showing 3 of 5 entries)",
            "Total of 0 entries",
            "No updates today",
            "Mon, 27 Jul 2026",
            "arXiv:2401.00001",
            "Title: x",
            "New submissions (showing 0 of 9 entries)",
            '<div class="meta">',
            "</dd>",
        ]
    ),
)


def _slots(node: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key) of a JSON tree, containers included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield node, key
            yield from _slots(value)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield node, index
            yield from _slots(value)


@st.composite
def mutated_json(draw: st.DrawFn, document: Any) -> bytes:
    """``document`` (parsed JSON) changed in one to three places, serialised."""
    doc = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        slots = list(_slots(doc))
        if not slots:
            doc = draw(json_values)
            break
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["replace", "delete", "rename", "copy", "wrap"]))
        if action == "replace":
            container[key] = draw(json_values)
        elif action == "delete":
            del container[key]
        elif action == "rename" and isinstance(container, dict):
            container[draw(st.text(max_size=8))] = container.pop(key)
        elif action == "copy" and isinstance(container, list):
            container.insert(key, copy.deepcopy(container[key]))
        else:  # wrap the value one level deeper, as an API version bump might
            container[key] = draw(st.sampled_from([[container[key]], {"data": container[key]}]))
    return json.dumps(doc).encode()


@st.composite
def mutated_markup(draw: st.DrawFn, payload: bytes) -> bytes:
    """HTML or XML with one to three token-level edits; stays roughly well-formed."""
    tokens = [t for t in _TOKEN.split(payload) if t]
    for _ in range(draw(st.integers(1, 3))):
        if not tokens:
            break
        index = draw(st.integers(0, len(tokens) - 1))
        action = draw(st.sampled_from(["delete", "copy", "swap", "text", "attribute", "number"]))
        token = tokens[index]
        if action == "delete":
            del tokens[index]
        elif action == "copy":
            tokens.insert(index, token)
        elif action == "swap":
            other = draw(st.integers(0, len(tokens) - 1))
            tokens[index], tokens[other] = tokens[other], token
        elif action == "text":
            tokens[index] = draw(markup_text).encode("utf-8", "replace")
        elif action == "attribute" and _ATTRIBUTE_VALUE.search(token):
            value = draw(markup_text).replace('"', "").encode("utf-8", "replace")
            tokens[index] = _replace_first(_ATTRIBUTE_VALUE, token, b'="' + value + b'"')
        elif _NUMBER.search(token):
            number = str(draw(st.integers(0, 10**6))).encode()
            tokens[index] = _replace_first(_NUMBER, token, number)
    return b"".join(tokens)


def _replace_first(pattern: re.Pattern[bytes], token: bytes, replacement: bytes) -> bytes:
    found = pattern.search(token)
    return token if found is None else token[: found.start()] + replacement + token[found.end() :]


@st.composite
def mutated_island(draw: st.DrawFn, page: bytes) -> bytes:
    """An HF page with its hydration JSON mutated (``mutated_json``) and re-embedded."""
    found = _PROPS.search(page)
    if found is None:
        return draw(mutated_markup(page))
    try:
        props = json.loads(html.unescape(found.group(1).decode("utf-8")))
    except ValueError:
        return draw(mutated_markup(page))
    changed = draw(mutated_json(props)).decode()
    embedded = html.escape(changed, quote=True).encode()
    return page[: found.start(1)] + embedded + page[found.end(1) :]


def mutated(payload: bytes, kind: str) -> st.SearchStrategy[bytes]:
    """Byte damage or structural change, whichever fits ``kind`` ("json", "html", "xml")."""
    if kind == "json":
        try:
            document = json.loads(payload)
        except ValueError:
            return damaged(payload)
        return st.one_of(damaged(payload), mutated_json(document))
    structural = [mutated_markup(payload)]
    if b"data-props" in payload:
        structural.append(mutated_island(payload))
    return st.one_of(damaged(payload), *structural)
