"""The archive on the web through the ASGI app: browse days, weeks and topics, a page per
paper with its upvote chart, ranked search with filters; and what keeps it safe (headers,
escaping, bounded bodies, a rate limit, no secret on any page)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

import httpx
import pytest

from paperpulse.app.subscriptions import reader_tokens
from paperpulse.config.file import WebConfig
from paperpulse.core.errors import StorageError
from paperpulse.digest.reader_tokens import Grant
from paperpulse.storage.readers import ReaderStore
from paperpulse.storage.search import PaperSearch
from paperpulse.web.app import create_app
from paperpulse.web.guard import MAX_BODY
from tests.contexts import repository
from tests.storage.builders import make_listing, save
from tests.web.conftest import BASE_URL, DAY, HOSTILE, NEXT, World, call, moment


def titles(html: str) -> list[str]:
    return re.findall(r'class="title" href="/paper/[^"]+">([^<]+)</a>', html)


def test_search_finds_a_paper_by_words_of_its_title_ranked(world: World) -> None:
    page = call(world, "GET", "/search", params={"q": "hierarchical robot"})
    assert page.status_code == 200
    assert titles(page.text)[0] == "Hierarchical Robot robot study 9"
    # Stemmed: "robots" finds "Robot".
    stemmed = titles(call(world, "GET", "/search", params={"q": "hierarchical robots"}).text)
    assert stemmed[0] == "Hierarchical Robot robot study 9"
    none = call(world, "GET", "/search", params={"q": "quantum chromodynamics"})
    assert titles(none.text) == [] and "No stored paper matches" in none.text


def test_search_filters_by_date_topic_and_upvotes(world: World) -> None:
    world.store(NEXT, upvotes=100)
    search = PaperSearch(repository(world.settings.database_url).engine)
    everything = search.search("study", limit=100)
    assert len(everything) == 40
    assert search.search("study", start=NEXT, limit=100) == []  # all listed on DAY
    assert len(search.search("study", end=DAY, limit=100)) == 40
    strong = search.search("study", min_upvotes=130, limit=100)
    assert strong and all((h.upvotes or 0) >= 130 for h in strong)
    assert len(strong) < 40
    page = call(world, "GET", "/search", params={"q": "study", "topic": "Speech"})
    found = titles(page.text)
    assert found and all("Speech" in t for t in found)


def test_search_follows_a_changed_title_and_treats_operators_as_words(world: World) -> None:
    repo = repository(world.settings.database_url)
    [paper] = repo.papers(["2408.30001"]).values()
    renamed = replace(paper, title="Quokka grasping with tactile sensing")
    save(repo, make_listing([renamed], period="2026-08-03"), moment(DAY))
    assert titles(call(world, "GET", "/search", params={"q": "quokka"}).text) == [
        "Quokka grasping with tactile sensing"
    ]
    # FTS5 syntax in the query is text, never an error page.
    for hostile in ('"unbalanced', "title:robot OR", "NEAR(a b)", "*", "robot AND -x"):
        assert call(world, "GET", "/search", params={"q": hostile}).status_code == 200


def test_browse_days_weeks_topics_and_a_paper_page_with_its_chart(world: World) -> None:
    world.store(NEXT, upvotes=40)
    home = call(world, "GET", "/")
    assert f'href="/day/{DAY}"' in home.text and 'href="/week/2026-W32"' in home.text
    day = call(world, "GET", f"/day/{DAY}")
    assert len(titles(day.text)) == 40
    week = call(world, "GET", "/week/2026-W32")
    assert len(titles(week.text)) == 41  # the hostile paper listed the next day too
    topic = call(world, "GET", "/topic/Robots")
    assert titles(topic.text) and all("Robot" in t for t in titles(topic.text))
    paper = call(world, "GET", "/paper/2408.30009")
    assert paper.status_code == 200
    svg = re.search(r"<svg class=\"chart\".*?</svg>", paper.text, re.S)
    assert svg is not None and "<polyline" in svg.group(0)
    assert svg.group(0).count("<circle") == 2  # seen twice: the two days' listings
    assert "Hugging Face Daily Papers for 2026-08-03" in paper.text
    assert 'href="https://arxiv.org/pdf/2408.30009"' in paper.text
    assert call(world, "GET", "/paper/2999.00001").status_code == 404
    assert call(world, "GET", "/paper/not-an-id").status_code == 404
    assert call(world, "GET", "/day/yesterday").status_code == 404


def test_hostile_titles_are_text_and_every_page_has_security_headers(world: World) -> None:
    world.store(NEXT, upvotes=40)
    for url in ("/paper/2408.99999", "/search?q=robot+arm", f"/day/{NEXT}"):
        page = call(world, "GET", url)
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<b>Robot</b>" not in page.text
        assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in page.text
        assert "\u202e" not in page.text  # a bidi override never reaches the page
        headers = page.headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
    assert HOSTILE.startswith("<script>")


def test_no_secret_is_rendered(world: World) -> None:
    world.deliver(DAY)
    key = ReaderStore(repository(world.settings.database_url).engine).signing_key()
    tokens = reader_tokens(world.settings, repository(world.settings.database_url))
    pages = [
        call(world, "GET", url).text
        for url in (
            "/",
            "/search?q=robot",
            "/paper/2408.30001",
            f"/manage/{tokens.sign(Grant(reader='ada@example.org', action='manage'))}",
            f"/unsubscribe/{tokens.sign(Grant(reader='ada@example.org', action='unsubscribe'))}",
            "/unsubscribe/forged",
        )
    ]
    assert all(key not in page for page in pages)


def test_bodies_are_bounded_and_clients_rate_limited(world: World) -> None:
    token = reader_tokens(world.settings, repository(world.settings.database_url)).sign(
        Grant(reader="ada@example.org", action="manage")
    )
    big = call(world, "POST", f"/manage/{token}", content=b"x" * (MAX_BODY + 1))
    assert big.status_code == 413
    config = world.config.model_copy(
        update={"web": WebConfig(base_url=BASE_URL, rate_per_minute=5)}
    )

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=create_app(world.settings, config))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            return [(await client.get("/healthz")).status_code for _ in range(7)]

    codes = asyncio.run(burst())
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]


def test_a_database_failure_is_a_plain_page_without_its_detail(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise StorageError("reading papers: postgresql://db.internal:5432 refused the connection")

    monkeypatch.setattr(PaperSearch, "search", broken)
    page = call(world, "GET", "/search", params={"q": "robot"})
    assert page.status_code == 503 and "Something failed on our side" in page.text
    assert "db.internal" not in page.text


def test_a_word_in_most_papers_ranks_only_the_newest_matches(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperpulse.storage import search as search_module

    search = PaperSearch(repository(world.settings.database_url).engine)
    everything = {h.arxiv_id for h in search.search("study", limit=100)}
    monkeypatch.setattr(search_module, "RANKED", 5)
    capped = search.search("study", limit=100)
    if repository(world.settings.database_url).engine.dialect.name == "sqlite":
        assert len(capped) == 5 and {h.arxiv_id for h in capped} <= everything
    else:  # PostgreSQL ranks every match through its GIN index
        assert len(capped) == 40
