"""Admin commands through the real PTB stack: refusals, /broadcast with its confirmation button,
/subscribers with its pages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conversation import ask, database_gone, running_bot

from bot.local.server import BotAPIServer
from bot.local.world import SentMessage
from config import Settings, load_settings

TOKEN = "4646:admin-test-token"
ADMIN = 900


def make_settings(tmp_path: Path) -> Settings:
    return load_settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        admin_ids=[ADMIN],
    )


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(token=TOKEN) as api:
        yield api


async def test_everyone_else_is_refused_and_nothing_runs(
    server: BotAPIServer, tmp_path: Path
) -> None:
    async with running_bot(server, TOKEN, make_settings(tmp_path)) as services:
        for text in ("/stats", "/publish morning", "/broadcast Hello all", "/subscribers",
                     "/publish_to @newsroom", "/publish_to list"):
            reply = await ask(server, 7, text)
            assert reply.text == "Sorry, that command is for the bot’s admins."
            assert reply.reply_markup is None
        assert await services.store.latest_digest() is None
    assert {r.method for r in server.requests} & {"getChat", "getChatMember"} == set()


async def test_broadcast_waits_for_the_admins_confirmation(
    server: BotAPIServer, tmp_path: Path
) -> None:
    async with running_bot(server, TOKEN, make_settings(tmp_path)) as services:
        for chat in (11, 12, 13):
            await ask(server, chat, "/start")
        await ask(server, 13, "/stop")

        text = "/broadcast Maintenance tonight <b>22:00</b> & later\nSecond line 🇺🇦"
        preview = await ask(server, ADMIN, text)
        shown = preview.text
        assert "Send this message to 2 chats?" in shown
        assert "Maintenance tonight <b>22:00</b> & later\nSecond line 🇺🇦" in shown
        assert preview.button_data()[0].startswith("bcast:send:")
        assert await services.store.latest_digest("broadcast") is None  # nothing before Send

        # Someone who is not an admin presses Send (say the preview was forwarded): refused.
        send, _cancel = preview.button_data()
        server.user_presses(ADMIN, preview.message_id, send, user_id=11)
        await wait_for_answer(server, 1)
        assert server.callback_answers[-1]["show_alert"] is True
        assert "admins" in server.callback_answers[-1]["text"]
        assert await services.store.latest_digest("broadcast") is None

        server.user_presses(ADMIN, preview.message_id, send, user_id=ADMIN)
        edited = await server.wait_for_edit(ADMIN, preview.message_id)
        assert edited.text == "✅ Broadcast queued for 2 chats."
        assert edited.reply_markup is None
        for chat in (11, 12):
            [received] = await server.wait_for_messages(chat, 1, timeout=10)
            assert received.text == (
                "Maintenance tonight <b>22:00</b> & later\nSecond line 🇺🇦"
            )
            assert not any(e["type"] == "bold" for e in received.entities)
        assert not [m for m in server.messages_in(13) if "Maintenance" in m.text]
        record = await services.store.latest_digest("broadcast")
        assert record is not None and record.article_ids == []


async def send_to_chat_11(server: BotAPIServer, preview: SentMessage, text: str) -> None:
    """Press Send under ``preview``: queued for chat 11 alone, which receives ``text``."""
    send, _ = preview.button_data()
    server.user_presses(ADMIN, preview.message_id, send)
    edited = await server.wait_for_edit(ADMIN, preview.message_id)
    assert edited.text == "✅ Broadcast queued for 1 chat."
    [received] = await server.wait_for_messages(11, 1, timeout=10)
    assert received.text == text


async def test_a_preview_is_sent_by_a_worker_that_never_saw_it(
    server: BotAPIServer, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    async with running_bot(server, TOKEN, settings):
        await ask(server, 11, "/start")
        preview = await ask(server, ADMIN, "/broadcast After the restart")
    # The press reaches a restarted worker, as it would another one behind a load balancer.
    async with running_bot(server, TOKEN, settings):
        await send_to_chat_11(server, preview, "After the restart")


async def test_a_send_that_fails_can_be_pressed_again(
    server: BotAPIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_bot(server, TOKEN, make_settings(tmp_path)) as services:
        await ask(server, 11, "/start")
        preview = await ask(server, ADMIN, "/broadcast Second try")
        send, _ = preview.button_data()

        monkeypatch.setattr(services.store, "record_digest", database_gone)
        server.user_presses(ADMIN, preview.message_id, send)
        [apology] = await server.wait_for_messages(ADMIN, 1, timeout=10)
        assert "went wrong" in apology.text
        monkeypatch.undo()
        await send_to_chat_11(server, preview, "Second try")


async def test_a_second_press_and_cancel_send_nothing(
    server: BotAPIServer, tmp_path: Path
) -> None:
    async with running_bot(server, TOKEN, make_settings(tmp_path)) as services:
        await ask(server, 11, "/start")
        first = await ask(server, ADMIN, "/broadcast First")
        second = await ask(server, ADMIN, "/broadcast Second")
        _, cancel = second.button_data()
        server.user_presses(ADMIN, second.message_id, cancel)
        edited = await server.wait_for_edit(ADMIN, second.message_id)
        assert edited.text == "Broadcast cancelled: nothing was sent."

        send, _ = first.button_data()
        keyboard = first.reply_markup
        server.user_presses(ADMIN, first.message_id, send)
        await server.wait_for_edit(ADMIN, first.message_id)
        # The keyboard is gone from the edited message, but an old client may still show it.
        server.world.sent_index[(ADMIN, first.message_id)].reply_markup = keyboard
        server.user_presses(ADMIN, first.message_id, send)
        await wait_for_answer(server, 3)
        assert "no longer waiting" in server.callback_answers[-1]["text"]

        [received] = await server.wait_for_messages(11, 1, timeout=10)
        assert received.text == "First"
        with pytest.raises(TimeoutError):
            await server.wait_for_messages(11, 1, timeout=0.7)
        deliveries = await services.store.deliveries_for_digest(
            (await services.store.latest_digest("broadcast")).id
        )
        assert [d.chat_id for d in deliveries] == [11]


async def test_broadcast_without_text_shows_usage(server: BotAPIServer, tmp_path: Path) -> None:
    async with running_bot(server, TOKEN, make_settings(tmp_path)):
        for text in ("/broadcast", "/broadcast   \x07\u200b "):
            reply = await ask(server, ADMIN, text)
            assert "Usage: /broadcast TEXT" in reply.text


async def test_subscribers_counts_and_pages(server: BotAPIServer, tmp_path: Path) -> None:
    async with running_bot(server, TOKEN, make_settings(tmp_path)) as services:
        store = services.store
        base = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        for n in range(1, 24):
            store.clock = lambda n=n: base + dt.timedelta(hours=n)
            await store.subscribe(n, chat_type="private", language="uk" if n % 2 else "en")
        store.clock = lambda: base + dt.timedelta(hours=30)
        await store.subscribe(-100777, chat_type="channel", title="Newsroom <News>")
        store.clock = lambda: base + dt.timedelta(hours=31)
        await store.unsubscribe(5)

        first = await ask(server, ADMIN, "/subscribers")
        text = first.text
        assert "Active: 23 · stopped: 1 · total: 24" in text
        assert "• channel: 1" in text and "• private: 22" in text
        assert "Newest (1–10 of 23)" in text
        assert "1. -100777 channel · Newsroom <News>" in text
        assert "2. 23 private · uk" in text
        assert first.button_data() == ["subs:10"]

        server.user_presses(ADMIN, first.message_id, "subs:10")
        second = await server.wait_for_edit(ADMIN, first.message_id, 1)
        assert "Newest (11–20 of 23)" in second.text
        assert second.button_data() == ["subs:0", "subs:20"]

        server.user_presses(ADMIN, first.message_id, "subs:20")
        third = await server.wait_for_edit(ADMIN, first.message_id, 2)
        last_page = third.text
        assert "Newest (21–23 of 23)" in last_page
        assert "23. 1 private" in last_page and " 5 private" not in last_page
        assert third.button_data() == ["subs:10"]

        server.user_presses(ADMIN, first.message_id, "subs:10", user_id=7)
        await wait_for_answer(server, 3)
        assert server.callback_answers[-1]["show_alert"] is True
    assert server.failed_requests() == []


async def wait_for_answer(server: BotAPIServer, count: int) -> None:
    """Wait until ``count`` callback queries have been answered."""
    for _ in range(200):
        if len(server.callback_answers) >= count:
            return
        await asyncio.sleep(0.025)
    raise TimeoutError(f"{len(server.callback_answers)} callback answers, expected {count}")
