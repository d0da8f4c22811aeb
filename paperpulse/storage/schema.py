"""Typed ORM rows: the database's shape. Rows never leave ``storage/``; the repository converts.

Every index here serves a query the daily run makes, so its cost follows the size of one
listing, not of the whole history:

- ``papers`` by primary key (the merge), ``paper_authors`` by ``arxiv_id`` (its PK prefix);
- ``sightings`` by ``(run_id, ...)`` (unique key prefix: one run's items), by
  ``(arxiv_id, observed_at)`` (one paper's history) and by ``(source, period)``;
- ``runs`` by ``(source, period, status)`` (latest complete run, gap healing);
- ``shown`` by ``(recipient, arxiv_id)``, its primary key (what a reader was shown).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints let later Alembic migrations (SQLite batch mode especially) address them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zone type, so values are stored as
    naive UTC text (fixed width, so string comparison is chronological) and re-tagged on read.
    Naive datetimes are refused: guessing their zone is how digests end up a day off.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; pass an aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSONB on PostgreSQL so values compare (``IS DISTINCT FROM``); JSON text on SQLite. Python
# None must be SQL NULL (not JSON 'null'), or COALESCE-based merging would never see a gap.
JSONList = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
# SQLite only auto-increments an ``INTEGER PRIMARY KEY``; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PaperRow(Base):
    __tablename__ = "papers"

    arxiv_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    list_date: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int | None] = mapped_column(Integer)
    primary_category: Mapped[str | None] = mapped_column(String(64))
    categories: Mapped[list[str] | None] = mapped_column(JSONList)
    organization: Mapped[str | None] = mapped_column(Text)
    github_repo: Mapped[str | None] = mapped_column(Text)
    project_page: Mapped[str | None] = mapped_column(Text)
    ai_summary: Mapped[str | None] = mapped_column(Text)
    ai_keywords: Mapped[list[str] | None] = mapped_column(JSONList)
    comment: Mapped[str | None] = mapped_column(Text)
    journal_ref: Mapped[str | None] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When a tracked field (title, abstract, github_repo, version) last changed; NULL = never.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Source families that reported this paper ("arxiv,hf"): decides field precedence.
    families: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_papers_list_date", "list_date"),)


class AuthorRow(Base):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(512), unique=True)  # normalized name: the identity
    name: Mapped[str] = mapped_column(Text)  # as first seen
    hf_user: Mapped[str | None] = mapped_column(String(128))


class PaperAuthorRow(Base):
    __tablename__ = "paper_authors"

    arxiv_id: Mapped[str] = mapped_column(
        ForeignKey("papers.arxiv_id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0-based byline order
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    affiliation: Mapped[str | None] = mapped_column(Text)  # per paper: people move
    name: Mapped[str | None] = mapped_column(Text)  # as this paper prints it

    __table_args__ = (Index("ix_paper_authors_author_id", "author_id"),)


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    declared: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    # "host:pid" of the process running it: a run whose process is gone is not in flight.
    owner: Mapped[str | None] = mapped_column(String(255))
    # What the run was for: "scheduled", "heal", "refresh" or "backfill" (NULL: older runs).
    purpose: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_runs_source_period_status", "source", "period", "status"),
        Index("ix_runs_status", "status"),  # runs left open, closed at the next start
        Index("ix_runs_started_at", "started_at"),
        CheckConstraint("status IN ('running', 'complete', 'empty', 'failed')", name="status"),
    )


class SightingRow(Base):
    """Append-only: one row per paper per run; history that diffs and trending read."""

    __tablename__ = "sightings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    arxiv_id: Mapped[str] = mapped_column(ForeignKey("papers.arxiv_id"))
    source: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(128))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rank: Mapped[int | None] = mapped_column(Integer)
    upvotes: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[int | None] = mapped_column(Integer)
    stars: Mapped[int | None] = mapped_column(Integer)
    section: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint("run_id", "arxiv_id"),
        Index("ix_sightings_arxiv_id_observed_at", "arxiv_id", "observed_at"),
        Index("ix_sightings_source_period", "source", "period"),
    )


class DeliveryRow(Base):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest_key: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # latest attempt began
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    # Set just before the latest attempt's SMTP conversation: past it, the message may have
    # reached the server, so a dead claim is unconfirmed rather than taken over.
    handed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("digest_key", "channel", "recipient"),
        # A reader's deliveries: their catch-up window, the archive's index.
        Index("ix_deliveries_recipient_channel", "recipient", "channel"),
        CheckConstraint("status IN ('sending', 'sent', 'failed')", name="status"),
    )


class ShownRow(Base):
    """What each reader was shown of each paper: the reader's side of every digest.

    ``new_*``: when and in which digest the paper was announced to them as new (once, ever).
    ``seen_*``: the latest delivered digest that showed it, and the upvotes it showed: what
    "rising since your digest of 3 Mar: 18 → 60" is measured from. No FK: a ledger of ids.
    """

    __tablename__ = "shown"

    recipient: Mapped[str] = mapped_column(String(320), primary_key=True)
    arxiv_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    new_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    new_digest: Mapped[str | None] = mapped_column(String(255))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_digest: Mapped[str | None] = mapped_column(String(255))
    seen_upvotes: Mapped[int | None] = mapped_column(Integer)
    # The showing before ``seen_*``: what a re-run of the latest digest measures from.
    prev_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_digest: Mapped[str | None] = mapped_column(String(255))
    prev_upvotes: Mapped[int | None] = mapped_column(Integer)


class PaperRevisionRow(Base):
    """Append-only: a paper's tracked fields as they were *before* a change at ``changed_at``.

    Lets a digest compare a paper with how it looked when the reader last saw it ("title
    revised", "code released") without keeping a full copy per sighting.
    """

    __tablename__ = "paper_revisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    arxiv_id: Mapped[str] = mapped_column(ForeignKey("papers.arxiv_id", ondelete="CASCADE"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str | None] = mapped_column(Text)
    github_repo: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_paper_revisions_arxiv_id_changed_at", "arxiv_id", "changed_at"),)


class AuthorProfileRow(Base):
    """A followed author's profile (h-index, counts, recent papers) as one run saw it."""

    __tablename__ = "author_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    name: Mapped[str] = mapped_column(String(512))  # the followed name, as configured
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    author_id: Mapped[str] = mapped_column(String(64))  # Semantic Scholar's id
    h_index: Mapped[int | None] = mapped_column(Integer)
    paper_count: Mapped[int | None] = mapped_column(Integer)
    citation_count: Mapped[int | None] = mapped_column(Integer)
    profile: Mapped[dict[str, object]] = mapped_column(JSON)  # the whole snapshot

    __table_args__ = (Index("ix_author_profiles_name_observed_at", "name", "observed_at"),)


class FeedbackRow(Base):
    """A reader's like or hide of a paper, per origin ("cli", "file"); the newest one wins.

    No FK to ``papers``: a reader may mark a paper before paperpulse has fetched it.
    """

    __tablename__ = "feedback"

    reader: Mapped[str] = mapped_column(String(320), primary_key=True)  # address or "archive"
    arxiv_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    origin: Mapped[str] = mapped_column(String(16), primary_key=True)
    signal: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("signal IN ('like', 'hide')", name="signal"),)


