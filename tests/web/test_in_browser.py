"""The reader's side in a real browser (Debian's headless ``chromium`` over DevTools), against
``paperpulse web`` served by uvicorn on 127.0.0.1, on SQLite and PostgreSQL: open a delivered
email, click unsubscribe, click "not for me", search, and read every page on a 390 px phone.

``PAPERPULSE_UPDATE_SNAPSHOTS=1`` also refreshes ``docs/web-paper.png``, the README's picture
of a paper page.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from paperpulse.app.subscriptions import reader_store
from paperpulse.config.file import RecipientConfig
from paperpulse.web.app import create_app
from tests.contexts import repository
from tests.delivery.chromium import CHROMIUM, Page, chromium
from tests.delivery.conftest import free_port
from tests.web.conftest import DAY, LIBRARY, NEXT, World, html_of, make_world, text_of

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed (apt-get install chromium)"
)
ROOT = Path(__file__).resolve().parents[2]
PHONE = 390
CONTROL = "grace@example.org"  # a third reader who does nothing: what the others would get


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[tuple[World, str]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    world = make_world(tmp_path, database_url, base_url=base)
    recipients = (
        *world.config.email.recipients,
        RecipientConfig(address=CONTROL, library=str(LIBRARY), editions=("daily",)),
    )
    email = world.config.email.model_copy(update={"recipients": recipients})
    world.config = world.config.model_copy(update={"email": email})
    app = create_app(world.settings, world.config)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield world, base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def tab(tmp_path: Path) -> Iterator[Page]:
    with chromium(tmp_path / "profile") as page:
        yield page


def wait_for(page: Page, expression: str, timeout: float = 30.0) -> Any:
    """Poll ``expression`` until truthy (pages navigate under it: errors mean "not yet")."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = page.evaluate(expression)
            if last:
                return last
        except (AssertionError, RuntimeError):
            pass
        time.sleep(0.1)
    body = page.evaluate("location.href + ' ' + (document.body ? document.body.innerText : '')")
    raise AssertionError(f"timed out waiting for {expression}; last {last!r}; page: {body[:300]}")


def goto(page: Page, url: str) -> None:
    page.send("Page.navigate", url=url)
    wait_for(page, f"location.href === {json.dumps(url)} && document.readyState === 'complete'")


def open_email(page: Page, world: World, reader: str, tmp: Path) -> None:
    path = tmp / f"{reader}.html"
    path.write_text(html_of(world.email(reader, DAY)), encoding="utf-8")
    page.load(path, width=PHONE)
    # load() may have seen an earlier page's load event: wait for this one.
    url = json.dumps(path.resolve().as_uri())
    wait_for(page, f"location.href === {url} && document.readyState === 'complete'")


def fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE, f"{page.evaluate('location.pathname')} scrolls sideways: {width}px"


def for_you_ids(text: str) -> set[str]:
    start = text.index("For you")
    section = text[start : text.index("Robots", start)]
    return set(re.findall(r"\b\d{4}\.\d{5}\b", section))


def test_a_reader_unsubscribes_hides_and_searches_in_a_browser(
    served: tuple[World, str], tab: Page, tmp_path: Path
) -> None:
    world, base = served
    world.deliver(DAY)

    # Ada opens her email and clicks unsubscribe; the page asks, she confirms.
    open_email(tab, world, "ada@example.org", tmp_path)
    tab.evaluate("document.querySelector('a.unsubscribe').click()")
    wait_for(tab, "document.body && document.body.innerText.includes('Unsubscribe?')")
    assert not reader_store(
        repository(world.settings.database_url)
    ).suppressed()  # opening the page did nothing
    fits_the_phone(tab)
    tab.evaluate("document.querySelector('main form button').click()")
    wait_for(tab, "document.body && document.body.innerText.includes('You are unsubscribed')")
    assert reader_store(repository(world.settings.database_url)).suppressed() == {"ada@example.org"}

    # Alan clicks "Not for me" on the first paper of his For you.
    open_email(tab, world, "alan@example.org", tmp_path)
    tab.evaluate(
        """(() => {
          const head = [...document.querySelectorAll('h2')]
            .find(h => h.textContent.includes('For you'));
          const hide = [...document.querySelectorAll('a.hide')]
            .find(a => head.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING);
          hide.click();
        })()"""
    )
    wait_for(tab, "document.body && document.body.innerText.includes('Noted: not for you')")
    hidden = tab.evaluate("location.pathname.split('/')[2]")
    assert repository(world.settings.database_url).feedback("alan@example.org") == {hidden: "hide"}
    fits_the_phone(tab)

    # The next digest: Ada gets nothing, Alan's For you lost the paper, Grace's still has it.
    world.store(NEXT, upvotes=40)
    world.deliver(NEXT)
    assert not world.emails("ada@example.org", NEXT)
    assert hidden not in for_you_ids(text_of(world.email("alan@example.org", NEXT)))
    assert hidden in for_you_ids(text_of(world.email(CONTROL, NEXT)))

    # Search by words of a title, from the box on every page.
    goto(tab, f"{base}/")
    tab.evaluate(
        "document.querySelector('header input[name=q]').value = 'hierarchical robot';"
        "document.querySelector('header form').submit()"
    )
    first = wait_for(
        tab,
        "location.pathname === '/search' && document.querySelector('.papers .title')"
        " && document.querySelector('.papers .title').textContent",
    )
    assert first == "Hierarchical Robot robot study 9"
    fits_the_phone(tab)

    # Every page reads on a phone; the paper page is the README's picture.
    for path in ("/", f"/day/{NEXT}", "/week/2026-W32", "/topic/Robots", "/paper/2408.99999"):
        goto(tab, base + path)
        fits_the_phone(tab)
    goto(tab, f"{base}/paper/2408.30009")
    assert tab.evaluate("document.querySelector('svg.chart polyline') !== null")
    fits_the_phone(tab)
    shot = tab.screenshot(tmp_path / "paper.png")
    if (
        os.environ.get("PAPERPULSE_UPDATE_SNAPSHOTS") == "1"
        and "sqlite" in world.settings.database_url
    ):
        (ROOT / "docs" / "web-paper.png").write_bytes(shot.read_bytes())
