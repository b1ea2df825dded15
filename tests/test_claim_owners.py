"""Claim owners: work a live worker holds stays its own; a dead worker's work is taken over.

On PostgreSQL an owner is alive while some session holds its advisory lock; these tests hold
and release that lock on a connection of their own, as a worker process would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from telegram import Bot

from bot.delivery import Sender
from bot.local.server import BotAPIServer, RecordedRequest
from digests.store import DeliveryStatus, Store
from digests.store.outbox import owner_lock_key
from digests.store.records import DeliveryOutcome

ALIVE, DEAD, ME = 101, 202, 303
TOKEN = "5151:claim-owner-test-token"

@asynccontextmanager
async def alive(store: Store, owner: int) -> AsyncIterator[None]:
    """Hold ``owner``'s lock for the block (a no-op on SQLite, where only the caller lives)."""
    if store.dialect != "postgresql":
        yield
        return
    async with store.engine.connect() as connection:
        await connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": owner_lock_key(owner)})
        await connection.commit()
        try:
            yield
        finally:
            await connection.execute(
                text("SELECT pg_advisory_unlock(:k)"), {"k": owner_lock_key(owner)}
            )
            await connection.commit()


def accepted(server: BotAPIServer) -> list[RecordedRequest]:
    return [r for r in server.requests if r.method == "sendMessage" and r.status == 200]


