"""Flood control: the per-user command throttle and the per-group reply budget.

The windows are checked with a controlled clock; the throttle end to end through the real PTB
stack and the embedded Bot API server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build_application, running
from bot.local.server import BotAPIServer
from bot.throttle import THROTTLE_GROUP, CommandThrottle, ReplyBudget, SlidingWindow
from config import load_settings
from digests.ingest import SAMPLES_DIR

TOKEN = "4747:throttle-test-token"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_window_counts_per_key_and_forgets_after_the_period() -> None:
    clock = Clock()
    window = SlidingWindow(3, 60.0, clock=clock)
    assert [window.try_take(1) for _ in range(4)] == [True, True, True, False]
    assert window.try_take(2)  # another key has its own budget
    assert window.used(1) == 3
    assert window.wait_time(1) == pytest.approx(60.0)
    clock.now += 30
    assert not window.try_take(1)
    assert window.wait_time(1) == pytest.approx(30.0)
    clock.now += 30.001
    assert window.wait_time(1) == 0.0
    assert window.try_take(1)
    assert window.used(1) == 1


def test_idle_keys_are_forgotten() -> None:
    clock = Clock()
    window = SlidingWindow(2, 60.0, clock=clock)
    for key in range(SlidingWindow.SWEEP_EVERY - 1):
        window.try_take(key)
    assert 0 in window and len(window._events) == SlidingWindow.SWEEP_EVERY - 1
    clock.now += 61
    window.try_take(-1)  # the 1024th event sweeps
    assert 0 not in window and list(window._events) == [-1]


def test_window_refuses_nonsense_limits() -> None:
    with pytest.raises(ValueError):
        SlidingWindow(0)
    with pytest.raises(ValueError):
        SlidingWindow(5, period=0)


async def test_a_long_group_reply_waits_for_room_after_its_first_part() -> None:
    window = SlidingWindow(2, period=0.3)
    budget = ReplyBudget(window, chat_id=-5)
    assert window.try_take(-5)  # what the throttle reserved when admitting the command
    await budget.spend()  # part 1: already paid for
    await budget.spend()  # part 2: the window's second slot
    third = asyncio.create_task(budget.spend())
    await asyncio.sleep(0.1)
    assert not third.done()  # the window is full: part 3 waits
    await asyncio.wait_for(third, timeout=2)
    assert window.used(-5) <= 2


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(token=TOKEN) as api:
        yield api


async def test_a_flood_gets_one_warning_and_the_rest_is_ignored(
    server: BotAPIServer, tmp_path: Path
) -> None:
    settings = load_settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        commands_per_minute=5,
    )
    app = build_application(settings, token=TOKEN, base_url=server.base_url, ingest=[SAMPLES_DIR])
    [handler] = app.handlers[THROTTLE_GROUP]
    throttle: CommandThrottle = handler.callback.__self__  # type: ignore[attr-defined]
    clock = Clock(time.monotonic())
    throttle.users.clock = throttle.groups.clock = clock

    async with running(app, poll_timeout=1):
        for _ in range(5):
            server.user_sends(21, "/latest")
        answers = await server.wait_for_messages(21, 5, timeout=10)
        assert all("Harbour Bridge" in m.text for m in answers)

        for text in ("/latest", "/help", "/summary 1", "hello?"):
            server.user_sends(21, text)
        [warning] = await server.wait_for_messages(21, 1, timeout=10)
        assert warning.text == (
            "You’re sending commands faster than I can answer. I’ll answer again in a minute."
        )
        with pytest.raises(TimeoutError):
            await server.wait_for_messages(21, 1, timeout=0.8)

        # Someone else is not slowed down by it.
        server.user_sends(22, "/help")
        [other] = await server.wait_for_messages(22, 1, timeout=10)
        assert "/summary" in other.text

        # A minute later the user is answered again, and a new flood gets a new warning.
        clock.now += 61
        server.user_sends(21, "/help")
        [again] = await server.wait_for_messages(21, 1, timeout=10)
        assert "/summary" in again.text
        for _ in range(6):
            server.user_sends(21, "/help")
        # Four answers (the /help above was the first of this minute's five) and one warning,
        # in whatever order the concurrent handlers finish.
        replies = [m.text for m in await server.wait_for_messages(21, 5, timeout=10)]
        assert sum(t.startswith("You’re sending commands faster") for t in replies) == 1
        assert sum("/summary" in t for t in replies) == 4
        with pytest.raises(TimeoutError):
            await server.wait_for_messages(21, 1, timeout=0.5)
    assert server.failed_requests() == []


async def test_button_presses_are_not_throttled(server: BotAPIServer, tmp_path: Path) -> None:
    settings = load_settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        admin_ids=[31],
        commands_per_minute=2,
    )
    app = build_application(settings, token=TOKEN, base_url=server.base_url)
    async with running(app, poll_timeout=1) as services:
        for n in range(25):
            await services.store.subscribe(100 + n)
        server.user_sends(31, "/subscribers")
        [listing] = await server.wait_for_messages(31, 1, timeout=10)
        for taps, page in enumerate(("subs:10", "subs:20", "subs:10", "subs:0"), start=1):
            server.user_presses(31, listing.message_id, page)
            await server.wait_for_edit(31, listing.message_id, taps, timeout=10)
        assert "Newest (1–10 of 25)" in listing.text
