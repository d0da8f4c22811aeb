"""Deliver an edition on every configured channel, exactly once each (plain functions).

Channels: the Markdown archive (a git repository, with its index and Atom feeds) and email to
each recipient (SMTP, or ``.eml`` files in an outbox when no SMTP server is configured). The
deliveries ledger claims each (digest, channel, recipient) before sending, so a re-run or a
concurrent run never sends twice, and a failed send is retried by the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from paperpulse.app.compose import ARCHIVE, build_for, reader_period, reads
from paperpulse.app.context import Context
from paperpulse.app.foryou import add_for_you
from paperpulse.app.publish import feeds, index_and_nav
from paperpulse.app.readers import mailbox_key
from paperpulse.app.scholarly import enrich, log_tally, record_announced
from paperpulse.app.subscriptions import (
    held_back,
    unsubscribe_targets,
    web_links,
    with_preferences,
)
from paperpulse.config.file import ChannelConfig, Config, RecipientConfig
from paperpulse.config.settings import Settings
from paperpulse.core.errors import ConfigError, PaperpulseError
from paperpulse.core.kinds import DeliveryStatus, Edition
from paperpulse.delivery.chat import send_chat
from paperpulse.delivery.files import archive_lock, write_atomically
from paperpulse.delivery.git_archive import ArchiveRepo
from paperpulse.delivery.outbox import write_to_outbox
from paperpulse.delivery.smtp import UnconfirmedDelivery, send
from paperpulse.digest.archive_paths import INDEX_PATH, daily_path, weekly_path
from paperpulse.digest.calendar import Period, daily_key, day_of_key
from paperpulse.digest.chat_message import chat_message
from paperpulse.digest.edition import shown_items
from paperpulse.digest.email_fit import fit
from paperpulse.digest.email_message import build_message, footer_unsubscribe, message_size
from paperpulse.digest.models import Digest
from paperpulse.digest.presentation import DayPages, ReaderLinks, archive_links
from paperpulse.digest.reader_tokens import ReaderUrls
from paperpulse.digest.render import render_all, render_email
from paperpulse.storage.repository import UNCONFIRMED, UNCONFIRMED_AFTER

log = logging.getLogger(__name__)
RECLAIM_AFTER = timedelta(minutes=30)
NOT_PUSHED = "committed here, not pushed; tried again next run"
_FAILED = DeliveryStatus.FAILED
Channel = Literal["archive", "email", "outbox", "chat"]  # "outbox": email written to files


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryOutcome:
    channel: Channel
    recipient: str
    status: DeliveryStatus
    detail: str = ""  # commit sha, message id, outbox path, or the error


def deliver(
    ctx: Context,
    period: Period,
    *,
    email: bool = True,
    resend_unconfirmed: bool = False,
    catch_up: bool = True,
    archive: bool = True,
) -> list[DeliveryOutcome]:
    """The archive first (it is the record), then each recipient's email: for a daily period,
    one email covering every day not yet delivered to that reader (a catch-up after a gap);
    without ``catch_up`` (an explicit ``paperpulse deliver``), exactly ``period``.

    The edition's shared data is read once per run (``compose.reads``) and each channel's and
    reader's digest is a cheap step over it: N readers cost one read, not N+1."""
    # The archive is the record, but a broken one (a stale index.lock, a full disk, a person's
    # edits) must not cost any reader their email: it is one failed delivery among others.
    outcomes = archive_outcomes(ctx, period) if archive else []
    if email:
        for recipient in with_preferences(ctx, recipients(ctx.settings, ctx.config)):
            if period.edition not in recipient.editions:
                continue
            wanted = (
                reader_period(ctx, recipient.address, period.days[-1])
                if period.edition == Edition.DAILY and catch_up and not resend_unconfirmed
                else period
            )
            if wanted is not None:
                outcomes.append(
                    isolated_email(ctx, wanted, recipient, resend_unconfirmed=resend_unconfirmed)
                )
        outcomes += deliver_chats(ctx, period)
    log_tally(reads(ctx).scholar, ctx.config)
    return outcomes


# --- the archive --------------------------------------------------------------------------

PUSH = "archive push"  # the recipient of a push's own outcome: a failed push fails the run


