"""Deliver an edition on every configured channel, exactly once each (plain functions).

Channels: the Markdown archive (a git repository, with its index and Atom feeds) and email to
each recipient (SMTP, or ``.eml`` files in an outbox when no SMTP server is configured). The
deliveries ledger claims each (digest, channel, recipient) before sending, so a re-run or a
concurrent run never sends twice, and a failed send is retried by the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import cache, partial
from pathlib import Path
from typing import Literal

from paperpulse.core.errors import ConfigError, PaperpulseError
from paperpulse.core.kinds import DeliveryStatus, Edition
from paperpulse.delivery.chat import send_chat
from paperpulse.delivery.files import archive_lock, write_atomically
from paperpulse.delivery.git_archive import ArchiveRepo
from paperpulse.delivery.outbox import write_to_outbox
from paperpulse.delivery.smtp import SmtpSettings, UnconfirmedDelivery, send
from paperpulse.digest.archive_paths import INDEX_PATH, daily_path, weekly_path
from paperpulse.digest.chat_message import chat_message
from paperpulse.digest.edition import cap_sections, shown_items
from paperpulse.digest.email_message import build_message, fit_to_size, footer_unsubscribe
from paperpulse.digest.models import Digest, RenderedDigest
from paperpulse.digest.presentation import ReaderLinks, archive_links
from paperpulse.digest.render import render_all
from paperpulse.flows.compose import ARCHIVE, EditionReads, Period, build_for, reader_period
from paperpulse.flows.config import ChannelConfig, Config, RecipientConfig
from paperpulse.flows.context import repository
from paperpulse.flows.foryou import add_for_you
from paperpulse.flows.publish import feeds, index_and_nav
from paperpulse.flows.scholarly import enrich, log_tally, record_announced
from paperpulse.flows.settings import Settings
from paperpulse.storage.repository import UNCONFIRMED

RECLAIM_AFTER = timedelta(minutes=30)
Channel = Literal["archive", "email", "outbox", "chat"]  # "outbox": email written to files


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryOutcome:
    channel: Channel
    recipient: str
    status: DeliveryStatus
    detail: str = ""  # commit sha, message id, outbox path, or the error


def deliver(
    settings: Settings,
    config: Config,
    period: Period,
    *,
    email: bool = True,
    resend_unconfirmed: bool = False,
    catch_up: bool = True,
) -> list[DeliveryOutcome]:
    """The archive first (it is the record), then each recipient's email: for a daily period,
    one email covering every day not yet delivered to that reader (a catch-up after a gap);
    without ``catch_up`` (an explicit ``paperpulse deliver``), exactly ``period``.

    The edition's shared data is read once (``EditionReads``) and each channel's and reader's
    digest is a cheap step over it: N readers cost one read, not N+1."""
    reads = EditionReads(settings, config)
    outcomes = [deliver_archive(settings, config, period, reads)]
    # Resolved on the first email, then kept: a password in a Prefect Secret is one API call
    # per run, not one per reader.
    server = cache(partial(smtp_settings, settings))
    if email:
        for recipient in recipients(settings, config):
            if period.edition not in recipient.editions:
                continue
            wanted = (
                reader_period(settings, config, recipient.address, period.days[-1], reads)
                if period.edition == Edition.DAILY and catch_up and not resend_unconfirmed
                else period
            )
            if wanted is not None:
                outcomes.append(
                    deliver_email(
                        settings,
                        config,
                        wanted,
                        recipient,
                        resend_unconfirmed=resend_unconfirmed,
                        reads=reads,
                        server=server,
                    )
                )
        outcomes += deliver_chats(settings, config, period, reads)
    log_tally(reads.scholar, config)
    return outcomes


# --- the archive --------------------------------------------------------------------------


def archive_relpath(period: Period) -> str:
    return (
        daily_path(period.days[0]) if period.edition == Edition.DAILY else weekly_path(period.key)
    )


def deliver_archive(
    settings: Settings, config: Config, period: Period, reads: EditionReads | None = None
) -> DeliveryOutcome:
    reads = reads or EditionReads(settings, config)
    data = reads.edition(period)
    digest = add_for_you(
        build_for(settings, config, data, reader=ARCHIVE),
        settings,
        reader=ARCHIVE,
        library=config.archive.library,
        cap=config.digest.for_you,
        end=period.days[-1],
        shared=reads.for_you,
    )
    digest = enrich(digest, settings, config, ARCHIVE, config.archive.library, None, reads.scholar)
    rendered = render_all(digest)
    root = settings.archive_dir
    relpath = archive_relpath(period)
    index, nav = index_and_nav(settings, config, digest)
    files = {relpath: nav + rendered.markdown, INDEX_PATH: index}
    shown = shown_items(digest)
    announced = frozenset(i for i, _, new in shown if new)
    files.update(feeds(settings, config, digest, announced, hits=data.hf_query_hits))
    topics = sum(1 for s in digest.sections if s.title in {t.name for t in config.topics})
    message = f"digest: {period.key} ({digest.paper_count} papers, {topics} topics)"
    repo = repository(settings.database_url)
    with archive_lock(root, git=config.archive.git):
        status, detail = _publish_files(root, files, message, config)
    repo.record_delivery(
        digest.key,
        "archive",
        ARCHIVE,
        status=DeliveryStatus.SENT,
        at=settings.clock.now(),
        message_id=detail[:200] or None,
    )
    # Stamped with the digest's moment, so a re-run of the same period reads the same ledger.
    repo.record_shown(ARCHIVE, digest.key, shown, digest.generated_at)
    record_announced(settings, ARCHIVE, digest)
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
            detail += f" (committed here, not pushed; tried again next run: {result.push_error})"
        return status, detail
    for name, text in files.items():
        write_atomically(root / name, text.encode("utf-8"))
    return DeliveryStatus.SENT, str(root)


# --- email --------------------------------------------------------------------------------


def recipients(settings: Settings, config: Config) -> list[RecipientConfig]:
    """Configured recipients, or the readers named by ``PAPERPULSE_MAIL_TO``."""
    if settings.mail_to:
        return [RecipientConfig(address=a, editions=("daily", "weekly")) for a in settings.mail_to]
    return list(config.email.recipients)


def smtp_settings(settings: Settings) -> SmtpSettings | None:
    """The SMTP server to send through; None means "write .eml files to the outbox"."""
    if settings.smtp is None or not settings.smtp_password_block:
        return settings.smtp
    # Deployments keep the password in a Prefect Secret block rather than the environment.
    from prefect.blocks.system import Secret

    value = Secret.load(settings.smtp_password_block).get()  # type: ignore[union-attr]
    return replace(settings.smtp, password=str(value))


def deliver_email(
    settings: Settings,
    config: Config,
    period: Period,
    recipient: RecipientConfig,
    resend_unconfirmed: bool = False,
    reads: EditionReads | None = None,
    server: Callable[[], SmtpSettings | None] | None = None,
) -> DeliveryOutcome:
    repo = repository(settings.database_url)
    moment = settings.clock.now()
    key = period.digest_key
    smtp = server() if server is not None else smtp_settings(settings)
    channel: Channel = "email" if smtp else "outbox"
    # A claim older than RECLAIM_AFTER belonged to a run that died mid-send: take it over.
    # An unconfirmed send is taken over only when the user asked (same Message-ID).
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
        if previous is not None and (previous.error or "").startswith(UNCONFIRMED):
            # Said once, by the run it happened in; later runs only list it (no exit 1).
            return DeliveryOutcome(
                channel=channel,
                recipient=recipient.address,
                status=DeliveryStatus.SKIPPED,
                detail="unconfirmed earlier: " + _unconfirmed_hint(previous.error or "", period),
            )
        return DeliveryOutcome(
            channel=channel,
            recipient=recipient.address,
            status=DeliveryStatus.SKIPPED,
            detail="already sent (or being sent by another run)",
        )
    unconfirmed: str | None = None
    reads = reads or EditionReads(settings, config)
    try:
        digest = add_for_you(
            build_for(
                settings,
                config,
                reads.edition(period),
                reader=recipient.address,
                topic_names=recipient.topics,
            ),
            settings,
            reader=recipient.address,
            library=recipient.library,
            cap=config.digest.for_you,
            end=period.days[-1],
            shared=reads.for_you,
        )
        digest = enrich(
            digest,
            settings,
            config,
            recipient.address,
            recipient.library,
            recipient.language,
            reads.scholar,
        )
        message, shown = _fit(
            digest,
            config,
            recipient.address,
            moment,
            links=email_links(config, period, recipient),
            sender=settings.mail_from,
        )
        if smtp is None:
            detail = str(
                write_to_outbox(message, settings.outbox_dir, key=key, recipient=recipient.address)
            )
        else:
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
            at=settings.clock.now(),
            error=str(exc),
        )
        return DeliveryOutcome(
            channel=channel,
            recipient=recipient.address,
            status=DeliveryStatus.FAILED,
            detail=str(exc),
        )
    sent_at = settings.clock.now()
    # The days a catch-up covered count as delivered too: none of them is mailed again.
    for day_key in [
        key,
        *(f"daily/{d}" for d in period.days[:-1] if period.edition == Edition.DAILY),
    ]:
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
    record_announced(settings, recipient.address, digest)
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


def email_links(config: Config, period: Period, recipient: RecipientConfig) -> ReaderLinks:
    """The reader's footer (unsubscribe, their topics) and the archive's web view, if public."""
    links = archive_links(config.archive.web_url, archive_relpath(period), INDEX_PATH)
    return replace(
        links,
        unsubscribe=footer_unsubscribe(config.email.unsubscribe),
        topics=tuple(recipient.topics) or tuple(t.name for t in config.topics),
    )


def _fit(
    digest: Digest,
    config: Config,
    address: str,
    moment: datetime,
    links: ReaderLinks | None = None,
    sender: str | None = None,
) -> tuple[EmailMessage, list[tuple[str, int | None, bool]]]:
    """The message, its sections capped until it fits the size limit (Gmail clips ~102 KB),
    and what it shows (for the reader's ledger: only what the reader really got). ``sender``
    overrides ``[email] from``."""
    email = config.email

    def build_for(rendered: RenderedDigest) -> EmailMessage:
        return build_message(
            rendered,
            sender=sender or email.sender,
            recipient=address,
            list_id=email.list_id,
            unsubscribe=email.unsubscribe,
            message_id_domain=email.list_id,
            date=moment,
        )

    rendered, cap = fit_to_size(
        lambda cap: render_all(cap_sections(digest, cap), links), email.max_bytes, build=build_for
    )
    return build_for(rendered), shown_items(cap_sections(digest, cap))


# --- chat and push channels (Apprise) ---------------------------------------------------


def deliver_chats(
    settings: Settings, config: Config, period: Period, reads: EditionReads | None = None
) -> list[DeliveryOutcome]:
    reads = reads or EditionReads(settings, config)
    return [
        deliver_chat(settings, config, period, channel, reads)
        for channel in config.channels
        if period.edition in channel.editions
    ]


def deliver_chat(
    settings: Settings,
    config: Config,
    period: Period,
    channel: ChannelConfig,
    reads: EditionReads | None = None,
) -> DeliveryOutcome:
    """The top papers to one channel, at most once per digest: claimed in the same ledger as
    email, under ("chat", the channel's name); its reader's ledger is "chat:<name>"."""
    repo = repository(settings.database_url)
    key = period.digest_key
    if not repo.claim_delivery(
        key, "chat", channel.name, claimed_at=settings.clock.now(), reclaim_after=RECLAIM_AFTER
    ):
        return DeliveryOutcome(
            channel="chat",
            recipient=channel.name,
            status=DeliveryStatus.SKIPPED,
            detail="already sent (or being sent by another run)",
        )
    reader = f"chat:{channel.name}"
    try:
        url = _channel_url(channel, settings.channel_urls)
        data = (reads or EditionReads(settings, config)).edition(period)
        digest = build_for(settings, config, data, reader=reader, topic_names=channel.topics)
        links = archive_links(config.archive.web_url, archive_relpath(period), INDEX_PATH)
        message = chat_message(digest, top=channel.top, links=links)
        send_chat(url, title=message.title, body=message.body, name=channel.name)
    except PaperpulseError as exc:
        repo.record_delivery(
            key,
            "chat",
            channel.name,
            status=DeliveryStatus.FAILED,
            at=settings.clock.now(),
            error=str(exc),
        )
        return DeliveryOutcome(
            channel="chat", recipient=channel.name, status=DeliveryStatus.FAILED, detail=str(exc)
        )
    repo.record_delivery(
        key, "chat", channel.name, status=DeliveryStatus.SENT, at=settings.clock.now()
    )
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
