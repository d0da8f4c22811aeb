"""The reader's actions through the ASGI app (httpx.ASGITransport): RFC 8058 one-click
unsubscribe made the way a mail provider makes it, the confirm page, resubscribe, signed
like / not for me links, the manage page; and deliveries honouring all of it."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from paperpulse.app.subscriptions import reader_store, reader_tokens
from paperpulse.digest.reader_tokens import Grant
from tests.contexts import context, repository
from tests.web.conftest import (
    BASE_URL,
    DAY,
    NEXT,
    World,
    call,
    html_of,
    text_of,
)

ONE_CLICK = {"content-type": "application/x-www-form-urlencoded"}


def one_click(world: World, url_path: str) -> httpx.Response:
    """An RFC 8058 POST as a mail provider sends it: no cookies, no Origin, this body."""
    return call(world, "POST", url_path, content="List-Unsubscribe=One-Click", headers=ONE_CLICK)


def header_url(world: World, reader: str) -> str:
    """The https target of List-Unsubscribe in the reader's delivered email."""
    message = world.email(reader, DAY)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [url] = re.findall(r"<(https://[^>]+)>", str(message["List-Unsubscribe"]))
    return url


def path(url: str) -> str:
    assert url.startswith(BASE_URL)
    return urlsplit(url).path


def statuses(outcomes: list[object]) -> dict[str, str]:
    return {o.recipient: o.status for o in outcomes if o.channel == "outbox"}  # type: ignore[attr-defined]


def test_a_one_click_post_unsubscribes_exactly_that_reader(world: World) -> None:
    assert statuses(world.deliver(DAY)) == {"ada@example.org": "sent", "alan@example.org": "sent"}
    url = header_url(world, "ada@example.org")
    # As a mail provider sends it (RFC 8058 section 3.2): no cookies, no Origin, this body.
    response = one_click(world, path(url))
    assert response.status_code == 200
    store = reader_store(repository(world.settings.database_url))
    assert store.suppressed() == {"ada@example.org"}
    world.store(NEXT, upvotes=40)
    outcomes = world.deliver(NEXT)
    assert statuses(outcomes) == {"ada@example.org": "skipped", "alan@example.org": "sent"}
    assert not world.emails("ada@example.org", NEXT)
    assert world.emails("alan@example.org", NEXT)
    # Twice is once.
    again = one_click(world, path(url))
    assert again.status_code == 200 and store.suppressed() == {"ada@example.org"}


def test_a_multipart_one_click_post_works_too(world: World) -> None:
    world.deliver(DAY)
    url = header_url(world, "alan@example.org")
    response = call(world, "POST", path(url), files={"List-Unsubscribe": (None, "One-Click")})
    assert response.status_code == 200
    assert reader_store(repository(world.settings.database_url)).suppressed() == {
        "alan@example.org"
    }


def test_get_only_asks_and_the_page_unsubscribes_and_resubscribes(world: World) -> None:
    world.deliver(DAY)
    message = world.email("ada@example.org", DAY)
    footer = re.search(r'class="unsubscribe" href="([^"]+)"', html_of(message))
    assert footer is not None
    url = footer.group(1)
    assert url == header_url(world, "ada@example.org")
    assert f"Unsubscribe: {url}" in text_of(message)
    store = reader_store(repository(world.settings.database_url))
    page = call(world, "GET", path(url))  # a link preview must not unsubscribe
    assert page.status_code == 200 and "Unsubscribe?" in page.text
    assert store.suppressed() == set()
    done = call(world, "POST", path(url), data={"do": "unsubscribe"})
    assert "You are unsubscribed" in done.text and store.is_suppressed("ada@example.org")
    back = call(world, "POST", path(url), data={"do": "resubscribe"})
    assert "You are subscribed again" in back.text and store.suppressed() == set()
    assert call(world, "POST", path(url), data={}).status_code == 400


def test_forged_other_action_other_reader_and_expired_tokens_are_refused(world: World) -> None:
    tokens = reader_tokens(world.settings, repository(world.settings.database_url))
    token = tokens.sign(Grant(reader="ada@example.org", action="unsubscribe"))
    store = reader_store(repository(world.settings.database_url))
    # Altered signature.
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    response = one_click(world, f"/unsubscribe/{forged}")
    assert response.status_code == 400 and "not valid" in response.text
    # Ada's payload rewritten to name Alan, signature kept: refused.
    _, rest = token.split(".", 1)
    other = (
        base64.urlsafe_b64encode(json.dumps({"r": "alan@example.org"}).encode())
        .decode()
        .rstrip("=")
    )
    assert one_click(world, f"/unsubscribe/{other}.{rest}").status_code == 400
    # A like token is not an unsubscribe token.
    like = tokens.sign(Grant(reader="ada@example.org", action="like", arxiv_id="2408.10001"))
    assert call(world, "GET", f"/unsubscribe/{like}").status_code == 400
    # Expired: the clock moves past the unsubscribe link's 400 days.
    world.settings.clock.at += timedelta(days=401)  # type: ignore[attr-defined]
    expired = one_click(world, f"/unsubscribe/{token}")
    assert expired.status_code == 410 and "expired" in expired.text
    assert store.suppressed() == set()


