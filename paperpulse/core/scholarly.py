"""Papers as the scholarly graph knows them: one identity across arXiv, DOI and Semantic Scholar.

A paper reaches paperpulse under several names: an arXiv id (any version), Hugging Face's
page (the same arXiv id), Semantic Scholar's 40-hex id or CorpusId, a DOI once published.
``PaperIds`` holds the names one answer gave; each becomes an *alias* ("arxiv:2106.15928",
"doi:10.18653/v1/n18-3011", "s2:<hex>", "corpus:215416146"), and storage maps every alias to
one key, so a ledger keyed by that key never announces a paper twice under two names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from paperpulse.core.models import split_arxiv_id

# arXiv mints its own DOIs (10.48550/arXiv.2106.15928) for every preprint: not a venue.
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:", "DOI:")
# Venue strings that say "not published" rather than where.
_NOT_VENUES = frozenset({"arxiv", "arxiv.org", "corr", "arxiv preprint", "biorxiv", "medrxiv"})


def normalize_doi(raw: str | None) -> str | None:
    """The DOI lowercased without a resolver prefix (DOIs are case-insensitive); None if
    ``raw`` is not one."""
    if not raw:
        return None
    text = raw.strip()
    for prefix in _DOI_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
    text = text.strip().casefold()
    return text if _DOI.match(text) else None


def is_venue_doi(doi: str | None) -> bool:
    """A DOI that says the paper was published somewhere (not arXiv's own DOI)."""
    clean = normalize_doi(doi)
    return clean is not None and not _ARXIV_DOI.match(clean)


def clean_venue(raw: str | None) -> str | None:
    """A venue name worth announcing, or None for empty and preprint-server "venues"."""
    text = " ".join((raw or "").split())
    if not text or text.casefold() in _NOT_VENUES or text.casefold().startswith("arxiv"):
        return None
    return text[:200]


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperIds:
    """The names one source gave a paper; at least one is set."""

    arxiv: str | None = None  # without version
    doi: str | None = None  # normalized
    s2: str | None = None  # Semantic Scholar's paperId
    corpus: str | None = None  # Semantic Scholar's CorpusId

    @classmethod
    def of(
        cls,
        *,
        arxiv: str | None = None,
        doi: str | None = None,
        s2: str | None = None,
        corpus: str | int | None = None,
    ) -> PaperIds:
        """Normalized ids: an arXiv id loses its version, a DOI its resolver and case; an
        unusable value is dropped rather than stored under a wrong name."""
        arxiv_id = None
        if arxiv:
            try:
                arxiv_id = split_arxiv_id(arxiv)[0]
            except ValueError:
                arxiv_id = None
        return cls(
            arxiv=arxiv_id,
            doi=normalize_doi(doi),
            s2=s2.strip().casefold() if s2 and s2.strip() else None,
            corpus=str(corpus).strip() if corpus not in (None, "") else None,
        )

    @property
    def aliases(self) -> tuple[str, ...]:
        """Every name as an alias, the most stable first (what a new key is made from)."""
        found = [
            f"arxiv:{self.arxiv}" if self.arxiv else None,
            f"doi:{self.doi}" if self.doi else None,
            f"s2:{self.s2}" if self.s2 else None,
            f"corpus:{self.corpus}" if self.corpus else None,
        ]
        return tuple(a for a in found if a)

    @property
    def lookup(self) -> str | None:
        """How Semantic Scholar's Graph API is asked about this paper."""
        if self.s2:
            return self.s2
        if self.arxiv:
            return f"ARXIV:{self.arxiv}"
        if self.doi:
            return f"DOI:{self.doi}"
        if self.corpus:
            return f"CorpusId:{self.corpus}"
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScholarPaper:
    """A paper as Semantic Scholar describes it (a batch answer or a citing paper)."""

    ids: PaperIds
    title: str
    venue: str | None = None  # where it is published, if anywhere (clean_venue)
    year: int | None = None
    publication_date: date | None = None
    citation_count: int | None = None

    @property
    def url(self) -> str:
        """Where a reader opens it: arXiv when it is a preprint there, else its DOI, else S2."""
        if self.ids.arxiv:
            return f"https://arxiv.org/abs/{self.ids.arxiv}"
        if self.ids.doi:
            return f"https://doi.org/{self.ids.doi}"
        if self.ids.s2:
            return f"https://www.semanticscholar.org/paper/{self.ids.s2}"
        return ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CitingPaper:
    """A paper that cites one or more of a reader's papers (named by their titles)."""

    key: str  # the citing paper's identity key
    title: str
    url: str
    venue: str | None = None
    year: int | None = None
    cites: tuple[str, ...] = ()  # titles of the reader's papers it cites


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueNews:
    """A reader's paper that was published somewhere since they first had it."""

    key: str
    title: str
    url: str
    venue: str
