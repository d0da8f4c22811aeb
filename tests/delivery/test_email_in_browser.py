"""The HTML email as delivered (CSS inlined), seen in headless Chromium on a phone and a desktop.

Skips when Debian's ``chromium`` is absent (``.ci/run`` installs it). Screenshots go to
``PAPERPULSE_SCREENSHOT_DIR`` (CI keeps them as artefacts) or a temporary directory;
``PAPERPULSE_UPDATE_SNAPSHOTS=1`` also refreshes ``docs/email.png``, the README's picture.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from paperpulse.digest.edition import cap_sections
from paperpulse.digest.email_message import build_message, message_size
from paperpulse.digest.render import render_all
from tests.delivery.chromium import CHROMIUM, Page, chromium
from tests.newsletter_sample import NOW, UNSUBSCRIBE, reader_links, sample_digest

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed (apt-get install chromium)"
)
ROOT = Path(__file__).resolve().parents[2]
GMAIL_CLIP = 102_000  # bytes; Gmail hides the rest of a larger message behind a link

# What a reader's eye checks, measured in the page: sideways scrolling, the footer link, the
# colours of the text against its background.
PROBE = """(() => {
  const de = document.documentElement;
  const link = document.querySelector('a.unsubscribe');
  link.scrollIntoView({block: 'center'});
  const box = link.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  const style = getComputedStyle(link);
  const colour = (el, prop) => getComputedStyle(el)[prop];
  return {
    scrollWidth: de.scrollWidth,
    innerWidth: innerWidth,
    overflowing: [...document.body.querySelectorAll('*')]
      .filter(el => el.getBoundingClientRect().right > innerWidth + 0.5)
      .map(el => el.tagName.toLowerCase() + '.' + el.className).slice(0, 5),
    link: {width: box.width, height: box.height, left: box.left, right: box.right,
           visibility: style.visibility, display: style.display, href: link.href,
           onTop: hit === link || link.contains(hit)},
    text: colour(document.querySelector('.summary'), 'color'),
    background: colour(document.querySelector('.wrap'), 'backgroundColor'),
    footerText: colour(document.querySelector('.footer'), 'color'),
  };
})()"""


@pytest.fixture(scope="module")
def delivered() -> EmailMessage:
    """The message a reader gets: 30 papers of the day shown, 20 more behind the archive link."""
    rendered = render_all(cap_sections(sample_digest(), 30), reader_links())
    return build_message(
        rendered,
        sender="paperpulse <digest@example.org>",
        recipient="reader@example.org",
        list_id="daily.paperpulse.example.org",
        unsubscribe=UNSUBSCRIBE,
        message_id_domain="example.org",
        date=NOW,
    )


@pytest.fixture(scope="module")
def email_file(delivered: EmailMessage, tmp_path_factory: pytest.TempPathFactory) -> Path:
    html = delivered.get_body(("html",))
    assert html is not None
    path = tmp_path_factory.mktemp("email") / "digest.html"
    path.write_text(html.get_content(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as tab:
        yield tab


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("PAPERPULSE_SCREENSHOT_DIR")
    return Path(configured) if configured else tmp_path_factory.mktemp("screenshots")


def test_the_delivered_message_is_under_gmails_clipping_size(delivered: EmailMessage) -> None:
    assert message_size(delivered) < GMAIL_CLIP


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("width", [390, 800])
def test_no_sideways_scrolling_and_a_visible_footer_link(
    page: Page, email_file: Path, screenshots: Path, width: int, dark: bool
) -> None:
    page.load(email_file, width=width, dark=dark)
    seen: dict[str, Any] = page.evaluate(PROBE)
    shot = page.screenshot(screenshots / f"email-{width}px-{'dark' if dark else 'light'}.png")

    assert seen["scrollWidth"] <= seen["innerWidth"] == width, seen["overflowing"]
    link = seen["link"]
    assert link["width"] > 20 and link["height"] > 8, link
    assert link["left"] >= 0 and link["right"] <= width, link
    assert link["visibility"] == "visible" and link["display"] != "none" and link["onTop"], link
    assert link["href"] == UNSUBSCRIBE  # the same target as the List-Unsubscribe header
    # Readable: body text and footer against the card, in light and in dark mode.
    assert contrast(seen["text"], seen["background"]) >= 7, seen
    assert contrast(seen["footerText"], seen["background"]) >= 4.5, seen
    assert (luminance(seen["background"]) < 0.1) is dark, seen
    assert shot.stat().st_size > 10_000  # a picture of something, not a blank page

    if width == 390 and not dark and os.environ.get("PAPERPULSE_UPDATE_SNAPSHOTS"):
        page.screenshot(ROOT / "docs" / "email.png", max_height=1700)


def test_the_footer_and_archive_links_point_where_the_header_and_archive_do(
    delivered: EmailMessage,
) -> None:
    html = delivered.get_body(("html",))
    text = delivered.get_body(("plain",))
    assert html is not None and text is not None
    body, plain = html.get_content(), text.get_content()
    header = str(delivered["List-Unsubscribe"]).strip("<>")
    assert header == UNSUBSCRIBE
    assert f'href="{UNSUBSCRIBE.replace("&", "&amp;")}"' in body
    assert f"Unsubscribe: {UNSUBSCRIBE}" in plain
    digest_url = reader_links().digest_url
    assert re.search(
        f'<a href="{re.escape(str(digest_url))}"[^>]*>…and 20 more in the archive</a>', body
    )
    assert f"...and 20 more in the archive: {digest_url}" in plain
    assert "Language models, Robotics" in body and "Language models, Robotics" in plain
    assert '<meta name="color-scheme" content="light dark">' in body  # inlining keeps it


def luminance(css: str) -> float:
    """Relative luminance (WCAG 2) of an ``rgb(...)``/``rgba(...)`` computed colour."""
    r, g, b = (int(v) / 255 for v in css[css.index("(") + 1 : -1].split(",")[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
