"""A reader's library, read from what they already keep: pure, no I/O beyond the text given.

Formats, chosen by the file's extension:

- ``.bib`` / ``.bibtex``: BibTeX (bibtexparser: braces, ``@string`` macros and concatenation
  are easy to get wrong by hand);
- ``.ris``: RIS (``TY  -`` ... ``ER  -``; a line format simple enough to read here);
- ``.json``: Zotero's "CSL JSON" export, or the Zotero web API's item JSON (same reader);
- ``.txt`` (or no extension): one arXiv id, arXiv/HF URL or paper title a line, ``#`` comments.

A broken entry is a warning and the rest is kept; a library with no usable entry, or a format
we do not read, is one ``LibraryError`` naming the file and what to do.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import Any

from paperpulse.core.errors import PaperpulseError
from paperpulse.core.models import normalize_arxiv_id
from paperpulse.core.scholarly import normalize_doi
from paperpulse.core.text import clean_text

FORMATS = {".bib": "bibtex", ".bibtex": "bibtex", ".ris": "ris", ".json": "json", ".txt": "text"}
HELP = (
    "use .bib (BibTeX), .ris (RIS), .json (Zotero: Export Library → CSL JSON) or .txt "
    "(arXiv ids, URLs or titles, one a line)"
)
_ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf)/|huggingface\.co/papers/|arxiv[.:\s]\s*)"
    r"(\d{4}\.\d{4,5}(?:v\d+)?|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})",
    re.IGNORECASE,
)
_BARE_ID = re.compile(r"^\d{4}\.\d{4,5}(?:v\d+)?$")
_LATEX = re.compile(r"\\[a-zA-Z]+\s*|[{}$]")


class LibraryError(PaperpulseError):
    """A library that cannot be read at all (a broken entry is only a warning)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LibraryEntry:
    """One paper a reader keeps: at least a title, an arXiv id or a DOI."""

    title: str = ""
    abstract: str = ""
    arxiv_id: str | None = None  # without version
    doi: str | None = None  # normalized (a published paper's; "Cites your work" asks by it)

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.abstract}".strip()


@dataclass(frozen=True, slots=True, kw_only=True)
class Library:
    entries: tuple[LibraryEntry, ...]
    warnings: tuple[str, ...] = ()  # entries skipped, each a line naming where and why


def format_of(name: str) -> str:
    suffix = PurePath(name).suffix.casefold()
    if not suffix:
        return "text"
    if suffix not in FORMATS:
        raise LibraryError(f"{name}: unknown library format {suffix!r}; {HELP}")
    return FORMATS[suffix]


def parse_library(text: str, name: str, fmt: str | None = None) -> Library:
    """Read a library file's text; ``name`` is only for messages (and the format if not given)."""
    fmt = fmt or format_of(name)
    readers = {"bibtex": _bibtex, "ris": _ris, "json": _json, "text": _text}
    if fmt not in readers:
        raise LibraryError(f"{name}: unknown library format {fmt!r}; {HELP}")
    entries, warnings = readers[fmt](text, name)
    return checked(name, entries, warnings)


def checked(name: str, entries: Iterable[LibraryEntry], warnings: Sequence[str]) -> Library:
    """Entries without a title or an id are dropped; none left is an error. Text is made
    valid here, once for every format (a lone surrogate from a JSON escape once broke every
    email after it)."""
    kept = tuple(
        e
        for e in (
            replace(e, title=clean_text(e.title), abstract=clean_text(e.abstract)) for e in entries
        )
        if e.title or e.arxiv_id or e.doi
    )
    if not kept:
        why = f" ({warnings[0]}{' …' if len(warnings) > 1 else ''})" if warnings else ""
        raise LibraryError(
            f"{name}: the library is empty: no entry with a title or an arXiv id{why}; {HELP}"
        )
    return Library(entries=kept, warnings=tuple(warnings))


def find_arxiv_id(*values: str | None) -> str | None:
    """The first arXiv id in URLs, ``arXiv:`` labels, eprint fields or bare ids."""
    for value in values:
        if not value:
            continue
        text = value.strip()
        match = _ARXIV_IN_TEXT.search(text)
        candidate = match.group(1) if match else text if _BARE_ID.match(text) else None
        if candidate:
            try:
                return normalize_arxiv_id(candidate)
            except ValueError:
                continue
    return None


def find_doi(*values: str | None) -> str | None:
    """The first DOI among DOI fields and doi.org URLs (arXiv's own DOIs included: they
    name the preprint, which is as good an identity as its arXiv id)."""
    for value in values:
        if value and (doi := normalize_doi(value)):
            return doi
    return None


def clean(text: str | None) -> str:
    """Title or abstract text without LaTeX braces and commands, whitespace collapsed."""
    return " ".join(_LATEX.sub("", text or "").split())


# --- BibTeX -------------------------------------------------------------------------------