class TermCountsRow(Base):
    """A text's hashed term counts ("For you"), kept so the next run need not tokenise it.

    Keyed by a digest of the text and the tokeniser's version: an edited abstract or a new
    tokeniser is simply another key; ``created_at`` lets old rows be pruned.
    """

    __tablename__ = "term_counts"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    counts: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SuppressionRow(Base):
    """Readers who unsubscribed: no email goes to them, whatever the config lists."""

    __tablename__ = "suppressions"

    reader: Mapped[str] = mapped_column(String(320), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    origin: Mapped[str] = mapped_column(String(16))  # "one-click" (RFC 8058) or "web"


class ReaderPrefsRow(Base):
    """What a reader chose on the manage page; NULL keeps what the config says."""

    __tablename__ = "reader_prefs"

    reader: Mapped[str] = mapped_column(String(320), primary_key=True)
    topics: Mapped[list[str] | None] = mapped_column(JSONList)
    editions: Mapped[list[str] | None] = mapped_column(JSONList)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebKeyRow(Base):
    """The key that signs readers' links, made once, so every web replica and every delivery
    signs and checks alike without configuring a secret (PAPERPULSE_WEB_SECRET overrides it)."""

    __tablename__ = "web_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class PaperSearchIdRow(Base):
    """SQLite full-text search: a stable integer id per paper, the rowid of its ``papers_fts``
    row (the papers table's own rowid may change on VACUUM), in list-date order (migration
    0010), and the paper's highest upvote count. Kept by triggers; unused on PostgreSQL."""

    __tablename__ = "paper_search_ids"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arxiv_id: Mapped[str] = mapped_column(String(64), unique=True)
    upvotes: Mapped[int | None] = mapped_column(Integer)


class PaperIdentityRow(Base):
    """One name of a paper ("arxiv:2106.15928", "doi:10.1/x", "s2:<hex>", "corpus:1") and the
    one key every name of that paper maps to: the ledgers below are keyed by it, so a paper
    seen again under another name is the same paper."""

    __tablename__ = "paper_identities"

    alias: Mapped[str] = mapped_column(String(320), primary_key=True)
    key: Mapped[str] = mapped_column(String(320), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CitationWatchRow(Base):
    """A paper some reader keeps (library, like) or was announced: what Semantic Scholar
    last said of it. ``synced_at`` NULL: never asked (its first answer is the baseline)."""

    __tablename__ = "citation_watch"

    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    lookup: Mapped[str] = mapped_column(String(320))  # how S2 is asked ("ARXIV:2106.15928")
    title: Mapped[str] = mapped_column(Text)
    follow_citations: Mapped[bool] = mapped_column(Boolean)  # else its venue only
    citation_count: Mapped[int | None] = mapped_column(Integer)
    venue: Mapped[str | None] = mapped_column(Text)
    venue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    venue_baseline: Mapped[bool] = mapped_column(Boolean)  # known at the first answer: no news
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wanted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class CitationRow(Base):
    """A paper citing a watched one, as first found; ``baseline``: it already cited it when
    the watched paper was first asked about (never news)."""

    __tablename__ = "citations"

    cited_key: Mapped[str] = mapped_column(String(320), primary_key=True)
    citing_key: Mapped[str] = mapped_column(String(320), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    venue: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    baseline: Mapped[bool] = mapped_column(Boolean)


class AnnouncementRow(Base):
    """What a reader was told once and never again: ("cites", the citing paper's key) or
    ("venue", the published paper's key), and in which digest."""

    __tablename__ = "announcements"

    reader: Mapped[str] = mapped_column(String(320), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    digest_key: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class SummaryRow(Base):
    """A paper's TL;DR (and translated title) in one language by one prompt: made once."""

    __tablename__ = "summaries"

    arxiv_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(64), primary_key=True)
    prompt: Mapped[str] = mapped_column(String(16), primary_key=True)
    tldr: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
