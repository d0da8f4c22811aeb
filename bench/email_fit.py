"""The email of the busiest real Hugging Face days: how many papers each reaches the reader as
a card or a one-line link, how many are cut behind "…and N more", its size and the time to fit.

Run from the repository root: ``python -m bench.email_fit`` (needs ../shared/data, or
$PAPERPULSE_SHARED_DATA). The days are the captures' busiest (30+ papers), one by one, as a
catch-up of the week of 29 Sep 2025 (181 papers) and as that week's weekly edition.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from paperpulse.digest.email_fit import cut_papers, fit, line_count
from paperpulse.digest.email_message import build_message, message_size
from paperpulse.digest.models import Digest
from paperpulse.digest.presentation import DayPages, archive_links
from paperpulse.digest.render import render_email
from tests import real_days

WEB_URL = "https://github.com/me/papers/blob/main"
LIMIT = 100_000  # [email] max_bytes' default


def main() -> None:
    if not real_days.available():
        raise SystemExit(f"{real_days.DATA}: not found; set PAPERPULSE_SHARED_DATA")
    cases: list[tuple[str, tuple[date, ...], bool]] = [
        (str(d), (d,), False) for d in real_days.busy_days()
    ]
    cases += [
        ("catch-up 29 Sep-5 Oct 2025", real_days.CATCH_UP, False),
        ("weekly 2025-W40", real_days.CATCH_UP[:1], True),
    ]
    print(
        f"{'edition':28} {'listed':>6} {'cards':>5} {'lines':>5} {'cut':>4} {'bytes':>7} {'ms':>5}"
    )
    for name, days, weekly in cases:
        digest = real_days.real_digest(days, weekly=weekly)
        listed = len(real_days.listed_ids(digest.days))
        renders = 0

        def build(shown: Digest) -> object:
            nonlocal renders
            renders += 1
            return build_message(
                render_email(shown, archive_links(WEB_URL, "x.md")),
                sender="paperpulse <digest@example.org>",
                recipient="reader@example.org",
                list_id="daily.paperpulse.example.org",
                unsubscribe="https://example.org/u",
                message_id_domain="example.org",
                date=datetime(2026, 1, 1, tzinfo=UTC),
            )

        start = time.perf_counter()
        shown, message = fit(
            digest,
            limit=LIMIT,
            pages=DayPages(archive=WEB_URL),
            build=build,
            size=message_size,  # type: ignore[arg-type]
        )
        took = (time.perf_counter() - start) * 1000
        lines = line_count(shown.sections)
        cards = shown.paper_count - lines
        print(
            f"{name:28} {listed:>6} {cards:>5} {lines:>5} {cut_papers(shown):>4} "
            f"{message_size(message):>7} {took:>5.0f}  ({renders} renders)"
        )


if __name__ == "__main__":
    main()