def _bibtex(text: str, name: str) -> tuple[list[LibraryEntry], list[str]]:
    from bibtexparser import parse_string  # type: ignore[attr-defined]

    # bibtexparser logs every failed block itself; we report them as our own warnings.
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    parsed = parse_string(text)
    warnings = [
        f"{name}:{(block.start_line or 0) + 1}: unreadable BibTeX entry skipped "
        f"({_first_line(block.raw or '')!r}); check its braces and commas"
        for block in parsed.failed_blocks
    ]
    entries = []
    for entry in parsed.entries:
        fields = {k.casefold(): str(v.value) for k, v in entry.fields_dict.items()}
        prefix = fields.get("archiveprefix", "").casefold()
        eprint = fields.get("eprint") if prefix in ("", "arxiv") else None
        entries.append(
            LibraryEntry(
                title=clean(fields.get("title")),
                abstract=clean(fields.get("abstract")),
                arxiv_id=find_arxiv_id(
                    eprint, fields.get("url"), fields.get("journal"), fields.get("note")
                ),
                doi=find_doi(fields.get("doi"), fields.get("url")),
            )
        )
        if not entries[-1].title and not entries[-1].arxiv_id:
            line = (entry.start_line or 0) + 1
            warnings.append(f"{name}:{line}: @{entry.key} has no title or eprint")
    return entries, warnings


def _first_line(raw: str) -> str:
    return raw.strip().splitlines()[0][:60] if raw.strip() else ""


# --- RIS ----------------------------------------------------------------------------------

_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")


def _ris(text: str, name: str) -> tuple[list[LibraryEntry], list[str]]:
    entries: list[LibraryEntry] = []
    warnings: list[str] = []
    record: dict[str, list[str]] | None = None
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip().lstrip("\ufeff")
        if not line:
            continue
        match = _RIS_LINE.match(line)
        if match is None:
            if record is not None and record.get("_last"):
                # A continuation of the previous tag's value (long abstracts wrap).
                key = record["_last"][0]
                record[key][-1] += " " + line.strip()
            else:
                warnings.append(f"{name}:{number}: not a RIS line, skipped ({line[:40]!r})")
            continue
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag == "TY":
            if record is not None:
                warnings.append(f"{name}:{start}: RIS record without ER, kept")
                entries.append(_ris_entry(record))
            record, start = {}, number
        elif record is None:
            warnings.append(f"{name}:{number}: {tag} line outside a record (no TY), skipped")
        elif tag == "ER":
            entries.append(_ris_entry(record))
            record = None
        else:
            record.setdefault(tag, []).append(value)
            record["_last"] = [tag]
    if record is not None:
        warnings.append(f"{name}:{start}: RIS record without ER, kept")
        entries.append(_ris_entry(record))
    return entries, warnings


def _ris_entry(record: Mapping[str, list[str]]) -> LibraryEntry:
    def first(*tags: str) -> str:
        return next((record[t][0] for t in tags if record.get(t)), "")

    ids = [v for t in ("UR", "L1", "L2", "M1", "N1", "ID", "DO", "AN") for v in record.get(t, ())]
    return LibraryEntry(
        title=clean(first("TI", "T1", "CT", "BT")),
        abstract=clean(first("AB", "N2")),
        arxiv_id=find_arxiv_id(*ids),
        doi=find_doi(*record.get("DO", ()), *record.get("UR", ())),
    )


# --- JSON: Zotero CSL JSON export and Zotero web API items ---------------------------------


def _json(text: str, name: str) -> tuple[list[LibraryEntry], list[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LibraryError(
            f"{name}:{exc.lineno}: not valid JSON ({exc.msg}); export it again from Zotero "
            "(Export Library → CSL JSON)"
        ) from None
    except RecursionError:  # arrays nested thousands deep: no export looks like that
        raise LibraryError(
            f"{name}: JSON nested too deeply to be a library export; export it again from "
            "Zotero (Export Library → CSL JSON)"
        ) from None
    if isinstance(data, dict):
        data = data.get("items", [data])
    if not isinstance(data, list):
        raise LibraryError(f"{name}: expected a list of items (Zotero CSL JSON export)")
    return zotero_items(data, name)


def zotero_items(items: Sequence[Any], name: str) -> tuple[list[LibraryEntry], list[str]]:
    """CSL-JSON items (``title``, ``abstract``, ``URL``, ``number``...) or Zotero API items
    (``{"data": {"title", "abstractNote", "url", "archiveID", "extra"...}}``)."""
    entries: list[LibraryEntry] = []
    warnings: list[str] = []
    for index, item in enumerate(items, start=1):
        if isinstance(item, dict) and isinstance(item.get("data"), dict):
            item = item["data"]
        if not isinstance(item, dict):
            warnings.append(f"{name}: item {index} is not an object, skipped")
            continue
        if item.get("itemType") in ("attachment", "note", "annotation"):
            continue  # Zotero API lists attachments and notes beside the papers
        fields = {k: v for k, v in item.items() if isinstance(v, str)}
        entries.append(
            LibraryEntry(
                title=clean(fields.get("title")),
                abstract=clean(fields.get("abstract") or fields.get("abstractNote")),
                arxiv_id=find_arxiv_id(
                    fields.get("archiveID"),
                    fields.get("URL") or fields.get("url"),
                    fields.get("number"),
                    fields.get("extra") or fields.get("note"),
                    fields.get("DOI"),
                ),
                doi=find_doi(fields.get("DOI"), fields.get("URL") or fields.get("url")),
            )
        )
    return entries, warnings


# --- plain text -----------------------------------------------------------------------------


def _text(text: str, name: str) -> tuple[list[LibraryEntry], list[str]]:
    entries = []
    for raw in text.splitlines():
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        arxiv_id = find_arxiv_id(line)
        doi = None if arxiv_id else find_doi(line)
        if arxiv_id or doi:
            entries.append(LibraryEntry(arxiv_id=arxiv_id, doi=doi))
        else:
            entries.append(LibraryEntry(title=line))
    return entries, []
