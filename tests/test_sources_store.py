"""The sources' store queries: poll state, items, and articles saved in bulk."""

from __future__ import annotations

import datetime as dt

from digests.models import Article
from digests.store import PollRecord, SourceItem, Store


def art(id: str, body: str) -> Article:
    return Article(id=id, title=f"Title {id}", body=body, source="Herald",
                   published_at=dt.datetime(2026, 11, 26, 8, tzinfo=dt.UTC))


async def test_bulk_upsert_counts_and_keeps_first_ingestion_time(store: Store) -> None:
    assert await store.upsert_articles([art("a", "one"), art("b", "two")]) == {
        "added": 2, "updated": 0, "unchanged": 0}
    first = await store.recent_articles(5)
    again = await store.upsert_articles([art("a", "one"), art("b", "two, corrected"),
                                         art("c", "three")])
    assert again == {"added": 1, "updated": 1, "unchanged": 1}
    by_id = {a.id: a for a in await store.recent_articles(5)}
    assert by_id["b"].body == "two, corrected" and await store.count_articles() == 3
    # The single-article path agrees about what is unchanged.
    assert await store.upsert_article(art("b", "two, corrected")) == "unchanged"
    assert {a.id for a in first} == {"a", "b"}


async def test_failures_count_up_and_keep_the_last_good_validators(store: Store) -> None:
    good = PollRecord(name="Herald", kind="feed", location="http://h/rss", ok=True,
                      etag='"v1"', last_modified="Thu, 26 Nov 2026 08:00:00 GMT", added=3,
                      items=[SourceItem(key="e1", fingerprint="f1", article_id="a")])
    state = await store.record_poll(good)
    assert (state.status, state.articles, state.etag) == ("ok", 3, '"v1"')
    for attempt in (1, 2):
        state = await store.record_poll(PollRecord(
            name="Herald", kind="feed", location="http://h/rss", ok=False,
            error="http://h/rss: HTTP 500 Internal Server Error"))
        assert state.failures == attempt
    assert state.status == "failing" and state.etag == '"v1"' and state.articles == 3
    assert state.last_error == "http://h/rss: HTTP 500 Internal Server Error"
    state = await store.record_poll(PollRecord(name="Herald", kind="feed",
                                               location="http://h/rss", ok=True, etag='"v2"'))
    assert (state.failures, state.last_error, state.etag) == (0, None, '"v2"')
    assert (await store.source_items("Herald"))["e1"].article_id == "a"