def test_not_for_me_and_more_like_this_land_in_the_feedback_store(world: World) -> None:
    world.deliver(DAY)
    html = html_of(world.email("ada@example.org", DAY))
    hides = re.findall(r'class="hide" href="([^"]+)"', html)
    likes = re.findall(r'class="like" href="([^"]+)"', html)
    assert hides and len(hides) == len(likes)
    repo = repository(world.settings.database_url)
    asked = call(world, "GET", path(hides[0]))
    assert asked.status_code == 200 and "data-auto" in asked.text
    assert repo.feedback("ada@example.org") == {}  # GET changes nothing
    first = call(world, "POST", path(hides[0]))
    assert first.status_code == 303
    location = first.headers["location"]
    assert location.startswith("/paper/") and location.endswith("?done=hide")  # our own path
    [hidden] = repo.feedback("ada@example.org")
    assert call(world, "POST", path(hides[0])).status_code == 303  # idempotent
    assert repo.feedback("ada@example.org") == {hidden: "hide"}
    assert repo.feedback("alan@example.org") == {}
    liked = call(world, "POST", path(likes[1]))
    assert liked.headers["location"].endswith("?done=like&more=1")
    assert sorted(repo.feedback("ada@example.org").values()) == ["hide", "like"]
    page = call(world, "GET", liked.headers["location"])
    assert "More like this" in page.text and "Noted: more like this" in page.text


def test_not_for_me_leaves_the_next_digests_for_you(world: World) -> None:
    world.deliver(DAY)
    html = html_of(world.email("ada@example.org", DAY))
    section = html[html.index("For you") :]
    hide = re.search(r'class="hide" href="([^"]+)"', section)
    assert hide is not None
    posted = call(world, "POST", path(hide.group(1)))
    hidden = posted.headers["location"].split("/paper/")[1].split("?")[0]
    world.store(NEXT, upvotes=40)
    world.deliver(NEXT)

    def for_you(reader: str) -> str:
        text = text_of(world.email(reader, NEXT))
        return text[text.index("For you") : text.index("Robots", text.index("For you"))]

    assert hidden in for_you("alan@example.org")  # the other reader still gets it
    assert hidden not in for_you("ada@example.org")


def test_the_manage_page_sets_topics_editions_and_a_pause(world: World) -> None:
    world.deliver(DAY)
    manage = re.search(
        r'class="manage" href="([^"]+)"', html_of(world.email("ada@example.org", DAY))
    )
    assert manage is not None
    page = call(world, "GET", path(manage.group(1)))
    assert page.status_code == 200 and 'value="Robots"' in page.text
    saved = call(
        world,
        "POST",
        path(manage.group(1)),
        data={"topic": ["Speech"], "edition": ["daily"], "pause_days": "0"},
    )
    assert "Saved" in saved.text
    world.store(NEXT, upvotes=40)
    world.deliver(NEXT)
    text = text_of(world.email("ada@example.org", NEXT))
    assert "You receive the daily digest for Speech." in text
    # A pause: no email until it ends.
    call(world, "POST", path(manage.group(1)), data={"edition": ["daily"], "pause_days": "7"})
    later = NEXT + timedelta(days=1)
    world.store(later, upvotes=50)
    outcomes = world.deliver(later)
    assert statuses(outcomes)["ada@example.org"] == "skipped"
    assert statuses(outcomes)["alan@example.org"] == "sent"


@pytest.mark.parametrize("action", ["unsubscribe", "hide"])
def test_a_cross_site_post_is_refused(world: World, action: str) -> None:
    tokens = reader_tokens(world.settings, repository(world.settings.database_url))
    grant = Grant(
        reader="ada@example.org", action=action, arxiv_id="2408.10001" if action == "hide" else None
    )  # type: ignore[arg-type]
    url = path(tokens.url(BASE_URL, grant))
    for headers in ({"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}):
        response = call(world, "POST", url, data={"do": "unsubscribe"}, headers=headers)
        assert response.status_code == 403
    assert reader_store(repository(world.settings.database_url)).suppressed() == set()
    assert repository(world.settings.database_url).feedback("ada@example.org") == {}


def test_the_archive_page_and_feed_entries_carry_signed_links_that_work(world: World) -> None:
    world.deliver(DAY)
    archive = world.settings.archive_dir
    page = (archive / "2026" / "08" / f"{DAY}.md").read_text(encoding="utf-8")
    feed = (archive / "feed.xml").read_text(encoding="utf-8")
    hides = re.findall(rf"\[Not for me\]\(({BASE_URL}/hide/[^)]+)\)", page)
    assert hides
    assert f"{BASE_URL}/paper/2408.30009" in feed and f"{BASE_URL}/hide/" in feed
    # Signed at the digest's time: delivering the same day again rewrites no byte.
    (archive / "2026" / "08" / f"{DAY}.md").unlink()
    world.settings.clock.at += timedelta(hours=3)  # type: ignore[attr-defined]
    from paperpulse.app.deliver import deliver_archive
    from paperpulse.digest.calendar import period_for

    deliver_archive(context(world.settings, world.config), period_for("daily", DAY))
    assert (archive / "2026" / "08" / f"{DAY}.md").read_text(encoding="utf-8") == page
    assert (archive / "feed.xml").read_text(encoding="utf-8") == feed
    # The archive's reader is "archive": its For you learns from the click.
    assert call(world, "POST", path(hides[0])).status_code == 303
    assert list(repository(world.settings.database_url).feedback("archive").values()) == ["hide"]
