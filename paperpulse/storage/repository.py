"""The only door to the database: values in, values out, one transaction per public method.

Writes are bulk Core statements (executemany / ``INSERT .. ON CONFLICT``), never per-row ORM
merges, so saving a listing costs a handful of round trips whatever its size. Reads use the
ORM for typed rows and convert them to the dataclasses of ``core.models`` and
``storage.records`` before returning.

``Repository`` is one facade over per-domain parts, each a module of its own (as
lemon24/reader splits its storage into mixins): add a method to the part it belongs to.

    runs.RunLedger                  the run ledger
    papers.PaperStore               saving listings; papers
    history.PaperHistory            sightings, first seen, tracked fields at a moment
    author_profiles.AuthorProfiles  followed authors' profile snapshots
    deliveries.DeliveryLedger       claims and outcomes of each (digest, channel, recipient)
    ledger.ReaderLedger             what each reader was shown; their likes and hides
    foryou_store.ForYouStore        the pool to rank and the term-count cache
"""

from __future__ import annotations

from paperpulse.storage.author_profiles import AuthorProfiles
from paperpulse.storage.deliveries import UNCONFIRMED, UNCONFIRMED_AFTER, DeliveryLedger
from paperpulse.storage.foryou_store import ForYouStore
from paperpulse.storage.history import PaperHistory
from paperpulse.storage.ledger import ReaderLedger
from paperpulse.storage.papers import PaperStore
from paperpulse.storage.runs import FINISHED_RUN_STATUSES, RunLedger

__all__ = ["FINISHED_RUN_STATUSES", "UNCONFIRMED", "UNCONFIRMED_AFTER", "Repository"]


class Repository(
    RunLedger,
    PaperStore,
    PaperHistory,
    AuthorProfiles,
    DeliveryLedger,
    ReaderLedger,
    ForYouStore,
):
    """Papers, runs, sightings, deliveries and the reader's ledger over one SQLAlchemy engine."""