def archive_outcomes(ctx: Context, period: Period) -> list[DeliveryOutcome]:
    """The archive's delivery, and a failed outcome of its own for a push that failed (the
    commit is kept and pushed by the next run): either way the emails go out after it."""
    settings = ctx.settings
    where = str(settings.archive_dir / archive_relpath(period))
    try:
        outcome = deliver_archive(ctx, period)
    except (PaperpulseError, OSError) as exc:
        detail = one_line(exc)
        if "index.lock" in detail:
            detail += (
                f"; a git process was killed mid-commit: if no git runs in "
                f"{settings.archive_dir}, remove {settings.archive_dir / '.git' / 'index.lock'}"
            )
        _record_failure(ctx, period.digest_key, "archive", ARCHIVE, detail)
        return [DeliveryOutcome(channel="archive", recipient=where, status=_FAILED, detail=detail)]
    if f" ({NOT_PUSHED}: " not in outcome.detail:
        return [outcome]
    sha, why = outcome.detail.split(f" ({NOT_PUSHED}: ", 1)
    return [  # the reason once, on the push's own line
        replace(outcome, detail=f"{sha} (not pushed: see {PUSH})"),
        DeliveryOutcome(
            channel="archive",
            recipient=PUSH,
            status=_FAILED,
            detail=f"committed {sha} here but not pushed; tried again next run: {why[:-1]}",
        ),
    ]


def _record_failure(ctx: Context, key: str, channel: str, recipient: str, detail: str) -> None:
    with suppress(PaperpulseError):  # the ledger is down too: the outcome still says it
        ctx.repository.record_delivery(
            key, channel, recipient, status=_FAILED, at=ctx.now(), error=detail
        )


def one_line(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, PaperpulseError) else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:500]


def archive_relpath(period: Period) -> str:
    return (
        daily_path(period.days[0]) if period.edition == Edition.DAILY else weekly_path(period.key)
    )


def deliver_archive(ctx: Context, period: Period) -> DeliveryOutcome:
    config = ctx.config
    data = reads(ctx).edition(period)
    digest = add_for_you(
        ctx,
        build_for(ctx, data, reader=ARCHIVE),
        reader=ARCHIVE,
        library=config.archive.library,
        end=period.days[-1],
    )
    digest = enrich(ctx, digest, ARCHIVE, config.archive.library, None, reads(ctx).scholar)
    # Public pages: the archive reader's like / not-for-me links, signed at the period's last
    # day (a re-run of the same period rewrites no byte; they expire in MAX_AGE from then).
    signed_at = datetime.combine(period.days[-1], time(), UTC)
    web = web_links(ctx, ARCHIVE, (i for i, _, _ in shown_items(digest)), signed_at)
    rendered = render_all(
        digest, ReaderLinks(feedback=web.feedback, paper_pages=config.web.base_url) if web else None
    )
    root = ctx.settings.archive_dir
    relpath = archive_relpath(period)
    index, nav = index_and_nav(ctx, digest)
    files = {relpath: nav + rendered.markdown, INDEX_PATH: index}
    shown = shown_items(digest)
    announced = frozenset(i for i, _, new in shown if new)
    files.update(feeds(ctx, digest, announced, hits=data.hf_query_hits))
    topics = sum(1 for s in digest.sections if s.title in {t.name for t in config.topics})
    message = f"digest: {period.key} ({digest.paper_count} papers, {topics} topics)"
    repo = ctx.repository
    with archive_lock(root, git=config.archive.git):
        status, detail = _publish_files(root, files, message, config)
    repo.record_delivery(
        digest.key,
        "archive",
        ARCHIVE,
        status=DeliveryStatus.SENT,
        at=ctx.now(),
        message_id=detail[:200] or None,
    )
    # Stamped with the digest's moment, so a re-run of the same period reads the same ledger.
    repo.record_shown(ARCHIVE, digest.key, shown, digest.generated_at)
    record_announced(ctx, ARCHIVE, digest)
    return DeliveryOutcome(
        channel="archive", recipient=str(root / relpath), status=status, detail=detail
    )


def _publish_files(
    root: Path, files: Mapping[str, str], message: str, config: Config
) -> tuple[DeliveryStatus, str]:
    """Write the archive's files and commit them (no empty commits); push if configured."""
    if config.archive.git:
        archive = ArchiveRepo(
            root,
            config.archive.author_name,
            config.archive.author_email,
            remote=config.archive.remote,
            branch=config.archive.branch,
        )
        archive.ensure()
        result = archive.write_and_commit(files, message)
        status = DeliveryStatus.SENT if result.committed else DeliveryStatus.UNCHANGED
        detail = result.sha or ""
        if result.push_error:
            detail += f" ({NOT_PUSHED}: {result.push_error})"
        return status, detail
    for name, text in files.items():
        write_atomically(root / name, text.encode("utf-8"))
    return DeliveryStatus.SENT, str(root)


