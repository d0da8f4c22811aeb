"""The reader's choices where delivery meets them: who unsubscribed (skipped), who paused
(skipped until then), the topics and editions chosen on the manage page, and the signed links
each reader's copy carries when ``[web] base_url`` is set. ``deliver.py`` calls these; the
web application (``paperpulse/web``) writes what they read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from paperpulse.config.file import EmailConfig, RecipientConfig
from paperpulse.config.settings import Settings
from paperpulse.digest.reader_tokens import ReaderTokens, ReaderUrls, reader_urls
from paperpulse.storage.readers import ReaderStore
from paperpulse.storage.repository import Repository

if TYPE_CHECKING:
    from paperpulse.app.context import Context


def reader_store(repo: Repository) -> ReaderStore:
    return ReaderStore(repo.engine)


def reader_tokens(settings: Settings, repo: Repository, at: datetime | None = None) -> ReaderTokens:
    """Signs with ``PAPERPULSE_WEB_SECRET``, else the key kept in the database (made once).
    ``at`` fixes the signing time (a file re-written for the same digest changes no byte)."""
    key = settings.web_secret or _stored_key(settings.database_url, repo)
    return ReaderTokens(key, settings.clock.now if at is None else lambda: at)


_KEYS: dict[str, str] = {}  # the stored signing key by database: it never changes once made


def _stored_key(database_url: str, repo: Repository) -> str:
    if database_url not in _KEYS:
        _KEYS[database_url] = reader_store(repo).signing_key()
    return _KEYS[database_url]


def held_back(ctx: Context, reader: str) -> str | None:
    """Why no email goes to ``reader`` now (unsubscribed, paused), or None."""
    settings = ctx.settings
    store = reader_store(ctx.repository)
    if store.is_suppressed(reader):
        return "unsubscribed (resubscribe from the link in any earlier email)"
    prefs = store.prefs(reader)
    if prefs.paused(settings.clock.now()):
        assert prefs.paused_until is not None
        return f"paused by the reader until {prefs.paused_until:%Y-%m-%d %H:%M} UTC"
    return None


def with_preferences(ctx: Context, recipients: Sequence[RecipientConfig]) -> list[RecipientConfig]:
    """Each recipient with the topics and editions they chose on the manage page (topics
    no longer configured are dropped; none left means every topic)."""
    if not recipients:
        return []
    store = reader_store(ctx.repository)
    known = {t.name.casefold(): t.name for t in ctx.config.topics}
    chosen = []
    for recipient in recipients:
        prefs = store.prefs(recipient.address)
        if prefs.topics is not None:
            topics = tuple(known[t.casefold()] for t in prefs.topics if t.casefold() in known)
            recipient = recipient.model_copy(update={"topics": topics})
        if prefs.editions is not None:
            editions = tuple(e for e in prefs.editions if e in ("daily", "weekly"))
            recipient = recipient.model_copy(update={"editions": editions})
        chosen.append(recipient)
    return chosen


def web_links(
    ctx: Context,
    reader: str,
    arxiv_ids: Iterable[str],
    at: datetime | None = None,
) -> ReaderUrls | None:
    """The reader's signed links into the web application, if it has a public address."""
    base = ctx.config.web.base_url
    if base is None:
        return None
    return reader_urls(reader_tokens(ctx.settings, ctx.repository, at), base, reader, arxiv_ids)


def feed_actions(
    ctx: Context, reader: str, when: Mapping[str, datetime]
) -> dict[str, dict[str, str]]:
    """Per feed entry: its paper page and signed like / not-for-me links, each signed at the
    entry's own time (a feed rebuilt with nothing new changes no byte)."""
    base = ctx.config.web.base_url
    if base is None:
        return {}
    actions: dict[str, dict[str, str]] = {}
    for arxiv_id, at in when.items():
        urls = reader_urls(
            reader_tokens(ctx.settings, ctx.repository, at), base, reader, [arxiv_id]
        )
        actions[arxiv_id] = {"page": f"{base}/paper/{arxiv_id}", **urls.feedback[arxiv_id]}
    return actions


def unsubscribe_targets(email: EmailConfig, web: ReaderUrls | None) -> list[str]:
    """List-Unsubscribe's targets: the web's one-click URL (RFC 8058 wants https) first, then
    the configured mailto/URL unless it is still the placeholder default."""
    targets = [web.unsubscribe] if web and web.unsubscribe.startswith("https://") else []
    default = EmailConfig.model_fields["unsubscribe"].default
    if not targets or email.unsubscribe != default:
        targets.append(email.unsubscribe)
    return targets
