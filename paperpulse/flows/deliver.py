"""Deliver an edition on every configured channel, exactly once each (plain functions).

Channels: the Markdown archive (a git repository, with its index and Atom feeds) and email to
each recipient (SMTP, or ``.eml`` files in an outbox when no SMTP server is configured). The
deliveries ledger claims each (digest, channel, recipient) before sending, so a re-run or a
concurrent run never sends twice, and a failed send is retried by the next run.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from xml.etree import ElementTree

from paperpulse.core.errors import ConfigError, DeliveryError, PaperpulseError
from paperpulse.delivery.git_archive import ArchiveRepo
from paperpulse.delivery.outbox import write_to_outbox
from paperpulse.delivery.smtp import SmtpSettings, UnconfirmedDelivery, send
from paperpulse.digest.archive_paths import (
    INDEX_PATH,
    ArchiveEntry,
    build_index,
    daily_path,
    week_start,
    weekly_path,
)
from paperpulse.digest.edition import Edition, cap_sections
from paperpulse.digest.email_message import build_message, fit_to_size
from paperpulse.digest.feed import FeedEntry, build_feed, digest_entry_id, feed_id, paper_entry_id
from paperpulse.digest.models import Digest, RenderedDigest
from paperpulse.digest.render import render_all
from paperpulse.flows.collect import now_utc, repository
from paperpulse.flows.compose import ARCHIVE, Period, build
from paperpulse.flows.config import Config, RecipientConfig
from paperpulse.flows.settings import Settings
from paperpulse.storage.repository import UNCONFIRMED

FEED_SIZE = 50  # entries kept per feed
RECLAIM_AFTER = timedelta(minutes=30)
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryOutcome:
    channel: str  # "archive" | "email" | "outbox"
    recipient: str
    status: str  # "sent" | "unchanged" | "skipped" | "failed" | "unconfirmed"
    detail: str = ""  # commit sha, message id, outbox path, or the error


def deliver(
    settings: Settings,
    config: Config,
    period: Period,
    *,
    email: bool = True,
    now: datetime | None = None,
    resend_unconfirmed: bool = False,
) -> list[DeliveryOutcome]:
    """The archive first (it is the record), then each recipient's email."""
    outcomes = [deliver_archive(settings, config, period, now=now)]
    if email:
        for recipient in recipients(config):
            if period.edition in recipient.editions:
                outcomes.append(
                    deliver_email(
                        settings,
                        config,
                        period,
                        recipient,
                        now=now,
                        resend_unconfirmed=resend_unconfirmed,
                    )
                )
    return outcomes


# --- the archive --------------------------------------------------------------------------


def archive_relpath(period: Period) -> str:
    return daily_path(period.days[0]) if period.edition == "daily" else weekly_path(period.key)


def deliver_archive(
    settings: Settings, config: Config, period: Period, now: datetime | None = None
) -> DeliveryOutcome:
    edition = build(settings, config, period, recipient=ARCHIVE, now=now)
    rendered = render_all(edition.digest)
    root = settings.archive_dir
    relpath = archive_relpath(period)
    files = {relpath: rendered.markdown}
    files[INDEX_PATH] = build_index(_index_entries(root, extra={relpath: edition.digest}))
    files.update(_feeds(root, edition.digest, config))
    topics = sum(1 for s in edition.digest.sections if s.title in {t.name for t in config.topics})
    message = f"digest: {period.key} ({edition.digest.paper_count} papers, {topics} topics)"
    repo = repository(settings.database_url)
    with archive_lock(root, git=config.archive.git):
        status, detail = _publish_files(root, files, message, config)
    repo.record_delivery(
        edition.digest.key,
        "archive",
        ARCHIVE,
        status="sent",
        at=now or now_utc(),
        message_id=detail[:200] or None,
    )
    # Stamped with the digest's moment, so a re-run of the same period recognises its own.
    repo.mark_sent_new(ARCHIVE, period.edition, edition.announced_new, edition.digest.generated_at)
    return DeliveryOutcome(
        channel="archive", recipient=str(root / relpath), status=status, detail=detail
    )


