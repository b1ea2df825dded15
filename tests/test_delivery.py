"""The outbox sender against the embedded Bot API server: what Telegram answers, we handle."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.delivery import ChatPacer, RateLimiter, Sender, outbox_bot
from bot.local.errors import APIError
from bot.local.faults import FloodControl, RandomFailures, Timeouts
from bot.local.server import BotAPIServer
from digests.store import DeliveryStatus, Store
from digests.store.records import DeliveryOutcome

TOKEN = "4343:delivery-test-token"
#: Per-chat limits ten times Telegram's, so that tests of other things run quickly.
FAST_CHATS = dict(private_per_second=10.0, group_per_minute=600.0)


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(token=TOKEN) as api:
        yield api


@pytest.fixture
async def bot(server: BotAPIServer) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=server.base_url) as telegram_bot:
        yield telegram_bot


async def queue(
    store: Store, chats: list[int], parts: list[str], edition: str = "morning"
) -> int:
    for chat in chats:
        await store.subscribe(chat, chat_type="private" if chat > 0 else "group")
    record = await store.record_digest(edition, dt.datetime.now(dt.UTC), parts, ["a"], None)
    assert record is not None
    return record.id


async def drain(sender: Sender) -> None:
    while await sender.drain_once():
        pass


def private_chats(server: BotAPIServer, chats: range | list[int]) -> list[int]:
    for chat in chats:
        server.add_chat(chat, type="private", first_name=f"U{chat}")
    return list(chats)


def sends(server: BotAPIServer) -> list:  # type: ignore[type-arg]
    return [r for r in server.requests if r.method == "sendMessage"]


async def test_each_chat_gets_every_part_in_order(
    store: Store, server: BotAPIServer, bot: Bot
) -> None:
    private_chats(server, [1, 2])
    digest_id = await queue(store, [1, 2], ["<b>part one</b>", "part two &amp; three"])
    await drain(Sender(bot, store, rate=1000, pacer=ChatPacer(**FAST_CHATS)))
    for chat in (1, 2):
        assert [m.text for m in server.messages_in(chat)] == ["part one", "part two & three"]
    deliveries = await store.deliveries_for_digest(digest_id)
    assert {d.status for d in deliveries} == {"sent"}
    assert all(len(d.message_ids or []) == 2 and d.parts_sent == 2 for d in deliveries)


async def test_a_private_chat_gets_at_most_one_message_a_second(
    store: Store, server: BotAPIServer, bot: Bot
) -> None:
    private_chats(server, [1])
    server.interceptors.append(FloodControl())  # Telegram's limits, strictly
    await queue(store, [1], ["one", "two", "three"])
    await drain(Sender(bot, store, rate=1000))
    assert [m.text for m in server.messages_in(1)] == ["one", "two", "three"]
    times = [r.at for r in sends(server)]
    assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(times))
    assert not server.failed_requests()


async def test_blocked_and_unknown_chats_end_inactive(
    store: Store, server: BotAPIServer, bot: Bot
) -> None:
    private_chats(server, [1, 2])
    server.block_chat(2)
    digest_id = await queue(store, [1, 2, 3], ["hello"])  # chat 3 was never seen by Telegram
    sender = Sender(bot, store, rate=1000)
    await drain(sender)
    deliveries = {d.chat_id: d for d in await store.deliveries_for_digest(digest_id)}
    assert {chat: d.status for chat, d in deliveries.items()} == {
        1: "sent", 2: "blocked", 3: "blocked"
    }
    assert "blocked by the user" in (deliveries[2].last_error or "")
    assert [s.chat_id for s in await store.active_subscribers()] == [1]
    assert (await store.get_subscriber(2)).inactive_reason.startswith("forbidden")  # type: ignore[union-attr]
    # Nobody tried twice: a blocked chat is not retried.
    assert Counter(r.params["chat_id"] for r in sends(server)) == {1: 1, 2: 1, 3: 1}
    assert await store.delivery_summary() == {"queued": 0, "sent": 1, "failed": 0, "blocked": 2}


async def test_every_subscriber_gets_the_digest_exactly_once_despite_faults(
    store: Store, server: BotAPIServer, bot: Bot
) -> None:
    chats = private_chats(server, range(1, 151))
    server.interceptors.append(RandomFailures(rate=0.08, seed=11))
    # Held past the client's time-out, then refused: the client cannot tell it from a loss.
    server.interceptors.append(Timeouts(rate=0.02, seconds=0.6, seed=12))
    digest_id = await queue(store, chats, ["first part", "second part"])
    sender = Sender(
        bot, store, rate=0, pacer=ChatPacer(**FAST_CHATS), concurrency=16,
        max_attempts=12, retry_base=0.01, send_timeout=0.3,
    )
    await drain(sender)
    failures = [r for r in sends(server) if not r.ok]
    assert len(failures) >= 15  # the faults did happen
    for chat in chats:
        assert [m.text for m in server.messages_in(chat)] == ["first part", "second part"]
    deliveries = await store.deliveries_for_digest(digest_id)
    assert {d.status for d in deliveries} == {"sent"}
    assert sender.stats.retries >= 15


async def test_transient_failures_give_up_after_max_attempts(
    store: Store, server: BotAPIServer, bot: Bot
) -> None:
    private_chats(server, [1])
    server.fail_next("sendMessage", error_code=502, times=3)
    digest_id = await queue(store, [1], ["hello"])
    sender = Sender(bot, store, rate=0, max_attempts=3, retry_base=0.01,
                    pacer=ChatPacer(**FAST_CHATS))
    await drain(sender)
    [delivery] = await store.deliveries_for_digest(digest_id)
    assert delivery.status == "failed" and delivery.attempts == 3
    assert delivery.last_error == "gave up after 3 attempts: network: Internal Server Error"
    assert server.messages_in(1) == []


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_a_429_pauses_all_sending_exactly_as_long_as_told(
    store: Store, server: BotAPIServer, bot: Bot
) -> None:
    chats = private_chats(server, range(1, 41))
    seen = [0]

    def flood_on_the_tenth(method: str, params: dict) -> None:  # type: ignore[type-arg]
        if method == "sendMessage":
            seen[0] += 1
            if seen[0] == 10:
                raise APIError.too_many_requests(1)

    server.interceptors.append(flood_on_the_tenth)
    await queue(store, chats, ["hello"])
    sender = Sender(bot, store, rate=100, concurrency=8)
    await drain(sender)
    [refused] = [r for r in sends(server) if r.status == 429]
    # Messages already on their way when the 429 was answered cannot be recalled (a few
    # milliseconds' worth); after that, nothing until the second is over.
    in_flight = refused.at + 0.1
    during = [r for r in sends(server) if r.ok and in_flight < r.at < refused.at + 1.0]
    assert during == []
    assert [r for r in sends(server) if r.params["chat_id"] == refused.params["chat_id"]
            and r.ok and r.at < refused.at + 1.0] == []
    after = [r.at for r in sends(server) if r.ok and r.at > refused.at]
    assert min(after) - refused.at < 1.3  # ...and sending resumed right after it
    assert all(len(server.messages_in(chat)) == 1 for chat in chats)
    assert sender.stats.flood_waits == 1
    counts = await store.delivery_summary()
    assert counts == {"queued": 0, "sent": 40, "failed": 0, "blocked": 0}


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_a_429_in_a_group_pauses_that_group_only(
    store: Store, server: BotAPIServer, bot: Bot
) -> None:
    server.add_chat(-5, type="group", title="Team")
    chats = private_chats(server, range(1, 31))
    server.fail_next("sendMessage", retry_after=2)  # the first send: to the group
    await queue(store, [-5, *chats], ["hello"])
    sender = Sender(bot, store, rate=50, concurrency=4, pacer=ChatPacer(**FAST_CHATS))
    await drain(sender)
    [refused] = [r for r in sends(server) if r.status == 429]
    assert refused.params["chat_id"] == -5
    group = [r.at for r in sends(server) if r.ok and r.params["chat_id"] == -5]
    others = [r.at for r in sends(server) if r.ok and r.params["chat_id"] != -5]
    assert len(group) == 1 and group[0] - refused.at >= 2.0
    assert len([t for t in others if t < refused.at + 2.0]) >= 20  # the others went on


async def test_server_rate_limits_are_never_hit(
    store: Store, server: BotAPIServer, bot: Bot
) -> None:
    # Telegram's rules, ten times faster: 300/s overall, 10/s per private chat, 200/min a group.
    server.interceptors.append(
        FloodControl(per_chat=(10, 1.0), per_group=(20, 6.0), overall=(300, 1.0))
    )
    chats = private_chats(server, range(1, 201))
    for group in (-1, -2):
        server.add_chat(group, type="group")
    await queue(store, [*chats, -1, -2], ["one", "two", "three"])
    sender = Sender(bot, store, rate=300, concurrency=16, pacer=ChatPacer(
        private_per_second=10.0, group_per_minute=200.0))
    await drain(sender)
    assert server.failed_requests() == []
    for chat in (*chats, -1, -2):
        assert [m.text for m in server.messages_in(chat)] == ["one", "two", "three"]


async def test_a_migrated_group_is_followed_to_its_supergroup(
    store: Store, server: BotAPIServer, bot: Bot
) -> None:
    server.add_chat(-5, type="group", title="Team")
    server.migrate_chat(-5, -1005)
    digest_id = await queue(store, [-5], ["part one", "part two"])
    sender = Sender(bot, store, rate=0, pacer=ChatPacer(**FAST_CHATS))
    await drain(sender)
    assert [m.text for m in server.messages_in(-1005)] == ["part one", "part two"]
    [delivery] = await store.deliveries_for_digest(digest_id)
    assert (delivery.chat_id, delivery.status, delivery.parts_sent) == (-1005, "sent", 2)
    old, new = await store.get_subscriber(-5), await store.get_subscriber(-1005)
    assert old is not None and not old.active and "supergroup -1005" in (old.inactive_reason or "")
    assert new is not None and new.active and new.chat_type == "supergroup"
    assert sender.stats.migrated == 1


async def test_unparsable_html_is_resent_as_plain_text_and_the_template_named(
    store: Store, server: BotAPIServer, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    private_chats(server, [1])
    server.fail_next(
        "sendMessage", error_code=400,
        description="Bad Request: can't parse entities: unsupported start tag \"x\"",
    )
    digest_id = await queue(store, [1], ["<b>Bridge</b> reopens &amp; more"], edition="evening")
    sender = Sender(bot, store, rate=0, templates={"evening": "digest_brief.html"})
    with caplog.at_level(logging.ERROR, logger="bot.delivery.sender"):
        await drain(sender)
    [message] = server.messages_in(1)
    assert message.text == "Bridge reopens & more" and message.parse_mode is None
    assert "digest_brief.html" in caplog.text
    [delivery] = await store.deliveries_for_digest(digest_id)
    assert delivery.status == "sent"


async def test_a_message_telegram_refuses_is_parked_with_the_reason(
    store: Store, server: BotAPIServer, bot: Bot
) -> None:
    private_chats(server, [1, 2])
    server.fail_next("sendMessage", error_code=400, description="Bad Request: message is too long")
    digest_id = await queue(store, [1, 2], ["hello"])
    await drain(Sender(bot, store, rate=0, concurrency=1))
    statuses = {d.chat_id: (d.status, d.last_error) for d in
                await store.deliveries_for_digest(digest_id)}
    assert statuses == {1: ("failed", "bad request: Message is too long"), 2: ("sent", None)}
    assert len(sends(server)) == 2  # no retry of a refused message


async def test_a_resumed_delivery_sends_only_the_parts_not_yet_confirmed(
    store: Store, server: BotAPIServer, bot: Bot
) -> None:
    private_chats(server, [1])
    digest_id = await queue(store, [1], ["one", "two", "three"])
    # A previous worker sent part one, recorded it, and died.
    [claimed] = await store.claim_deliveries(1)
    await store.record_outcomes([DeliveryOutcome(
        claimed.id, 1, DeliveryStatus.SENDING, parts_sent=1, message_ids=[77], attempts=1)])
    assert await store.requeue_stale(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)) == 1
    await drain(Sender(bot, store, rate=0, pacer=ChatPacer(**FAST_CHATS)))
    assert [m.text for m in server.messages_in(1)] == ["two", "three"]
    [delivery] = await store.deliveries_for_digest(digest_id)
    assert delivery.status == "sent" and delivery.message_ids is not None
    assert delivery.message_ids[0] == 77 and len(delivery.message_ids) == 3


async def test_stopping_hands_unfinished_work_back_to_the_queue(
    store: Store, server: BotAPIServer, bot: Bot
) -> None:
    chats = private_chats(server, range(1, 101))
    await queue(store, chats, ["hello"])
    sender = Sender(bot, store, rate=40)
    await sender.start()
    sender.wake()
    await server.wait_for_messages(5, 1, timeout=5)
    await sender.stop()
    counts = await store.delivery_counts()
    assert counts["sending"] == 0
    assert counts["sent"] == len(server.sent) and 0 < counts["sent"] < 100
    assert counts["pending"] == 100 - counts["sent"]
    # A new sender picks up exactly where the first stopped.
    await drain(Sender(bot, store, rate=0))
    assert sorted(m.chat_id for m in server.sent) == chats


async def test_the_outbox_bot_talks_through_aiohttp(
    store: Store, server: BotAPIServer
) -> None:
    private_chats(server, [1])
    await queue(store, [1], ["<i>via aiohttp</i>"])
    fanout = outbox_bot(TOKEN, server.base_url, pool_size=4, read_timeout=5)
    sender = Sender(fanout, store, rate=0, own_bot=True)
    await sender.start()
    sender.wake()
    [message] = await server.wait_for_messages(1, 1, timeout=5)
    await sender.stop()
    assert message.text == "via aiohttp" and message.entity_texts("italic") == ["via aiohttp"]


async def test_rate_limiter_pauses_when_told() -> None:
    limiter = RateLimiter(rate=1000)
    limiter.pause(0.3)
    start = asyncio.get_running_loop().time()
    await limiter.acquire()
    assert asyncio.get_running_loop().time() - start >= 0.29
