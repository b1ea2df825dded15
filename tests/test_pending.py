"""Pending actions: conversation state in the database, seen by every worker, for a while."""

from __future__ import annotations

import asyncio
import datetime as dt

from digests.store import Store

HOUR = dt.timedelta(hours=1)


def later(store: Store, by: dt.timedelta) -> None:
    """Move the store's clock on by ``by``."""
    now = store.clock()
    store.clock = lambda: now + by


async def test_a_value_is_kept_until_taken_and_taken_once(store: Store) -> None:
    await store.put_pending("broadcast:a", {"text": "Hello", "author": 900}, HOUR)
    assert await store.peek_pending("broadcast:a") == {"text": "Hello", "author": 900}
    assert await store.peek_pending("broadcast:a") is not None  # peeking leaves it
    assert await store.take_pending("broadcast:a") == {"text": "Hello", "author": 900}
    assert await store.take_pending("broadcast:a") is None
    assert await store.peek_pending("broadcast:unknown") is None


async def test_putting_again_replaces_and_restarts_the_time(store: Store) -> None:
    await store.put_pending("zone-search:7", True, HOUR)
    later(store, dt.timedelta(minutes=50))
    await store.put_pending("zone-search:7", "again", HOUR)
    later(store, dt.timedelta(minutes=50))
    assert await store.peek_pending("zone-search:7") == "again"


async def test_expired_values_count_for_nothing_and_are_cleared(store: Store) -> None:
    await store.put_pending("broadcast:old", {"text": "stale"}, HOUR)
    await store.put_pending("zone-search:7", True, HOUR)
    await store.drop_pending("zone-search:7")
    assert await store.peek_pending("zone-search:7") is None
    later(store, HOUR)
    assert await store.peek_pending("broadcast:old") is None
    assert await store.take_pending("broadcast:old") is None
    # The next put sweeps what expired, so the table holds only open conversations.
    await store.put_pending("broadcast:new", {"text": "fresh"}, HOUR)
    store.clock = lambda: dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert await store.peek_pending("broadcast:old") is None
    assert await store.peek_pending("broadcast:new") == {"text": "fresh"}


async def test_of_many_takers_at_once_exactly_one_gets_the_value(
    store: Store, database_url: str
) -> None:
    # Several workers, each with its own connections: a Send pressed on two devices at once.
    others = [await Store.open(database_url, migrate=False) for _ in range(3)]
    try:
        for round_ in range(5):
            key = f"broadcast:{round_}"
            await store.put_pending(key, {"round": round_}, HOUR)
            got = await asyncio.gather(*(s.take_pending(key) for s in [store, *others]))
            assert [g for g in got if g is not None] == [{"round": round_}]
    finally:
        for other in others:
            await other.close()