def _publish_files(
    root: Path, files: Mapping[str, str], message: str, config: Config
) -> tuple[str, str]:
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
        status = "sent" if result.committed else "unchanged"
        detail = result.sha or ""
        if result.push_error:
            detail += f" (push failed, will retry next run: {result.push_error})"
        return status, detail
    for name, text in files.items():
        _write(root / name, text)
    return "sent", str(root)


@contextmanager
def archive_lock(root: Path, *, git: bool = True) -> Iterator[None]:
    """One writer at a time per archive: two runs committing at once would trip git's lock.

    The lock lives inside the archive's ``.git`` (created early; ``git init`` accepts an empty
    one), so nothing lands beside the archive and git never sees it.
    """
    lock = root / ".git" / "paperpulse.lock" if git else root / ".paperpulse.lock"
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = lock.open("a")
    except OSError as exc:
        raise DeliveryError(
            f"archive directory {root} is unusable ({exc.strerror or exc}"
            f"{': ' + exc.filename if exc.filename else ''}); set PAPERPULSE_ARCHIVE_DIR to a "
            "writable directory"
        ) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _index_entries(root: Path, *, extra: Mapping[str, Digest]) -> list[ArchiveEntry]:
    """Every digest in the archive (read back from the files' first lines) plus this one."""
    entries = []
    for path in sorted(root.glob("[0-9][0-9][0-9][0-9]/*/*.md")):
        rel = path.relative_to(root).as_posix()
        if rel in extra:
            continue
        head = path.read_text(encoding="utf-8").splitlines()[:3]
        title = head[0].removeprefix("# paperpulse · ") if head else path.stem
        count = re.match(r"(\d+) papers", head[2]) if len(head) > 2 else None
        period: date | str = path.stem if "W" in path.stem else date.fromisoformat(path.stem)
        entries.append(
            ArchiveEntry(
                period=period,
                title=title.replace("\\", ""),
                path=rel,
                n_papers=int(count.group(1)) if count else 0,
            )
        )
    for rel, digest in extra.items():
        period = digest.period if digest.edition == "weekly" else date.fromisoformat(digest.period)
        entries.append(
            ArchiveEntry(period=period, title=digest.title, path=rel, n_papers=digest.fetched)
        )
    return entries


def _feeds(root: Path, digest: Digest, config: Config) -> dict[str, str]:
    """``feed.xml`` (one entry per digest) and ``feeds/<topic>.xml`` (one entry per paper)."""
    updated = feed_time(digest)
    rendered = render_all(digest)
    digest_entry = FeedEntry(
        id=digest_entry_id(digest.key),
        title=digest.title,
        link=f"https://huggingface.co/papers/date/{digest.period}"
        if digest.edition == "daily"
        else "https://huggingface.co/papers",
        updated=updated,
        summary_html=rendered.html,
    )
    feeds = {"feed.xml": _merge_feed(root / "feed.xml", "paperpulse", [digest_entry], updated)}
    topic_names = {t.name for t in config.topics}
    for section in digest.sections:
        if section.title not in topic_names:
            continue
        entries = [
            FeedEntry(
                id=paper_entry_id(item.paper.arxiv_id),
                title=item.paper.title,
                link=item.paper.hf_url,
                updated=updated,
                summary_text=item.reason or item.paper.ai_summary or item.paper.abstract,
                authors=tuple(a.name for a in item.paper.authors[:10]),
            )
            for item in section.items
        ]
        name = f"feeds/{_slug(section.title)}.xml"
        feeds[name] = _merge_feed(root / name, f"paperpulse · {section.title}", entries, updated)
    return feeds


def feed_time(digest: Digest) -> datetime:
    """When a digest's feed entries say they were updated: the end of its period (UTC), so
    re-running a day with nothing new rewrites the feeds byte for byte (and commits nothing)."""
    last = (
        week_start(digest.period) + timedelta(days=6)
        if digest.edition == "weekly"
        else (date.fromisoformat(digest.period))
    )
    return datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)


