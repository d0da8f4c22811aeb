"""Signed links for one reader and one action: unsubscribe, manage, like, hide.

A token is the reader (and the paper, for like/hide) signed with itsdangerous under a salt per
action, so a "like" token cannot unsubscribe and a token edited to name another reader fails
its signature; it carries its signing time and expires after the action's ``MAX_AGE``. Pure:
the key and the clock come from the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from paperpulse.core.errors import PaperpulseError

Action = Literal["unsubscribe", "manage", "like", "hide"]
ACTIONS: tuple[Action, ...] = ("unsubscribe", "manage", "like", "hide")
# Unsubscribe links must keep working long after the email (a reader digs out an old one).
MAX_AGE: Mapping[Action, timedelta] = {
    "unsubscribe": timedelta(days=400),
    "manage": timedelta(days=90),
    "like": timedelta(days=60),
    "hide": timedelta(days=60),
}
PATHS: Mapping[Action, str] = {
    "unsubscribe": "unsubscribe",
    "manage": "manage",
    "like": "like",
    "hide": "hide",
}


class TokenError(PaperpulseError):
    """A link that cannot be honoured; ``expired`` tells the two cases apart for the page."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """What a valid token allows: ``action`` for ``reader`` (on ``arxiv_id``)."""

    reader: str
    action: Action
    arxiv_id: str | None = None


class ReaderTokens:
    def __init__(self, key: str, now: Callable[[], datetime]) -> None:
        if len(key) < 16:
            raise ValueError("the link-signing key must be at least 16 characters")
        self._key = key
        self._now = now

    def _serializer(self, action: Action) -> URLSafeTimedSerializer:
        now = self._now

        class _Signer(TimestampSigner):
            def get_timestamp(self) -> int:  # the product's clock, so tests can age a token
                return int(now().timestamp())

        return URLSafeTimedSerializer(self._key, salt=f"paperpulse.reader.{action}", signer=_Signer)

    def sign(self, grant: Grant) -> str:
        payload: dict[str, Any] = {"r": grant.reader}
        if grant.arxiv_id is not None:
            payload["p"] = grant.arxiv_id
        return self._serializer(grant.action).dumps(payload)

    def check(self, token: str, action: Action) -> Grant:
        """The grant ``token`` carries for ``action``; TokenError if forged, for another
        action, or expired."""
        serializer = self._serializer(action)
        try:
            payload, signed_at = serializer.loads(token, return_timestamp=True)
        except SignatureExpired:  # pragma: no cover - expiry is checked below, on our clock
            raise TokenError("this link has expired", expired=True) from None
        except BadData:
            raise TokenError("this link is not valid (altered, or not for this page)") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("r"), str):
            raise TokenError("this link is not valid (altered, or not for this page)")
        if self._now() - signed_at > MAX_AGE[action]:
            raise TokenError("this link has expired", expired=True)
        paper = payload.get("p")
        return Grant(
            reader=payload["r"], action=action, arxiv_id=paper if isinstance(paper, str) else None
        )

    def url(self, base_url: str, grant: Grant) -> str:
        return f"{base_url.rstrip('/')}/{PATHS[grant.action]}/{quote(self.sign(grant))}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReaderUrls:
    """The signed links one reader's copy of a digest carries."""

    unsubscribe: str
    manage: str
    feedback: Mapping[str, Mapping[str, str]]  # arxiv_id -> {"like": url, "hide": url}


def reader_urls(
    tokens: ReaderTokens, base_url: str, reader: str, arxiv_ids: Iterable[str]
) -> ReaderUrls:
    return ReaderUrls(
        unsubscribe=tokens.url(base_url, Grant(reader=reader, action="unsubscribe")),
        manage=tokens.url(base_url, Grant(reader=reader, action="manage")),
        feedback={
            i: {
                a: tokens.url(base_url, Grant(reader=reader, action=a, arxiv_id=i))
                for a in ("like", "hide")
            }
            for i in dict.fromkeys(arxiv_ids)
        },
    )
