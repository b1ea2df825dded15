"""Feeds and pages served from 127.0.0.1: what gets stored, what is skipped, how polling behaves."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import pytest
from sources_web import (
    ATOM_TYPE,
    OTHER_PARAGRAPHS,
    RSS_TYPE,
    WIRE_PARAGRAPHS,
    Answer,
    Web,
    atom,
    http_date,
    page,
    rss,
)

from digests.models import article_id_for
from digests.sources.config import SourceSpec
from digests.sources.pipeline import Limits
from digests.sources.poller import PollOptions, SourcePoller
from digests.store import Store

UA = "digestbot-test/1.0 (+source tests)"
BRIDGE = "Harbour Bridge Reopens After Two-Year Repair"
SOLAR = "County Approves Solar Farm West of Millbrook"
MARKERS = ("SCRIPT-SHOULD-NOT-APPEAR", "MENU-SHOULD-NOT-APPEAR", "FOOTER-SHOULD-NOT-APPEAR")


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def feed_spec(web: Web, name: str, path: str, **extra: Any) -> SourceSpec:
    return SourceSpec(name=name, kind="feed", location=web.url(path), **extra)


def poller_for(store: Store, *specs: SourceSpec, clock: Clock | None = None,
               limits: Limits | None = None) -> SourcePoller:
    options = PollOptions(interval=600, timeout=5, user_agent=UA, per_host=2,
                          limits=limits or Limits())
    return SourcePoller(store, specs, options, clock=clock)


def serve_bridge_feed(web: Web) -> None:
    web.serve("/herald/rss.xml", Answer(rss("Riverton Herald", [
        {"title": BRIDGE, "link": web.url("/herald/bridge"), "guid": "herald-1",
         "pubDate": "Mon, 23 Nov 2026 09:00:00 GMT"},
        {"title": SOLAR, "link": web.url("/herald/solar"), "guid": "herald-2",
         "pubDate": "Tue, 24 Nov 2026 10:30:00 +0000"},
    ]), content_type=RSS_TYPE))
    web.serve("/herald/bridge", page(BRIDGE, WIRE_PARAGRAPHS))
    web.serve("/herald/solar", page(SOLAR, OTHER_PARAGRAPHS))


async def test_rss_entries_become_extracted_articles(store: Store, web: Web) -> None:
    serve_bridge_feed(web)
    poller = poller_for(store, feed_spec(web, "Riverton Herald", "/herald/rss.xml",
                                         topics=["local"]))
    try:
        outcome = await poller.poll("Riverton Herald")
    finally:
        await poller.aclose()

    assert outcome.ok and (outcome.added, outcome.skipped) == (2, 0)
    article = await store.get_article(article_id_for(BRIDGE, web.url("/herald/bridge")))
    assert article is not None
    assert article.title == BRIDGE and article.source == "Riverton Herald"
    assert article.url == web.url("/herald/bridge")
    assert article.published_at == dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    assert article.paragraphs[0] == WIRE_PARAGRAPHS[0]
    assert not any(marker in article.body for marker in MARKERS)
    # Structured extraction ran: the summary and the mayor's quote are there.
    assert article.summary
    assert any("this bridge connects our families" in q.text for q in article.quotes)
    assert "local" in article.topics
    # Every request said who we are.
    assert {r.headers.get("User-Agent") for r in web.requests} == {UA}
    [state] = await store.source_states()
    assert (state.name, state.status, state.articles, state.last_error) == (
        "Riverton Herald", "ok", 2, None)


async def test_atom_feed(sqlite_store: Store, web: Web) -> None:
    web.serve("/wire/atom.xml", Answer(atom("Wire", [
        {"id": "urn:wire:1", "title": BRIDGE, "link": web.url("/wire/1"),
         "updated": "2026-11-25T07:15:00Z"},
    ]), content_type=ATOM_TYPE))
    web.serve("/wire/1", page(BRIDGE, WIRE_PARAGRAPHS))
    poller = poller_for(sqlite_store, feed_spec(web, "Wire", "/wire/atom.xml"))
    try:
        outcome = await poller.poll("Wire")
    finally:
        await poller.aclose()
    assert outcome.ok and outcome.added == 1
    [article] = await sqlite_store.recent_articles(5)
    assert (article.title, article.source) == (BRIDGE, "Wire")
    assert article.published_at == dt.datetime(2026, 11, 25, 7, 15, tzinfo=dt.UTC)


async def test_unchanged_feed_answers_304_and_nothing_is_fetched_again(
    sqlite_store: Store, web: Web
) -> None:
    stamp = http_date(dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC))
    feed = rss("Herald", [{"title": BRIDGE, "link": web.url("/p/1"), "guid": "1"}])
    web.serve("/feed", Answer(feed, content_type=RSS_TYPE, etag='"v1"', last_modified=stamp))
    web.serve("/p/1", page(BRIDGE, WIRE_PARAGRAPHS))
    poller = poller_for(sqlite_store, feed_spec(web, "Herald", "/feed"))
    try:
        first = await poller.poll("Herald")
        second = await poller.poll("Herald")
    finally:
        await poller.aclose()

    assert first.added == 1
    assert second.ok and second.not_modified and second.added == 0
    conditional = web.hits("/feed")[1].headers
    assert conditional.get("If-None-Match") == '"v1"'
    assert conditional.get("If-Modified-Since") == stamp
    assert len(web.hits("/p/1")) == 1
    [state] = await sqlite_store.source_states()
    assert state.status == "ok" and state.etag == '"v1"'


async def test_failing_source_backs_off_recovers_and_never_stops_the_others(
    store: Store, web: Web, caplog: pytest.LogCaptureFixture
) -> None:
    serve_bridge_feed(web)
    flaky_feed = rss("Flaky", [{"title": "Flaky Story", "link": web.url("/flaky/1"),
                                "guid": "f1"}])
    web.serve("/flaky.xml", Answer("server on fire", status=500, content_type="text/plain"),
              Answer(flaky_feed, content_type=RSS_TYPE))
    web.serve("/flaky/1", page("Flaky Story", OTHER_PARAGRAPHS))
    clock = Clock()
    poller = poller_for(store, feed_spec(web, "Flaky", "/flaky.xml"),
                        feed_spec(web, "Riverton Herald", "/herald/rss.xml"), clock=clock)
    try:
        with caplog.at_level(logging.WARNING):
            outcomes = {o.source: o for o in await poller.poll_all()}
        assert not outcomes["Flaky"].ok and outcomes["Riverton Herald"].added == 2
        failures = [r.getMessage() for r in caplog.records if "Flaky" in r.getMessage()]
        assert len(failures) == 1
        assert web.url("/flaky.xml") in failures[0] and "HTTP 500" in failures[0]

        flaky = await store.source_state("Flaky")
        assert flaky is not None and flaky.status == "failing" and flaky.failures == 1
        assert "HTTP 500" in (flaky.last_error or "")
        assert flaky.next_poll_at == clock.now + dt.timedelta(seconds=1200)  # twice the interval

        # Backing off: the job fires but does not knock on the server.
        clock.now += dt.timedelta(seconds=600)
        waiting = await poller.poll("Flaky")
        assert waiting.backing_off and len(web.hits("/flaky.xml")) == 1

        clock.now += dt.timedelta(seconds=600)
        recovered = await poller.poll("Flaky")
    finally:
        await poller.aclose()
    assert recovered.ok and recovered.added == 1
    flaky = await store.source_state("Flaky")
    assert flaky is not None and flaky.status == "ok" and flaky.failures == 0
    assert flaky.last_error is None and flaky.articles == 1


async def test_broken_entries_are_skipped_with_one_line_each(
    sqlite_store: Store, web: Web, caplog: pytest.LogCaptureFixture
) -> None:
    web.serve("/mixed.xml", Answer(rss("Mixed", [
        {"title": BRIDGE, "link": web.url("/ok"), "guid": "ok"},
        {"title": "No Link At All", "guid": "nolink"},
        {"title": "Vanished Page", "link": web.url("/gone"), "guid": "gone"},
        {"title": "A Picture", "link": web.url("/picture"), "guid": "pic"},
        {"title": SOLAR, "link": web.url("/baddate"), "guid": "baddate",
         "pubDate": "the day before yesterday"},
    ]), content_type=RSS_TYPE))
    web.serve("/ok", page(BRIDGE, WIRE_PARAGRAPHS))
    web.serve("/picture", Answer(b"\x89PNG\r\n\x1a\n\x00\x00", content_type="image/png"))
    web.serve("/baddate", page(SOLAR, OTHER_PARAGRAPHS))
    poller = poller_for(sqlite_store, feed_spec(web, "Mixed", "/mixed.xml"))
    try:
        with caplog.at_level(logging.WARNING):
            outcome = await poller.poll("Mixed")
    finally:
        await poller.aclose()

    assert outcome.ok and outcome.added == 2
    titles = {a.title: a for a in await sqlite_store.recent_articles(10)}
    assert set(titles) == {BRIDGE, SOLAR}
    assert titles[SOLAR].published_at is None  # kept, undated
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    expected = {
        "No Link At All": "no http(s) link",
        web.url("/gone"): "HTTP 404",
        web.url("/picture"): "not a text document (image/png)",
        web.url("/baddate"): "unreadable date 'the day before yesterday'",
    }
    for where, reason in expected.items():
        assert sum(where in line and reason in line for line in lines) == 1, (where, lines)
    assert len(lines) == len(expected)
    state = await sqlite_store.source_state("Mixed")
    assert state is not None and state.status == "ok" and state.skipped == 4


async def test_broken_feed_xml_fails_the_source_with_its_reason(
    sqlite_store: Store, web: Web
) -> None:
    web.serve("/broken.xml",
              Answer("<rss><channel><title>x</title><item><<<", content_type=RSS_TYPE))
    poller = poller_for(sqlite_store, feed_spec(web, "Broken", "/broken.xml"))
    try:
        outcome = await poller.poll("Broken")
    finally:
        await poller.aclose()
    assert not outcome.ok
    state = await sqlite_store.source_state("Broken")
    assert state is not None and state.status == "failing"
    assert web.url("/broken.xml") in (state.last_error or "")
    assert "not a readable RSS or Atom feed" in (state.last_error or "")


async def test_a_feed_over_the_size_limit_is_refused(sqlite_store: Store, web: Web) -> None:
    items = [{"title": f"Story {i}", "link": web.url(f"/s/{i}")} for i in range(400)]
    web.serve("/big.xml", Answer(rss("Big", items), content_type=RSS_TYPE))
    poller = poller_for(sqlite_store, feed_spec(web, "Big", "/big.xml"),
                        limits=Limits(max_feed_bytes=20_000))
    try:
        outcome = await poller.poll("Big")
    finally:
        await poller.aclose()
    assert not outcome.ok and "over the 20,000 limit" in (outcome.error or "")
    assert web.hits("/s/0") == [] and await sqlite_store.count_articles() == 0


async def test_single_page_source_with_etag_and_size_limit(sqlite_store: Store, web: Web) -> None:
    web.serve("/story", Answer(page(BRIDGE, WIRE_PARAGRAPHS,
                                    published="2026-11-23T09:00:00+00:00"), etag='"p1"'))
    web.serve("/huge", "<html><body>" + "<p>filler text</p>" * 20_000 + "</body></html>")
    spec = SourceSpec(name="City Hall", kind="page", location=web.url("/story"))
    huge = SourceSpec(name="Huge", kind="page", location=web.url("/huge"))
    poller = poller_for(sqlite_store, spec, huge, limits=Limits(max_article_bytes=100_000))
    try:
        first = await poller.poll("City Hall")
        second = await poller.poll("City Hall")
        too_big = await poller.poll("Huge")
    finally:
        await poller.aclose()
    assert first.added == 1 and second.not_modified
    assert web.hits("/story")[1].headers.get("If-None-Match") == '"p1"'
    [article] = await sqlite_store.recent_articles(5)
    assert article.title == BRIDGE and article.source == "City Hall"
    assert article.published_at == dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    assert not too_big.ok
    assert web.url("/huge") in (too_big.error or "") and "100,000" in (too_big.error or "")
    assert "limit" in (too_big.error or "")


async def test_at_most_two_requests_per_host_at_once(sqlite_store: Store, web: Web) -> None:
    items = [{"title": f"Story number {i}", "link": web.url(f"/slow/{i}"), "guid": str(i)}
             for i in range(6)]
    web.serve("/slow.xml", Answer(rss("Slow", items), content_type=RSS_TYPE))
    for i in range(6):
        web.serve(f"/slow/{i}", Answer(page(f"Story number {i}", WIRE_PARAGRAPHS[i % 5:]),
                                       delay=0.15))
    poller = poller_for(sqlite_store, feed_spec(web, "Slow", "/slow.xml"))
    try:
        outcome = await poller.poll("Slow")
    finally:
        await poller.aclose()
    assert outcome.added == 6
    assert web.most_in_flight == 2


async def test_updated_entry_replaces_its_article(sqlite_store: Store, web: Web) -> None:
    def publish(updated: str, paragraphs: list[str]) -> None:
        web.serve("/live.xml", Answer(atom("Live", [
            {"id": "urn:live:1", "title": BRIDGE, "link": web.url("/live/1"), "updated": updated},
        ]), content_type=ATOM_TYPE))
        web.serve("/live/1", page(BRIDGE, paragraphs))

    publish("2026-11-26T08:00:00Z", WIRE_PARAGRAPHS[:3])
    poller = poller_for(sqlite_store, feed_spec(web, "Live", "/live.xml"))
    try:
        first = await poller.poll("Live")
        publish("2026-11-26T09:30:00Z", WIRE_PARAGRAPHS)
        second = await poller.poll("Live")
    finally:
        await poller.aclose()
    assert (first.added, second.added, second.updated) == (1, 0, 1)
    [article] = await sqlite_store.recent_articles(5)
    assert article.paragraphs == WIRE_PARAGRAPHS
    assert await sqlite_store.count_articles() == 1


async def test_the_scheduler_polls_every_source_once_started(
    sqlite_store: Store, web: Web
) -> None:
    serve_bridge_feed(web)
    web.serve("/down.xml", Answer("nope", status=503, content_type="text/plain"))
    poller = poller_for(sqlite_store, feed_spec(web, "Down", "/down.xml"),
                        feed_spec(web, "Riverton Herald", "/herald/rss.xml"))
    await poller.start()
    try:
        for _ in range(100):
            states = {s.name: s for s in await sqlite_store.source_states()}
            if len(states) == 2 and states["Riverton Herald"].articles == 2:
                break
            await asyncio.sleep(0.05)
    finally:
        await poller.aclose()
    assert states["Down"].status == "failing" and "HTTP 503" in (states["Down"].last_error or "")
    assert states["Riverton Herald"].status == "ok" and states["Riverton Herald"].articles == 2


async def test_a_password_in_a_source_url_never_shows(
    sqlite_store: Store, web: Web, caplog: pytest.LogCaptureFixture
) -> None:
    web.serve("/private.xml", Answer("no", status=500, content_type="text/plain"))
    location = web.url("/private.xml").replace("://", "://reader:hunter2secret@")
    spec = SourceSpec(name="Private", kind="feed", location=location)
    poller = poller_for(sqlite_store, spec)
    try:
        with caplog.at_level(logging.DEBUG):
            outcome = await poller.poll("Private")
    finally:
        await poller.aclose()
    state = await sqlite_store.source_state("Private")
    assert state is not None and not outcome.ok
    assert "HTTP 500" in (state.last_error or "") and "reader:***@" in (state.last_error or "")
    shown = [state.last_error or "", state.location, outcome.error or "", caplog.text]
    assert not any("hunter2secret" in text for text in shown)
    assert web.hits("/private.xml")[0].headers.get("Authorization", "").startswith("Basic ")


async def test_a_slow_page_times_out_and_the_feed_keeps_the_rest(
    sqlite_store: Store, web: Web
) -> None:
    web.serve("/slowfeed.xml", Answer(rss("Slowish", [
        {"title": BRIDGE, "link": web.url("/fast")},
        {"title": SOLAR, "link": web.url("/stuck")},
    ]), content_type=RSS_TYPE))
    web.serve("/fast", page(BRIDGE, WIRE_PARAGRAPHS))
    web.serve("/stuck", Answer(page(SOLAR, OTHER_PARAGRAPHS), delay=1.5))
    options = PollOptions(interval=600, timeout=0.3, user_agent=UA)
    poller = SourcePoller(sqlite_store, [feed_spec(web, "Slowish", "/slowfeed.xml")], options)
    try:
        outcome = await poller.poll("Slowish")
    finally:
        await poller.aclose()
    assert outcome.ok and outcome.added == 1 and outcome.skipped == 1
    state = await sqlite_store.source_state("Slowish")
    assert state is not None
    assert state.last_problem == f"{web.url('/stuck')}: timed out after 0.3 s"
    # A timeout may pass: the entry is tried again next time.
    assert (await sqlite_store.source_items("Slowish"))[web.url("/stuck")].fingerprint is None
