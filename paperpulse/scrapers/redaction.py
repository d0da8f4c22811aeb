"""Keep credentials out of third-party logs.

httpcore logs every response's headers at DEBUG, so a server that echoes ``Authorization`` or
``x-api-key`` back (a debug endpoint, a misconfigured proxy) would put the secret into any log
kept at that level. ``SECRET_FILTER`` (``core.redaction``) sits on the httpx and httpcore
loggers and masks every registered secret in their records; ``HttpClient`` registers its own
secrets when it is made.
"""

from __future__ import annotations

import logging

from paperpulse.core.redaction import SecretFilter

# A filter on a logger applies only to records logged on that very logger, not its children.
THIRD_PARTY_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)

SECRET_FILTER = SecretFilter()
for _name in THIRD_PARTY_LOGGERS:
    logging.getLogger(_name).addFilter(SECRET_FILTER)