# --- email --------------------------------------------------------------------------------


def weekly_readers(ctx: Context) -> list[str]:
    """Who gets the weekly: its email recipients and chat channels (their ledger names)."""
    return [
        *(r.address for r in recipients(ctx.settings, ctx.config) if Edition.WEEKLY in r.editions),
        *(c.name for c in ctx.config.channels if Edition.WEEKLY in c.editions),
    ]


def recipients(settings: Settings, config: Config) -> list[RecipientConfig]:
    """Configured recipients, or the readers named by ``PAPERPULSE_MAIL_TO``; an address
    given twice in another case (``DUP@example.org`` beside ``dup@example.org``: one mailbox
    everywhere in practice) is one reader, the first kept, with a warning."""
    if settings.mail_to:
        given = [RecipientConfig(address=a, editions=("daily", "weekly")) for a in settings.mail_to]
    else:
        given = list(config.email.recipients)
    kept: dict[str, RecipientConfig] = {}
    for recipient in given:
        key = mailbox_key(recipient.address)
        if key in kept:
            log.warning(
                "recipient %s is %s again (addresses compare without case): one email, to %s",
                recipient.address,
                kept[key].address,
                kept[key].address,
            )
            continue
        kept[key] = recipient
    return list(kept.values())


def isolated_email(
    ctx: Context,
    period: Period,
    recipient: RecipientConfig,
    resend_unconfirmed: bool = False,
) -> DeliveryOutcome:
    """``deliver_email``, whose unexpected failure (a bug, text no encoder takes) fails only
    this reader's email, recorded as failed (never left "sending"): later readers still get
    theirs."""
    try:
        return deliver_email(ctx, period, recipient, resend_unconfirmed)
    except Exception as exc:  # one reader's failure must stop only theirs
        detail = f"unexpected failure, reported as a bug: {one_line(exc)}"
        log.debug("email to %s: %s", recipient.address, detail, exc_info=True)  # with -v
        channel: Channel = "outbox" if ctx.settings.smtp is None else "email"
        _record_failure(ctx, period.digest_key, channel, recipient.address, detail)
        return DeliveryOutcome(
            channel=channel, recipient=recipient.address, status=_FAILED, detail=detail
        )


