"""End to end: the real PTB Application against the embedded Bot API server over HTTP.

A user sends commands and reads the replies; an edition fires on a real APScheduler cron
trigger and every active subscriber receives it exactly once; a stopped subscriber gets nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from bot_api_spec import assert_conforms
from conftest import database_url_for_run
from conversation import database_gone
from sources_web import OTHER_PARAGRAPHS, WIRE_PARAGRAPHS

from bot.app import build_application, running
from bot.local.server import BotAPIServer
from bot.services import Services
from config import Edition, Settings, load_settings
from digests.ingest import SAMPLES_DIR

TOKEN = "4242:e2e-test-token"
ADMIN = 900
SEED_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "seed"
needs_seed = pytest.mark.skipif(not SEED_DIR.is_dir(), reason="../shared/corpus/seed is absent")


def make_settings(tmp_path: Path, editions: list[Edition] | None = None) -> Settings:
    return load_settings(
        _env_file=None,
        database_url=database_url_for_run(tmp_path),
        admin_ids=[ADMIN],
        editions=editions or [Edition(name="morning", cron="0 8 * * *")],
    )


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(token=TOKEN) as api:
        yield api


async def start_bot(server: BotAPIServer, settings: Settings, folders: list[Path]):
    app = build_application(settings, token=TOKEN, base_url=server.base_url, ingest=folders)
    return running(app, poll_timeout=1)


async def ask(server: BotAPIServer, chat_id: int, text: str, count: int = 1) -> list[str]:
    server.user_sends(chat_id, text)
    # The server hands back the text as the user reads it (HTML already parsed).
    return [m.text for m in await server.wait_for_messages(chat_id, count, 10)]


def assert_no_refused_calls(server: BotAPIServer) -> None:
    """Telegram accepted every call, and each one matches the official Bot API description."""
    refused = [(r.method, r.description) for r in server.failed_requests()]
    assert refused == []
    assert_conforms(server)


@needs_seed
async def test_subscriber_conversation(server: BotAPIServer, tmp_path: Path) -> None:
    async with await start_bot(server, make_settings(tmp_path), [SEED_DIR, SAMPLES_DIR]) as svc:
        [greeting] = await ask(server, 1, "/start")
        assert "morning" in greeting.lower() and "08:00" in greeting
        assert (await svc.store.get_subscriber(1)).active

        [latest] = await ask(server, 1, "/latest")
        headlines = [a.title for a in await svc.store.recent_articles(10)]
        assert latest.index(headlines[0]) < latest.index(headlines[1])

        [summary] = await ask(server, 1, "/summary 1")
        first = (await svc.store.recent_articles(1))[0]
        assert first.title in summary and first.summary.split(". ")[0] in summary

        [quotes] = await ask(server, 1, "/quotes rudík")  # accents and case do not matter
        assert "Kira Rudik" in quotes
        assert "Destruction of 40 Russian jets isn’t random." in quotes
        assert "Kyslytsya" not in quotes

        [figures] = await ask(server, 1, "/figures")
        assert "USD 2 billion" in figures

        digest = await ask(server, 1, "/digest")
        assert "Istanbul" in "".join(digest)

        [bye] = await ask(server, 1, "/stop")
        assert "/start" in bye
        assert not (await svc.store.get_subscriber(1)).active
    assert_no_refused_calls(server)


async def test_bad_arguments_and_unknown_commands_get_help(
    server: BotAPIServer, tmp_path: Path
) -> None:
    async with await start_bot(server, make_settings(tmp_path), [SAMPLES_DIR]):
        for text in ("/summary 99", "/summary two", "/figures -1", "/summary " + "9" * 4000):
            [reply] = await ask(server, 5, text)
            assert "/latest" in reply or "Usage" in reply, (text, reply)
        [reply] = await ask(server, 5, "/summary <b>&amp;\u202e\x07")
        assert "Usage" in reply or "/latest" in reply
        [reply] = await ask(server, 5, "/frobnicate")
        assert "/help" in reply
        [reply] = await ask(server, 5, "/quotes Nobody Atall")
        assert "Nobody Atall" in reply
        [reply] = await ask(server, 5, "/stats")
        assert "admin" in reply.lower()
        [reply] = await ask(server, 5, "/help")
        assert "/summary" in reply and "/publish" not in reply
    assert_no_refused_calls(server)


async def test_admin_sees_stats_and_admin_help(server: BotAPIServer, tmp_path: Path) -> None:
    async with await start_bot(server, make_settings(tmp_path), [SAMPLES_DIR]):
        [reply] = await ask(server, ADMIN, "/help")
        assert "/publish" in reply and "/stats" in reply
        [reply] = await ask(server, ADMIN, "/stats")
        assert "3" in reply  # three bundled sample articles


async def test_admins_get_a_command_menu_of_their_own(
    server: BotAPIServer, tmp_path: Path
) -> None:
    admin_scope = {"type": "chat", "chat_id": ADMIN}
    settings = make_settings(tmp_path)
    async with await start_bot(server, settings, [SAMPLES_DIR]):
        # An admin who never wrote to the bot cannot have a menu yet: none is asked for.
        assert server.commands(scope=admin_scope) == []
        await ask(server, ADMIN, "/start")
        await ask(server, 21, "/start")
        menu = [c["command"] for c in server.commands(scope=admin_scope)]
        assert menu[0] == "start" and {"publish", "broadcast", "stats"} <= set(menu)
        ukrainian = server.commands(scope=admin_scope, language_code="uk")
        assert [c["command"] for c in ukrainian] == menu
        assert ukrainian != server.commands(scope=admin_scope)  # translated descriptions
        assert server.commands(scope={"type": "chat", "chat_id": 21}) == []
    assert_no_refused_calls(server)

    # Menus set by hand in BotFather or lost are set again when the bot next starts.
    server.world.commands.clear()
    async with await start_bot(server, settings, [SAMPLES_DIR]):
        assert "publish" in [c["command"] for c in server.commands(scope=admin_scope)]
    assert_no_refused_calls(server)


async def test_commands_are_registered(server: BotAPIServer, tmp_path: Path) -> None:
    async with await start_bot(server, make_settings(tmp_path), [SAMPLES_DIR]):
        names = [c["command"] for c in server.commands()]
    for name in ("start", "stop", "help", "digest", "latest", "summary", "quotes", "figures",
                 "settings"):
        assert name in names


async def test_scheduled_edition_reaches_each_active_subscriber_once(
    server: BotAPIServer, tmp_path: Path
) -> None:
    fire = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=3)
    edition = Edition(name="flash", cron=f"{fire.second} {fire.minute} {fire.hour} * * *",
                      timezone="UTC")
    settings = make_settings(tmp_path, [edition])
    async with await start_bot(server, settings, [SAMPLES_DIR]) as svc:
        for chat in (11, 12, 13):
            await ask(server, chat, "/start")
        await ask(server, 13, "/stop")
        for chat in (11, 12):
            [pushed] = await server.wait_for_messages(chat, 1, timeout=15)
            assert "Harbour Bridge" in pushed.text
        await wait_for_outbox(svc)
        digest = await svc.store.latest_digest("flash")
        assert digest is not None and digest.scheduled_for == fire
        deliveries = await svc.store.deliveries_for_digest(digest.id)
        assert sorted((d.chat_id, d.status) for d in deliveries) == [(11, "sent"), (12, "sent")]
    for chat in (11, 12):
        pushed = [m for m in server.messages_in(chat) if "Harbour Bridge" in m.text]
        assert len(pushed) == 1
    assert not [m for m in server.messages_in(13) if "Harbour Bridge" in m.text]
    assert_no_refused_calls(server)


async def wait_for_outbox(services: Services) -> None:
    async with asyncio.timeout(10):
        while True:
            counts = await services.store.delivery_counts()
            if not counts.get("pending") and not counts.get("sending"):
                return
            await asyncio.sleep(0.05)


async def test_a_failing_update_is_answered_and_the_bot_keeps_going(
    server: BotAPIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with await start_bot(server, make_settings(tmp_path), [SAMPLES_DIR]) as svc:
        monkeypatch.setattr(svc.store, "recent_stories", database_gone)
        [apology] = await ask(server, 7, "/latest")
        assert "went wrong" in apology
        monkeypatch.undo()
        [latest] = await ask(server, 7, "/latest")
        assert "Harbour Bridge" in latest


def two_outlets_one_story(folder: Path) -> Path:
    """One wire story as two outlets ran it (each quoting the mayor), and another story."""
    folder.mkdir()
    mayor = {"text": "this bridge connects our families, our shops and our schools again",
             "speaker": "Ana Lopez", "role": "Mayor"}
    records = [
        ("herald-bridge", "Riverton Herald", "Harbour Bridge Reopens", WIRE_PARAGRAPHS, [mayor],
         "2026-11-26T07:00:00Z"),
        ("metro-bridge", "Metro Daily", "Riverton Bridge Open Again", WIRE_PARAGRAPHS, [mayor],
         "2026-11-26T07:30:00Z"),
        ("herald-solar", "Riverton Herald", "Solar Farm Approved", OTHER_PARAGRAPHS, [],
         "2026-11-26T06:00:00Z"),
    ]
    for ident, source, title, paragraphs, quotes, published in records:
        record = {"id": ident, "source": source, "title": title, "body": "\n\n".join(paragraphs),
                  "quotes": quotes, "published_at": published}
        (folder / f"{ident}.json").write_text(json.dumps(record))
    return folder


async def test_a_story_from_two_outlets_is_listed_once(
    server: BotAPIServer, tmp_path: Path
) -> None:
    folder = two_outlets_one_story(tmp_path / "articles")
    async with await start_bot(server, make_settings(tmp_path), [folder]):
        [latest] = await ask(server, 41, "/latest")
        assert "Riverton Bridge Open Again" in latest and "Solar Farm Approved" in latest
        assert "Harbour Bridge Reopens" not in latest
        [summary] = await ask(server, 41, "/summary 2")
        assert "Solar Farm Approved" in summary
        [quotes] = await ask(server, 41, "/quotes")
        assert quotes.count("our schools again") == 1 and "Ana Lopez" in quotes
    assert_no_refused_calls(server)


async def test_admin_publishes_an_edition_now(server: BotAPIServer, tmp_path: Path) -> None:
    async with await start_bot(server, make_settings(tmp_path), [SAMPLES_DIR]) as svc:
        await ask(server, 21, "/start")
        [refused] = await ask(server, 21, "/publish morning")
        assert "admins" in refused
        assert await svc.store.latest_digest() is None
        [reply] = await ask(server, ADMIN, "/publish evening")
        assert "/publish morning" in reply
        # A Ukrainian reader gets a digest of their own; the count covers both.
        server.user_sends(22, "/start", language_code="uk")
        await server.wait_for_messages(22, 1, 10)
        [reply] = await ask(server, ADMIN, "/publish morning")
        assert "queued for 2 chats" in reply
        for chat in (21, 22):
            [pushed] = await server.wait_for_messages(chat, 1, timeout=10)
            assert "Harbour Bridge" in pushed.text
    assert_no_refused_calls(server)


async def test_a_failed_publish_says_so(
    server: BotAPIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with await start_bot(server, make_settings(tmp_path), [SAMPLES_DIR]) as svc:
        await ask(server, 21, "/start")

        monkeypatch.setattr(svc.store, "claim_runs", database_gone)
        [reply] = await ask(server, ADMIN, "/publish morning")
        assert "went wrong" in reply and "No articles" not in reply
        monkeypatch.undo()
        [reply] = await ask(server, ADMIN, "/publish morning")
        assert "queued for 1 chat." in reply


async def test_plain_text_in_private_chat_points_to_commands(
    server: BotAPIServer, tmp_path: Path
) -> None:
    async with await start_bot(server, make_settings(tmp_path), [SAMPLES_DIR]):
        [reply] = await ask(server, 31, "hello there")
        assert "/help" in reply