async def until_sent(server: BotAPIServer, count: int, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while len(accepted(server)) < count:
        assert asyncio.get_running_loop().time() < deadline, f"fewer than {count} messages sent"
        await asyncio.sleep(0.05)


async def queue(store: Store, chats: list[int], edition: str = "morning") -> None:
    record = await store.record_digest(edition, dt.datetime.now(dt.UTC), ["p"], [], chats)
    assert record is not None and record.queued == len(chats)


def handed_back(delivery_id: int, chat_id: int) -> DeliveryOutcome:
    return DeliveryOutcome(delivery_id=delivery_id, chat_id=chat_id,
                           status=DeliveryStatus.PENDING, parts_sent=0, message_ids=[],
                           attempts=1)


async def test_a_starting_worker_takes_over_only_what_dead_workers_left(store: Store) -> None:
    await queue(store, [1, 2, 3, 4, 5])
    async with alive(store, ME), alive(store, ALIVE):
        await store.claim_deliveries(2, owner=ALIVE)
        abandoned = await store.claim_deliveries(2, owner=DEAD)
        unowned = await store.claim_deliveries(1)  # a worker from before owners existed
        if store.dialect == "postgresql":
            # The live owner's rows stay with it; the dead one's and the unowned go back.
            assert await store.requeue_orphans(ME) == 3
            assert await store.requeue_orphans(ME) == 0
            again = await store.claim_deliveries(10, owner=ME)
            assert sorted(d.id for d in again) == sorted(d.id for d in abandoned + unowned)
            assert (await store.delivery_counts())["sending"] == 5
        else:
            # One worker on SQLite: whatever another owner holds was left by a dead run.
            assert await store.requeue_orphans(ME) == 5
            assert (await store.delivery_counts())["pending"] == 5


@pytest.mark.parametrize("way", ["unlock", "disconnect"])
async def test_a_workers_rows_are_taken_over_once_its_lock_is_gone(
    store: Store, way: str
) -> None:
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL only: on SQLite no other worker can be alive")
    await queue(store, [1, 2, 3])
    connection = await store.engine.connect()
    await connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": owner_lock_key(ALIVE)})
    await connection.commit()
    await store.claim_deliveries(3, owner=ALIVE)
    assert await store.requeue_orphans(ME) == 0
    if way == "unlock":
        await connection.execute(text("SELECT pg_advisory_unlock_all()"))
        await connection.commit()
        await connection.close()
    else:  # the process died: its connection is gone without a word
        await connection.invalidate()
        await connection.close()
    assert await store.requeue_orphans(ME) == 3
    assert (await store.delivery_counts())["pending"] == 3


async def test_a_worker_that_lost_its_rows_cannot_write_them_back(store: Store) -> None:
    await queue(store, [1, 2])
    first, second = await store.claim_deliveries(2, owner=DEAD)
    async with alive(store, ME):
        assert await store.requeue_orphans(ME) == 2
        (taken,) = await store.claim_deliveries(1, owner=ME)
    # The old owner, cut off meanwhile, reports what it thinks it still holds: no effect,
    # neither on the row the new owner is sending nor on the one waiting in the queue.
    await store.record_outcomes([handed_back(first.id, first.chat_id),
                                 handed_back(second.id, second.chat_id)], owner=DEAD)
    rows = {d.id: d for d in await store.deliveries_for_digest(first.digest_id)}
    assert rows[taken.id].status == "sending"
    assert sorted(d.status for d in rows.values()) == ["pending", "sending"]
    # Its owner's report counts.
    await store.record_outcomes([handed_back(taken.id, taken.chat_id)], owner=ME)
    assert (await store.delivery_counts())["pending"] == 2


async def test_a_claim_leaves_chats_another_worker_is_sending_to(store: Store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one worker")
    await queue(store, [1, 2], edition="morning")
    await queue(store, [1, 2, 3], edition="evening")
    async with alive(store, ALIVE), alive(store, ME):
        (first,) = await store.claim_deliveries(1, owner=ALIVE)
        mine = await store.claim_deliveries(10, owner=ME)
        # Chat first.chat_id's evening digest waits for the worker sending it the morning one.
        assert first.chat_id not in {d.chat_id for d in mine}
        assert len(mine) == 3
        theirs = await store.claim_deliveries(10, owner=ALIVE)
        assert [d.chat_id for d in theirs] == [first.chat_id]


async def test_concurrent_claims_never_split_a_chat_between_workers(store: Store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one worker")
    # Each chat's three digests lie close together in the queue, so that concurrent claims
    # meet the same chat as often as they can.
    chats = list(range(1, 301))
    for first in range(1, 301, 3):
        for edition in ("morning", "noon", "evening"):
            await queue(store, [first, first + 1, first + 2], edition=f"{edition}-{first}")
    owners = [11, 12, 13, 14]
    claimed: dict[int, set[int]] = {owner: set() for owner in owners}

    async def worker(owner: int) -> None:
        while batch := await store.claim_deliveries(7, owner=owner):
            claimed[owner].update(d.chat_id for d in batch)

    async with alive(store, 11), alive(store, 12), alive(store, 13), alive(store, 14):
        await asyncio.gather(*(worker(owner) for owner in owners))
    # Every chat ended with exactly one worker: the one that claimed it first got all three.
    seen = [chat for owner in owners for chat in claimed[owner]]
    assert sorted(seen) == chats
    assert sum(1 for owner in owners if claimed[owner]) > 1
    assert (await store.delivery_counts())["sending"] == 900


async def test_a_sender_cut_off_from_the_database_stops_then_resumes_without_doubles(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL only: an SQLite file cannot be cut off")
    caplog.set_level(logging.INFO, logger="bot")
    chats = list(range(1, 121))
    async with BotAPIServer(token=TOKEN) as server, Bot(TOKEN, base_url=server.base_url) as bot:
        for chat in chats:
            server.add_chat(chat, type="private", first_name=f"U{chat}")
            await store.subscribe(chat, chat_type="private")
        await store.record_digest("morning", dt.datetime.now(dt.UTC), ["hello"], [], None)
        sender = Sender(bot, store, rate=40, lock_retry=0.3)
        await sender.start()
        sender.wake()
        await until_sent(server, 20)
        # What a database restart or a network cut does to the session holding the lock.
        async with store.engine.connect() as connection:
            cut = await connection.scalar(text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                " AND objid = :owner AND objsubid = 1 AND granted"
            ), {"owner": sender.owner})
        assert cut
        await until_sent(server, len(chats))
        await sender.stop()

    prefix = f"outbox owner {sender.owner} leadership "
    said = [r.getMessage().removeprefix(prefix).split(":")[0] for r in caplog.records
            if r.getMessage().startswith(prefix)]
    # It stopped when cut off, took its lock again and went on, then stopped for good.
    assert said == ["acquired", "lost", "released", "acquired", "released"], said
    received = Counter(r.params["chat_id"] for r in accepted(server))
    assert set(received) == set(chats)
    assert max(received.values()) == 1
    assert (await store.delivery_counts())["sent"] == len(chats)