def deliver_email(
    ctx: Context,
    period: Period,
    recipient: RecipientConfig,
    resend_unconfirmed: bool = False,
) -> DeliveryOutcome:
    repo, config, settings = ctx.repository, ctx.config, ctx.settings
    moment = ctx.now()
    key = period.digest_key
    smtp = ctx.smtp()
    channel: Channel = "email" if smtp else "outbox"
    if (why := held_back(ctx, recipient.address)) is not None:
        return DeliveryOutcome(
            channel=channel, recipient=recipient.address, status=DeliveryStatus.SKIPPED, detail=why
        )
    data = reads(ctx).edition(period)
    # Only the dates whose listing the email carries are recorded delivered (rule 5).
    carried = [x.day for x in data.listings if x.status != "missing"]
    if not carried:
        return DeliveryOutcome(
            channel=channel,
            recipient=recipient.address,
            status=DeliveryStatus.SKIPPED,
            detail=f"nothing fetched for {period.key} yet; it is delivered once it is",
        )
    # A claim older than RECLAIM_AFTER whose sender died before reaching the server is taken
    # over; one that died after is unconfirmed, taken over only when the user asks (same
    # Message-ID), however old.
    resending = resend_unconfirmed and repo.claim_unconfirmed(
        key, channel, recipient.address, claimed_at=moment
    )
    if not resending and not repo.claim_delivery(
        key, channel, recipient.address, claimed_at=moment, reclaim_after=RECLAIM_AFTER
    ):
        previous = next(
            (
                r
                for r in repo.delivered(recipient.address, prefix=key)
                if (r.digest_key, r.channel) == (key, channel)
            ),
            None,
        )
        if previous is not None and previous.unconfirmed(moment, UNCONFIRMED_AFTER):
            # Said once, by the run it happened in; later runs only list it (no exit 1).
            why = previous.error or (
                f"{UNCONFIRMED} its sender stopped while handing it to the mail server"
            )
            return DeliveryOutcome(
                channel=channel,
                recipient=recipient.address,
                status=DeliveryStatus.SKIPPED,
                detail="unconfirmed earlier: " + _unconfirmed_hint(why, period),
            )
        return DeliveryOutcome(
            channel=channel,
            recipient=recipient.address,
            status=DeliveryStatus.SKIPPED,
            detail="already sent (or being sent by another run)",
        )
    unconfirmed: str | None = None
    try:
        digest = add_for_you(
            ctx,
            build_for(
                ctx,
                data,
                reader=recipient.address,
                topic_names=recipient.topics,
            ),
            reader=recipient.address,
            library=recipient.library,
            end=period.days[-1],
        )
        digest = enrich(
            ctx,
            digest,
            recipient.address,
            recipient.library,
            recipient.language,
            reads(ctx).scholar,
        )
        web = web_links(ctx, recipient.address, (i for i, _, _ in shown_items(digest)))
        message, shown = _fit(
            digest,
            config,
            recipient.address,
            moment,
            links=email_links(config, period, recipient, web),
            sender=settings.mail_from,
            pages=day_pages(ctx),
            unsubscribe=unsubscribe_targets(config.email, web),
        )
        if smtp is None:
            detail = str(
                write_to_outbox(message, settings.outbox_dir, key=key, recipient=recipient.address)
            )
        else:
            repo.mark_handed(key, channel, recipient.address, at=ctx.now())
            detail = send(message, smtp)
    except UnconfirmedDelivery as exc:
        # Recorded as sent, never claimed again automatically: a duplicate is worse than a
        # message the user can resend by hand.
        unconfirmed = f"{UNCONFIRMED} {exc}"
        detail = _unconfirmed_hint(unconfirmed, period)
    except PaperpulseError as exc:
        repo.record_delivery(
            key,
            channel,
            recipient.address,
            status=DeliveryStatus.FAILED,
            at=ctx.now(),
            error=str(exc),
        )
        return DeliveryOutcome(
            channel=channel,
            recipient=recipient.address,
            status=DeliveryStatus.FAILED,
            detail=str(exc),
        )
    sent_at = ctx.now()
    # The days a catch-up covered count as delivered too: none of them is mailed again.
    carried_keys = [daily_key(d) for d in carried] if period.edition == Edition.DAILY else []
    for day_key in dict.fromkeys([key, *carried_keys]):
        repo.record_delivery(
            day_key,
            channel,
            recipient.address,
            status=DeliveryStatus.SENT,
            at=sent_at,
            message_id=str(message["Message-ID"]),
            error=unconfirmed,
        )
    repo.record_shown(recipient.address, key, shown, digest.generated_at)
    record_announced(ctx, recipient.address, digest)
    return DeliveryOutcome(
        channel=channel,
        recipient=recipient.address,
        status=DeliveryStatus.UNCONFIRMED if unconfirmed else DeliveryStatus.SENT,
        detail=detail,
    )


def _unconfirmed_hint(error: str, period: Period) -> str:
    return (
        f"{error.removeprefix(UNCONFIRMED).strip()}; check the inbox, and to send it again "
        f"(same Message-ID) run `paperpulse deliver --date {period.days[-1]} "
        f"--edition {period.edition} --resend-unconfirmed`"
    )


def email_links(
    config: Config, period: Period, recipient: RecipientConfig, web: ReaderUrls | None = None
) -> ReaderLinks:
    """The reader's footer (unsubscribe, their topics) and the archive's web view, if public;
    with the web application (``web``), its signed unsubscribe, manage and feedback links.
    A catch-up's days are one file each in the archive: its "read it in the archive" is the
    index that lists them, not the first day's file."""
    catching_up = period.edition == Edition.DAILY and len(period.days) > 1
    relpath = INDEX_PATH if catching_up else archive_relpath(period)
    links = archive_links(config.archive.web_url, relpath, INDEX_PATH)
    links = replace(
        links,
        unsubscribe=footer_unsubscribe(config.email.unsubscribe),
        topics=tuple(recipient.topics) or tuple(t.name for t in config.topics),
    )
    if web is None:
        return links
    return replace(
        links,
        unsubscribe=web.unsubscribe,
        manage=web.manage,
        feedback=web.feedback,
        paper_pages=config.web.base_url,
    )