def _merge_feed(path: Path, title: str, entries: Sequence[FeedEntry], updated: datetime) -> str:
    """New entries first, then those already in the file (by id, newest kept), capped."""
    merged = {e.id: e for e in entries}
    if path.exists():
        try:
            for old in ElementTree.parse(path).getroot().iter(f"{ATOM}entry"):
                entry = _entry_from_xml(old)
                if entry is not None and entry.id not in merged:
                    merged[entry.id] = entry
        except ElementTree.ParseError:
            pass  # a damaged feed is rebuilt from this digest on
    ordered = sorted(merged.values(), key=lambda e: e.updated, reverse=True)[:FEED_SIZE]
    data = build_feed(
        feed_id=feed_id(_slug(title)),
        title=title,
        link="https://huggingface.co/papers",
        updated=updated,
        entries=ordered,
    )
    return data.decode("utf-8")


def _entry_from_xml(node: ElementTree.Element) -> FeedEntry | None:
    def text(tag: str) -> str:
        return (node.findtext(f"{ATOM}{tag}") or "").strip()

    link = node.find(f"{ATOM}link")
    try:
        updated = datetime.fromisoformat(text("updated")).astimezone(UTC)
    except ValueError:
        return None
    content = node.find(f"{ATOM}content")
    summary = node.find(f"{ATOM}summary")
    html = content.text if content is not None and content.get("type") == "html" else None
    return FeedEntry(
        id=text("id"),
        title=text("title"),
        link=link.get("href", "") if link is not None else "",
        updated=updated,
        summary_html=html,
        summary_text=None if html else (summary.text if summary is not None else None),
        authors=tuple(a.findtext(f"{ATOM}name") or "" for a in node.iter(f"{ATOM}author")),
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "topic"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# --- email --------------------------------------------------------------------------------


def recipients(config: Config, environ: Mapping[str, str] | None = None) -> list[RecipientConfig]:
    """Configured recipients, or the single reader named by ``PAPERPULSE_MAIL_TO``."""
    env = os.environ if environ is None else environ
    override = [a.strip() for a in env.get("PAPERPULSE_MAIL_TO", "").split(",") if a.strip()]
    if override:
        return [RecipientConfig(address=a, editions=("daily", "weekly")) for a in override]
    return list(config.email.recipients)


def smtp_settings(environ: Mapping[str, str] | None = None) -> SmtpSettings | None:
    """SMTP from the environment; None means "write .eml files to the outbox"."""
    env = os.environ if environ is None else environ
    host = env.get("PAPERPULSE_SMTP_HOST", "").strip()
    if not host:
        return None
    port_text = env.get("PAPERPULSE_SMTP_PORT", "").strip()
    try:
        port = int(port_text) if port_text else None
    except ValueError:
        raise ConfigError(f"PAPERPULSE_SMTP_PORT must be a number, not {port_text!r}") from None
    security = env.get("PAPERPULSE_SMTP_SECURITY", "starttls").strip() or "starttls"
    if security not in ("ssl", "starttls", "none"):
        raise ConfigError("PAPERPULSE_SMTP_SECURITY must be ssl (465), starttls (587) or none")
    return SmtpSettings(
        host=host,
        port=port,
        security=security,  # type: ignore[arg-type]
        user=env.get("PAPERPULSE_SMTP_USER") or None,
        password=_smtp_password(env),
        ca_file=env.get("PAPERPULSE_SMTP_CA_FILE") or None,
        allow_plain_auth=env.get("PAPERPULSE_SMTP_ALLOW_PLAIN_AUTH", "").strip() == "1",
    )


def _smtp_password(env: Mapping[str, str]) -> str | None:
    block = env.get("PAPERPULSE_SMTP_PASSWORD_BLOCK", "").strip()
    if block:
        # Deployments keep the password in a Prefect Secret block rather than the environment.
        from prefect.blocks.system import Secret

        value = Secret.load(block).get()  # type: ignore[union-attr]
        return str(value)
    return env.get("PAPERPULSE_SMTP_PASSWORD") or None


def deliver_email(
    settings: Settings,
    config: Config,
    period: Period,
    recipient: RecipientConfig,
    now: datetime | None = None,
    resend_unconfirmed: bool = False,
) -> DeliveryOutcome:
    repo = repository(settings.database_url)
    moment = now or now_utc()
    key = f"{period.edition}/{period.key}"
    smtp = smtp_settings()
    channel = "email" if smtp else "outbox"
    # A claim older than RECLAIM_AFTER belonged to a run that died mid-send: take it over.
    # An unconfirmed send is taken over only when the user asked (same Message-ID).
    resending = resend_unconfirmed and repo.claim_unconfirmed(
        key, channel, recipient.address, claimed_at=moment
    )
    if not resending and not repo.claim_delivery(
        key, channel, recipient.address, claimed_at=moment, reclaim_after=RECLAIM_AFTER
    ):
        previous = repo.delivery_status(key, channel, recipient.address)
        if previous is not None and (previous.error or "").startswith(UNCONFIRMED):
            # Said once, by the run it happened in; later runs only list it (no exit 1).
            return DeliveryOutcome(
                channel=channel,
                recipient=recipient.address,
                status="skipped",
                detail="unconfirmed earlier: " + _unconfirmed_hint(previous.error or "", period),
            )
        return DeliveryOutcome(
            channel=channel,
            recipient=recipient.address,
            status="skipped",
            detail="already sent (or being sent by another run)",
        )
    try:
        edition = build(
            settings,
            config,
            period,
            recipient=recipient.address,
            topic_names=recipient.topics,
            now=now,
        )
        message = _fit(edition, config, recipient.address, moment)
        if smtp is None:
            outbox = Path(os.environ.get("PAPERPULSE_OUTBOX_DIR") or "outbox")
            detail = str(write_to_outbox(message, outbox, key=key, recipient=recipient.address))
        else:
            detail = send(message, smtp)
    except UnconfirmedDelivery as exc:
        # Recorded as sent, never claimed again automatically: a duplicate is worse than a
        # message the user can resend by hand.
        error = f"{UNCONFIRMED} {exc}"
        repo.record_delivery(
            key,
            channel,
            recipient.address,
            status="sent",
            at=now_utc(),
            message_id=str(message["Message-ID"]),
            error=error,
        )
        repo.mark_sent_new(
            recipient.address, period.edition, edition.announced_new, edition.digest.generated_at
        )
        return DeliveryOutcome(
            channel=channel,
            recipient=recipient.address,
            status="unconfirmed",
            detail=_unconfirmed_hint(error, period),
        )
    except PaperpulseError as exc:
        repo.record_delivery(
            key, channel, recipient.address, status="failed", at=now_utc(), error=str(exc)
        )
        return DeliveryOutcome(
            channel=channel, recipient=recipient.address, status="failed", detail=str(exc)
        )
    repo.record_delivery(
        key,
        channel,
        recipient.address,
        status="sent",
        at=now_utc(),
        message_id=str(message["Message-ID"]),
    )
    repo.mark_sent_new(
        recipient.address, period.edition, edition.announced_new, edition.digest.generated_at
    )
    return DeliveryOutcome(
        channel=channel, recipient=recipient.address, status="sent", detail=detail
    )


def _unconfirmed_hint(error: str, period: Period) -> str:
    return (
        f"{error.removeprefix(UNCONFIRMED).strip()}; check the inbox, and to send it again "
        f"(same Message-ID) run `paperpulse deliver --date {period.days[0]} "
        f"--edition {period.edition} --resend-unconfirmed`"
    )


def _fit(edition: Edition, config: Config, address: str, moment: datetime) -> EmailMessage:
    """The message, its sections capped until it fits the size limit (Gmail clips ~102 KB)."""
    email = config.email

    def build_for(rendered: RenderedDigest) -> EmailMessage:
        return build_message(
            rendered,
            sender=os.environ.get("PAPERPULSE_MAIL_FROM") or email.sender,
            recipient=address,
            list_id=email.list_id,
            unsubscribe=email.unsubscribe,
            message_id_domain=email.list_id,
            date=moment,
        )

    rendered, _ = fit_to_size(
        lambda cap: render_all(cap_sections(edition.digest, cap)), email.max_bytes, build=build_for
    )
    return build_for(rendered)
