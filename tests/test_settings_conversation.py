"""/settings through the real PTB stack and the local Bot API server, taps edited in place.

The full conversation: subscribe, pick Europe/Kyiv by typing the city, pick 08:00, follow a
topic, receive the edition at 08:00 Kyiv time on a controlled clock, mute the topic, receive
nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conversation import ask, press, running_bot

from bot.handlers.settings import ZONE_SEARCH_TTL
from bot.local.server import BotAPIServer
from bot.services import Services
from config import Edition, Settings, load_settings
from digests.ingest import SAMPLES_DIR
from digests.preferences import short_key, utc_offset_label
from digests.render import to_plain_text

TOKEN = "4242:settings-test-token"
UTC = dt.UTC
KYIV = ZoneInfo("Europe/Kyiv")


def make_settings(tmp_path: Path) -> Settings:
    return load_settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        editions=[Edition(name="morning", cron="0 8 * * *")],
    )


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(token=TOKEN) as api:
        yield api


def bot(
    server: BotAPIServer, tmp_path: Path, folders: list[Path]
) -> AbstractAsyncContextManager[Services]:
    return running_bot(server, TOKEN, make_settings(tmp_path), folders)


def energy_articles(folder: Path) -> Path:
    folder.mkdir()
    for ident, title in (("a", "Grid Operator Adds Winter Reserve"),
                         ("b", "Solar Output Beats Forecast")):
        record = {
            "id": f"energy-{ident}", "title": title, "body": f"{title}. More follows.",
            "summary": f"{title}.", "topics": ["Energy"],
            "published_at": "2026-11-25T09:00:00Z",
        }
        (folder / f"{ident}.json").write_text(json.dumps(record))
    return folder


async def test_full_conversation_kyiv_morning_follow_then_mute(
    server: BotAPIServer, tmp_path: Path
) -> None:
    chat = 501
    async with bot(server, tmp_path, [energy_articles(tmp_path / "articles")]) as svc:
        await ask(server, chat, "/start")
        menu = await ask(server, chat, "/settings")
        assert "st:z" in menu.button_data() and "Time zone: UTC" in menu.text

        prompt = await press(server, menu, "st:z")
        assert "city" in prompt.text
        results = await ask(server, chat, "Kyiv")  # typed, not a command
        assert results.button_data()[0] == "st:zs:Europe/Kyiv"
        shown = await press(server, results, "st:zs:Europe/Kyiv")
        assert f"Time zone: Europe/Kyiv ({utc_offset_label('Europe/Kyiv')})" in shown.text

        hours = await press(server, shown, "st:t")
        minutes = await press(server, hours, "st:h:0:8")
        assert minutes.button_data()[:2] == ["st:s:0:480", "st:s:0:495"]
        done = await press(server, minutes, "st:s:0:480")
        assert "Delivery: 08:00 every day" in done.text
        # Every tap edited the two settings messages; nothing new was sent.
        assert len(server.messages_in(chat)) == 3  # greeting, menu, zone results

        topics = await ask(server, chat, "/topics")
        energy = f"tp:{short_key('Energy')}"
        followed = await press(server, topics, energy)
        assert "✅ Energy" in [b["text"] for row in followed.buttons for b in row]
        assert "Following: Energy" in followed.text

        # Tomorrow, which the real minute-by-minute job cannot have reached yet.
        eight = dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time(8), KYIV)
        svc.scheduler.clock = lambda: eight - dt.timedelta(minutes=1)
        assert [o.queued for o in await svc.scheduler.tick()] == []
        svc.scheduler.clock = lambda: eight + dt.timedelta(seconds=20)
        [outcome] = await svc.scheduler.tick()
        assert outcome.queued == 1
        [pushed] = await server.wait_for_messages(chat, 1, 10)
        text = to_plain_text(pushed.text)
        assert "Grid Operator Adds Winter Reserve" in text and "Solar Output" in text

        muted = await press(server, followed, energy)
        assert "Muted: Energy" in muted.text
        svc.scheduler.clock = lambda: eight + dt.timedelta(days=1, seconds=5)
        [outcome] = await svc.scheduler.tick()
        assert (outcome.queued, outcome.empty) == (0, 1)
        with pytest.raises(TimeoutError):
            await server.wait_for_messages(chat, 1, 1.0)
        [reply] = [to_plain_text(m.text) for m in [await ask(server, chat, "/digest")]]
        assert "Nothing in recent articles matches your topics" in reply
    assert [r.method for r in server.failed_requests()] == []


async def test_every_setting_is_stored_and_shown(server: BotAPIServer, tmp_path: Path) -> None:
    chat = 502
    async with bot(server, tmp_path, [SAMPLES_DIR]) as svc:
        await ask(server, chat, "/start")
        menu = await ask(server, chat, "/settings")
        store = svc.store

        freq = await press(server, menu, "st:f")
        twice = await press(server, freq, "st:fs:twice")
        assert "● Twice daily" in str(twice.buttons)
        prefs = await store.get_preferences(chat)
        assert prefs.frequency == "twice" and prefs.times == (480, 1080)
        main = await press(server, twice, "st:m")
        assert "Delivery: 08:00 and 18:00 (twice daily)" in main.text
        second = await press(server, await press(server, main, "st:t"), "st:t:1")
        seven_pm = await press(server, await press(server, second, "st:h:1:19"), "st:s:1:1170")
        assert (await store.get_preferences(chat)).times == (480, 1170)
        assert "08:00 and 19:30" in seven_pm.text

        weekdays = await press(server, await press(server, seven_pm, "st:f"), "st:fs:weekdays")
        assert (await store.get_preferences(chat)).active_times == (480,)
        quiet = await press(server, await press(server, weekdays, "st:m"), "st:q")
        main = await press(server, quiet, "st:qs:1320-420")
        assert "Quiet hours: 22:00–07:00" in main.text
        main = await press(server, main, "st:l")
        assert "Length: brief" in main.text
        main = await press(server, main, "st:d")
        assert "Quote of the day: on" in main.text
        language = await press(server, main, "st:g")
        main = await press(server, language, "st:gs:uk")
        assert (await store.get_subscriber(chat)).language == "uk"
        # The choice takes effect at once: the settings screen now speaks Ukrainian.
        assert "Мова: Українська" in main.text

        prefs = await store.get_preferences(chat)
        assert (prefs.quiet, prefs.length, prefs.quote_of_the_day, prefs.frequency) == (
            (1320, 420), "brief", True, "weekdays")

        back = await press(server, await press(server, main, "st:t"), "st:s:x")
        assert "Доставка: за розкладом випусків: Ранковий щодня о 08:00 (UTC)" in back.text
        assert not (await store.get_preferences(chat)).personal
        closed = await press(server, back, "st:x")
        assert "Налаштування збережено" in closed.text and closed.buttons == []
        assert len(server.messages_in(chat)) == 2  # the greeting and the one settings message
        # Coming back with /start keeps the choices.
        await ask(server, chat, "/start")
        assert (await store.get_subscriber(chat)).language == "uk"
        assert (await store.get_preferences(chat)).length == "brief"
        assert len(server.callback_answers) >= 15
    assert [r.method for r in server.failed_requests()] == []


async def test_time_zone_by_offset_and_a_failed_search(
    server: BotAPIServer, tmp_path: Path
) -> None:
    chat = 503
    async with bot(server, tmp_path, [SAMPLES_DIR]) as svc:
        menu = await ask(server, chat, "/settings")  # works before /start, says so
        assert "not subscribed" in menu.text
        await press(server, menu, "st:z")
        missing = await ask(server, chat, "Atlantis <b>\u202e")
        assert "No time zone found for “Atlantis" in to_plain_text(missing.text)
        found = await ask(server, chat, "UTC+2")  # still searching after a miss
        assert "st:zs:Etc/GMT-2" in found.button_data()
        await press(server, found, "st:zs:Etc/GMT-2")
        assert (await svc.store.get_subscriber(chat)).timezone == "Etc/GMT-2"
        # Once chosen, plain text is no longer a search.
        hint = await ask(server, chat, "Kyiv")
        assert "/help" in hint.text
    assert [r.method for r in server.failed_requests()] == []


async def test_a_zone_search_survives_a_restart_and_expires(
    server: BotAPIServer, tmp_path: Path
) -> None:
    chat = 504
    async with bot(server, tmp_path, [SAMPLES_DIR]):
        await press(server, await ask(server, chat, "/settings"), "st:z")
    # The city arrives at a restarted worker (or another one behind a load balancer).
    async with bot(server, tmp_path, [SAMPLES_DIR]) as svc:
        results = await ask(server, chat, "Kyiv")
        assert results.button_data()[0] == "st:zs:Europe/Kyiv"

        await press(server, await ask(server, chat, "/settings"), "st:z")
        missing = await ask(server, chat, "Atlantis")  # a miss leaves the search open...
        await press(server, missing, "st:m")  # ...until another tap
        assert "/help" in (await ask(server, chat, "Lviv")).text

        await press(server, await ask(server, chat, "/settings"), "st:z")
        real_clock = svc.store.clock
        svc.store.clock = lambda: real_clock() + ZONE_SEARCH_TTL
        assert "/help" in (await ask(server, chat, "Kyiv")).text  # an hour on, it is text
    assert [r.method for r in server.failed_requests()] == []


async def test_edition_follow_toggles_keep_at_least_one(
    server: BotAPIServer, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path).model_copy(update={"editions": [
        Edition(name="morning", cron="0 8 * * *"), Edition(name="evening", cron="0 19 * * *")]})
    async with running_bot(server, TOKEN, settings, []) as svc:
        chat = 504
        menu = await ask(server, chat, "/settings")
        freq = await press(server, menu, "st:f")
        assert {"st:e:morning", "st:e:evening"} <= set(freq.button_data())
        freq = await press(server, freq, "st:e:evening")
        assert (await svc.store.get_preferences(chat)).editions == ("morning",)
        refused = await press(server, freq, "st:e:morning")
        assert "Keep at least one edition" in refused.text
        assert (await svc.store.get_preferences(chat)).editions == ("morning",)


async def test_in_groups_only_admins_change_settings_and_follows(
    server: BotAPIServer, tmp_path: Path
) -> None:
    group, member, admin = -700, 701, 702
    server.add_chat(group, type="group", title="Newsroom", admin_ids=[admin])
    async with bot(server, tmp_path, [SAMPLES_DIR]) as svc:
        server.user_sends(group, "/settings", user_id=member, chat_type="group")
        [menu] = await server.wait_for_messages(group, 1, 10)
        answered = len(server.callback_answers)
        server.user_presses(group, menu.message_id, "st:l", user_id=member)
        for _ in range(500):  # the refusal is an answer to the tap, not a message
            if len(server.callback_answers) > answered:
                break
            await asyncio.sleep(0.02)
        refusal = server.callback_answers[-1]
        assert refusal["show_alert"] and "admins" in refusal["text"]
        assert menu.edit_count == 0
        assert (await svc.store.get_preferences(group)).length == "full"

        server.user_sends(group, "/follow Riverton", user_id=member, chat_type="group")
        [reply] = await server.wait_for_messages(group, 1, 10)
        assert "admins" in reply.text
        assert (await svc.store.get_preferences(group)).filters.words == ()

        server.user_presses(group, menu.message_id, "st:l", user_id=admin)
        await server.wait_for_edit(group, menu.message_id, 1, 10)
        assert (await svc.store.get_preferences(group)).length == "brief"
    assert [r.method for r in server.failed_requests()] == []


def test_every_callback_fits_telegrams_64_bytes() -> None:
    from zoneinfo import available_timezones

    from bot.keyboards import Keyboards
    from digests.preferences import Preferences
    from digests.render import Renderer

    keyboards = Keyboards(Renderer())
    prefs = Preferences(chat_id=1, times=(480, 1080), frequency="twice", quiet=(1320, 420))
    markups = [
        keyboards.settings_main(prefs, "English"), keyboards.settings_time(prefs, 1),
        keyboards.settings_minute(1, 23), keyboards.settings_zones(sorted(available_timezones())),
        keyboards.settings_frequency(prefs, ["a" * 32, "morning"]),
        keyboards.settings_quiet(prefs), keyboards.settings_language("uk"),
        keyboards.topics([("Й" * 200, "mute"), ("Energy", None)]),
        keyboards.quote_pages(2, 3, "Зеленський " * 400),
    ]
    data = [b.callback_data for m in markups if m for row in m.inline_keyboard for b in row]
    assert len(data) > 600
    assert all(1 <= len(str(d).encode()) <= 64 for d in data)
