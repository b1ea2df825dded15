"""The outbox sender against the embedded Bot API server: what Telegram answers, we handle."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.delivery import RateLimiter, Sender
from bot.local.server import BotAPIServer
from digests.store import Store

TOKEN = "4343:delivery-test-token"


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(token=TOKEN) as api:
        yield api


@pytest.fixture
async def bot(server: BotAPIServer) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=server.base_url) as telegram_bot:
        yield telegram_bot


async def queue(store: Store, chats: list[int], parts: list[str]) -> int:
    for chat in chats:
        await store.subscribe(chat)
    record = await store.record_digest("morning", dt.datetime.now(dt.UTC), parts, ["a"], None)
    assert record is not None
    return record.id


async def drain(sender: Sender) -> None:
    while await sender.drain_once():
        pass


async def test_each_chat_gets_every_part_in_order(
    store: Store, server: BotAPIServer, bot: Bot
) -> None:
    for chat in (1, 2):
        server.add_chat(chat, type="private", first_name="U")
    digest_id = await queue(store, [1, 2], ["<b>part one</b>", "part two &amp; three"])
    await drain(Sender(bot, store, rate=1000))
    for chat in (1, 2):
        assert [m.text for m in server.messages_in(chat)] == ["part one", "part two & three"]
    deliveries = await store.deliveries_for_digest(digest_id)
    assert {d.status for d in deliveries} == {"sent"}
    assert all(len(d.message_ids or []) == 2 for d in deliveries)


async def test_blocked_and_unknown_chats_end_inactive(
    store: Store, server: BotAPIServer, bot: Bot
) -> None:
    server.add_chat(1, type="private", first_name="U")
    server.add_chat(2, type="private", first_name="B")
    server.block_chat(2)
    digest_id = await queue(store, [1, 2, 3], ["hello"])  # chat 3 was never seen by Telegram
    await drain(Sender(bot, store, rate=1000))
    statuses = {d.chat_id: d.status for d in await store.deliveries_for_digest(digest_id)}
    assert statuses == {1: "sent", 2: "blocked", 3: "blocked"}
    assert [s.chat_id for s in await store.active_subscribers()] == [1]


async def test_rate_limiter_pauses_when_told() -> None:
    limiter = RateLimiter(rate=1000)
    limiter.pause(0.3)
    start = asyncio.get_running_loop().time()
    await limiter.acquire()
    assert asyncio.get_running_loop().time() - start >= 0.29
