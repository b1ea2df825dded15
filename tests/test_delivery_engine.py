"""The delivery engine's parts: limits, verdicts, outcome records, the misbehaving server."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery import Action, ChatPacer, Limiter, RateLimiter, classify
from bot.delivery.replies import counts_against_limit
from bot.local.faults import Timeouts
from bot.local.serve import LoggingServer, build_parser, configure, parse_range
from config import ConfigError, load_settings
from digests.store import DeliveryStatus, Store
from digests.store.records import DeliveryOutcome

TOKEN = "4545:engine-test-token"

# -- the global limit ------------------------------------------------------------------------


async def test_grants_stay_under_the_rate_in_every_second() -> None:
    limiter = RateLimiter(50)
    times = []
    for _ in range(60):
        await limiter.acquire()
        times.append(time.monotonic())
    # Telegram counts messages in any one-second window: never more than 50 in one.
    assert max(sum(1 for t in times if start <= t < start + 1.0) for start in times) <= 50
    achieved = (len(times) - 1) / (times[-1] - times[0])
    assert 0.95 * 50 <= achieved <= 50


async def test_urgent_callers_go_before_waiting_ones() -> None:
    limiter = RateLimiter(20)
    order: list[str] = []

    async def take(name: str, urgent: bool = False) -> None:
        await limiter.acquire(urgent=urgent)
        order.append(name)

    await limiter.acquire()  # the next grant is now 50 ms away
    waiting = [asyncio.create_task(take(f"outbox {n}")) for n in range(4)]
    await asyncio.sleep(0.01)
    reply = asyncio.create_task(take("reply", urgent=True))
    await asyncio.gather(*waiting, reply)
    assert order[0] == "reply"


async def test_a_pause_holds_everyone_and_an_unlimited_limiter_only_pauses() -> None:
    for limiter in (RateLimiter(1000), RateLimiter(0)):
        assert isinstance(limiter, Limiter)
        limiter.pause(0.2)
        limiter.pause(0.05)  # a shorter pause does not cut the longer one short
        start = time.monotonic()
        await asyncio.gather(limiter.acquire(), limiter.acquire(urgent=True))
        assert time.monotonic() - start >= 0.19
    unlimited = RateLimiter(None)
    start = time.monotonic()
    for _ in range(1000):
        await unlimited.acquire()
    assert time.monotonic() - start < 0.5


async def test_a_cancelled_waiter_does_not_use_up_a_turn() -> None:
    limiter = RateLimiter(10)
    await limiter.acquire()
    gone = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.01)
    gone.cancel()
    start = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - start < 0.15  # the next turn went to this caller
    assert limiter.granted == 2


async def test_tracked_messages_count_until_answered_and_a_second_after() -> None:
    # Telegram counts a message when it handles it, anywhere between our sending and our
    # hearing back: a message still in flight, or answered less than a second ago, may yet
    # fall into the same window as the next one.
    limiter = RateLimiter(10, headroom=0.0)
    tickets = [await limiter.acquire(track=True) for _ in range(10)]
    assert limiter.in_flight == 10
    blocked = asyncio.create_task(limiter.acquire(track=True))
    await asyncio.sleep(0.3)  # evenly spaced, it would have had its turn after 0.1 s
    assert not blocked.done()
    for ticket in tickets:
        limiter.answered(ticket)
    answered_at = time.monotonic()
    assert limiter.in_flight == 0
    limiter.answered(tickets[0])  # a second answer for one ticket changes nothing
    await blocked
    assert time.monotonic() - answered_at >= 0.95  # only once the answers left the window
    assert limiter.in_flight == 1


async def test_a_burst_makes_up_for_a_stall_but_no_second_holds_more_than_the_rate() -> None:
    limiter = RateLimiter(200, burst=0.1)
    granted: list[float] = []
    for n in range(250):
        if n == 100:
            time.sleep(0.15)  # noqa: ASYNC251 - the event loop stalls: turns are missed
        ticket = await limiter.acquire(track=True)
        granted.append(time.monotonic())
        limiter.answered(ticket)
    busiest = max(sum(1 for t in granted if start <= t < start + 1.0) for start in granted)
    assert busiest <= 200
    # Most of the stall was made up: even spacing alone would lose all 150 ms of it.
    stall_end = granted[100]
    made_up = sum(1 for t in granted[100:] if t < stall_end + 0.01)
    assert made_up >= 10


def test_chat_pacer_spaces_private_chats_and_groups() -> None:
    now = [100.0]
    pacer = ChatPacer(clock=lambda: now[0])
    pacer.sent(7)
    pacer.sent(-7)
    assert pacer.ready_at(7) == pytest.approx(101.02)
    assert pacer.ready_at(-7) == pytest.approx(103.06)  # 20 a minute, with 2% to spare
    pacer.hold(7, 30)
    assert pacer.ready_at(7) == pytest.approx(130.0)
    now[0] = 200.0
    assert pacer.forget_idle() == 2 and len(pacer) == 0


# -- what Telegram's answers mean ------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_each_answer_has_its_verdict() -> None:
    wait = classify(RetryAfter(7))
    assert (wait.action, wait.seconds) == (Action.WAIT, 7.0)
    moved = classify(ChatMigrated(-1009))
    assert (moved.action, moved.new_chat_id) == (Action.MIGRATE, -1009)
    assert classify(Forbidden("Forbidden: bot was blocked by the user")).action is Action.BLOCKED
    assert classify(BadRequest("Chat not found")).action is Action.BLOCKED
    assert classify(BadRequest("Can't parse entities: bad tag")).action is Action.PLAIN_TEXT
    assert classify(BadRequest("Message is too long")).action is Action.REJECT
    assert classify(TimedOut()).action is Action.RETRY
    assert classify(NetworkError("Bad Gateway")).action is Action.RETRY
    assert classify(RuntimeError("bug")).action is Action.RETRY


def test_only_calls_that_put_messages_in_chats_are_counted() -> None:
    assert counts_against_limit("sendMessage") and counts_against_limit("editMessageText")
    assert not counts_against_limit("sendChatAction")
    assert not counts_against_limit("answerCallbackQuery")
    assert not counts_against_limit("getMe")


# -- settings --------------------------------------------------------------------------------


def test_delivery_settings_have_telegrams_defaults_and_bounds() -> None:
    settings = load_settings(_env_file=None)
    assert settings.delivery_rate == 30
    assert settings.delivery_private_per_second == 1
    assert settings.delivery_group_per_minute == 20
    assert settings.delivery_max_attempts == 5
    assert load_settings(_env_file=None, delivery_rate="1000").delivery_rate == 1000
    with pytest.raises(ConfigError, match="DELIVERY_RATE"):
        load_settings(_env_file=None, delivery_rate="5000")
    with pytest.raises(ConfigError, match="DELIVERY_MAX_ATTEMPTS"):
        load_settings(_env_file=None, delivery_max_attempts="0")


# -- the outbox's records --------------------------------------------------------------------


async def queued(store: Store, chats: list[int], parts: int = 2) -> list[int]:
    record = await store.record_digest(
        "morning", dt.datetime.now(dt.UTC), [f"part {n}" for n in range(parts)], [], chats
    )
    assert record is not None
    return [d.id for d in await store.claim_deliveries(100)]


async def test_outcomes_are_recorded_together(store: Store) -> None:
    for chat in (1, 2, 3, 4):
        await store.subscribe(chat)
    one, two, three, four = await queued(store, [1, 2, 3, 4])
    await store.record_outcomes([
        DeliveryOutcome(one, 1, DeliveryStatus.SENDING, 1, [10], 1),
        DeliveryOutcome(two, 2, DeliveryStatus.SENT, 2, [20, 21], 1),
        DeliveryOutcome(three, 3, DeliveryStatus.BLOCKED, 0, [], 1, "forbidden: kicked"),
        DeliveryOutcome(four, 4, DeliveryStatus.PENDING, 1, [40], 2, "handed back"),
    ])
    rows = {d.id: d for d in await store.deliveries_for_digest(
        (await store.latest_digest()).id)}  # type: ignore[union-attr]
    assert (rows[one].status, rows[one].parts_sent, rows[one].message_ids) == ("sending", 1, [10])
    assert (rows[two].status, rows[two].message_ids) == ("sent", [20, 21])
    assert rows[two].sent_at is not None
    assert (rows[three].status, rows[three].last_error) == ("blocked", "forbidden: kicked")
    assert (rows[four].status, rows[four].attempts) == ("pending", 2)
    assert [s.chat_id for s in await store.active_subscribers()] == [1, 2, 4]
    # A late report cannot undo a sent delivery.
    await store.record_outcomes([DeliveryOutcome(two, 2, DeliveryStatus.FAILED, 0, [], 3, "x")])
    assert await store.delivery_summary() == {"queued": 2, "sent": 1, "failed": 0, "blocked": 1}
    [again] = await store.claim_deliveries(10)
    assert (again.id, again.parts_sent, again.message_ids) == (four, 1, [40])


async def test_a_migrated_group_takes_its_subscription_and_unsent_work(store: Store) -> None:
    await store.subscribe(-5, chat_type="group", title="Team", language="uk")
    await store.subscribe(-1005, chat_type="supergroup")  # already subscribed itself
    first = await store.record_digest("morning", dt.datetime.now(dt.UTC), ["a"], [], [-5])
    second = await store.record_digest(
        "evening", dt.datetime.now(dt.UTC), ["b"], [], [-5, -1005]
    )
    assert first is not None and second is not None
    moved = await store.move_chat(-5, -1005, "group upgraded to supergroup -1005")
    [followed] = await store.deliveries_for_digest(first.id)
    assert followed.id in moved and followed.chat_id == -1005
    by_chat = {d.chat_id: d for d in await store.deliveries_for_digest(second.id)}
    assert by_chat[-5].status == "failed" and by_chat[-5].id not in moved  # no second copy
    old, new = await store.get_subscriber(-5), await store.get_subscriber(-1005)
    assert old is not None and not old.active
    assert new is not None and new.active


# -- the misbehaving server ------------------------------------------------------------------


async def test_held_calls_time_out_and_are_either_lost_or_sent_late() -> None:
    async with LoggingServer(None, token=TOKEN) as server:
        server.user_sends(1, "hi")
        async with Bot(TOKEN, base_url=server.base_url) as bot:
            server.interceptors[:] = [Timeouts(rate=1.0, seconds=0.3)]
            with pytest.raises(TimedOut):
                await bot.send_message(1, "lost", read_timeout=0.1)
            await asyncio.sleep(0.4)
            assert server.sent == []  # refused after the hold: never sent
            server.interceptors[:] = [Timeouts(rate=1.0, seconds=0.3, deliver=True)]
            with pytest.raises(TimedOut):
                await bot.send_message(1, "late", read_timeout=0.1)
            [late] = await server.wait_for_messages(1, timeout=2)
            assert late.text == "late"


async def test_the_server_process_logs_every_call(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    options = build_parser().parse_args(
        ["--log", str(log), "--private", "1-3", "--block", "2", "--rate", "1"]
    )
    with log.open("w", encoding="utf-8") as handle:
        server = LoggingServer(handle, token=TOKEN)
        configure(server, options)
        async with server:
            for chat in (1, 2, 1):
                await server.call("sendMessage", {"chat_id": chat, "text": "<b>hi</b>"})
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(c["chat_id"], c["status"]) for c in lines] == [(1, 200), (2, 429), (1, 429)]
    assert lines[0]["message_id"] == 1 and lines[1]["retry_after"] >= 1
    assert TOKEN not in log.read_text()
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--private", "5-1"])
    assert parse_range("7") == range(7, 8)