def _fit(
    digest: Digest,
    config: Config,
    address: str,
    moment: datetime,
    links: ReaderLinks | None = None,
    sender: str | None = None,
    pages: DayPages | None = None,
    unsubscribe: Sequence[str] | None = None,
) -> tuple[EmailMessage, list[tuple[str, int | None, bool]]]:
    """The message under ``[email] max_bytes`` (Gmail clips ~102 KB): full cards, else
    one-line links for the least important sections, else "…and N more" linked to ``pages``
    (``digest/email_fit.py``); and what it shows, for the reader's ledger (a one-line link
    reached the reader, a cut paper did not). ``sender`` overrides ``[email] from``."""
    email = config.email

    def message(shown: Digest) -> EmailMessage:
        return build_message(
            render_email(shown, links),
            sender=sender or email.sender,
            recipient=address,
            list_id=email.list_id,
            unsubscribe=unsubscribe or email.unsubscribe,
            message_id_domain=email.list_id,
            date=moment,
        )

    shown, built = fit(
        digest, limit=email.max_bytes, pages=pages or DayPages(), build=message, size=message_size
    )
    return built, shown_items(shown)


def day_pages(ctx: Context) -> DayPages:
    """Where a reader can read every paper of a list date: its file in the archive's web view
    (a date the archive was delivered), else the followed sources' own day pages."""
    settings, config = ctx.settings, ctx.config
    sources = config.sources
    archived = frozenset(
        day
        for key in ctx.repository.sent_digests("archive", ARCHIVE)
        if (day := day_of_key(key)) is not None
    )
    return DayPages(
        archive=config.archive.web_url,
        archived=archived,
        hf=settings.hf_url if sources.hf_daily else None,
        arxiv=settings.arxiv_url if sources.arxiv_categories else None,
        categories=tuple(sources.arxiv_categories),
    )


# --- chat and push channels (Apprise) ---------------------------------------------------


def deliver_chats(ctx: Context, period: Period) -> list[DeliveryOutcome]:
    return [
        deliver_chat(ctx, period, channel)
        for channel in ctx.config.channels
        if period.edition in channel.editions
    ]


def deliver_chat(ctx: Context, period: Period, channel: ChannelConfig) -> DeliveryOutcome:
    """The top papers to one channel, at most once per digest: claimed in the same ledger as
    email, under ("chat", the channel's name); its reader's ledger is "chat:<name>"."""
    repo, config = ctx.repository, ctx.config
    key = period.digest_key
    if not repo.claim_delivery(
        key, "chat", channel.name, claimed_at=ctx.now(), reclaim_after=RECLAIM_AFTER
    ):
        return DeliveryOutcome(
            channel="chat",
            recipient=channel.name,
            status=DeliveryStatus.SKIPPED,
            detail="already sent (or being sent by another run)",
        )
    reader = f"chat:{channel.name}"
    try:
        url = _channel_url(channel, ctx.settings.channel_urls)
        data = reads(ctx).edition(period)
        digest = build_for(ctx, data, reader=reader, topic_names=channel.topics)
        links = archive_links(config.archive.web_url, archive_relpath(period), INDEX_PATH)
        message = chat_message(digest, top=channel.top, links=links)
        send_chat(url, title=message.title, body=message.body, name=channel.name)
    except PaperpulseError as exc:
        repo.record_delivery(
            key,
            "chat",
            channel.name,
            status=DeliveryStatus.FAILED,
            at=ctx.now(),
            error=str(exc),
        )
        return DeliveryOutcome(
            channel="chat", recipient=channel.name, status=DeliveryStatus.FAILED, detail=str(exc)
        )
    repo.record_delivery(key, "chat", channel.name, status=DeliveryStatus.SENT, at=ctx.now())
    repo.record_shown(reader, key, message.shown, digest.generated_at)
    return DeliveryOutcome(channel="chat", recipient=channel.name, status=DeliveryStatus.SENT)


def _channel_url(channel: ChannelConfig, urls: Mapping[str, str]) -> str:
    if channel.url is not None:
        return channel.url
    value = urls.get(channel.url_env or "", "")
    if not value:
        raise ConfigError(
            f"channel {channel.name}: environment variable {channel.url_env} is not set; "
            "set it to the channel's Apprise URL (e.g. slack://...)"
        )
    return value
