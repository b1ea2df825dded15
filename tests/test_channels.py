"""Channels and groups through the real PTB stack and the embedded Bot API server.

``/publish_to`` checks the bot's and the admin's standing in the channel with
getChat/getChatMember/getChatAdministrators before storing it as a subscriber, and editions
then reach the channel through the outbox. In groups the bot answers commands addressed to it,
ignores those addressed to other bots, and keeps within 20 replies a minute per group.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import conversation
import pytest

from bot.handlers.channels import parse_target
from bot.local.server import BotAPIServer
from config import Settings, load_settings

TOKEN = "4545:channels-test-token"
BOT = "digest_local_bot"
ADMIN = 900
OTHER_ADMIN = 901
CHANNEL = -1001000000001


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    return load_settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        admin_ids=[ADMIN, OTHER_ADMIN],
        **overrides,
    )


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(token=TOKEN, bot_username=BOT) as api:
        yield api


async def ask(server: BotAPIServer, chat_id: int, text: str, **kwargs: object) -> str:
    return (await conversation.ask(server, chat_id, text, **kwargs)).text


async def assert_silent(server: BotAPIServer, chat_id: int, seconds: float = 0.7) -> None:
    with pytest.raises(TimeoutError):
        await server.wait_for_messages(chat_id, 1, timeout=seconds)


def test_channel_names_are_parsed() -> None:
    assert parse_target("@newsroom") == "@newsroom"
    assert parse_target("newsroom") == "@newsroom"
    assert parse_target("https://t.me/newsroom") == "@newsroom"
    assert parse_target("-1001000000001") == -1001000000001
    for bad in ("", "@ab", "<b>x</b>", "@news room", "t.me/+invite", "@" + "x" * 40):
        assert parse_target(bad) is None, bad


async def test_publish_to_a_channel_then_editions_are_posted_there(
    server: BotAPIServer, tmp_path: Path
) -> None:
    server.add_chat(CHANNEL, type="channel", title="Newsroom", username="newsroom",
                    bot_is_admin=True, owner_id=ADMIN)
    async with conversation.running_bot(server, TOKEN, make_settings(tmp_path)) as services:
        await ask(server, ADMIN, "/help")  # the admin becomes a known user of the cloud
        reply = await ask(server, ADMIN, "/publish_to @newsroom")
        assert "Editions will now be posted to Newsroom (@newsroom)" in reply
        channel = await services.store.get_subscriber(CHANNEL)
        assert channel is not None and channel.active and channel.chat_type == "channel"
        assert channel.title == "Newsroom"
        checked = {r.method for r in server.requests if r.ok}
        assert {"getChat", "getChatMember"} <= checked

        assert "already posted" in await ask(server, ADMIN, "/publish_to https://t.me/newsroom")

        listed = await ask(server, ADMIN, "/publish_to list")
        assert "Newsroom" in listed and str(CHANNEL) in listed

        assert "queued for 1 chat" in await ask(server, ADMIN, "/publish morning")
        [posted] = await server.wait_for_messages(CHANNEL, 1, timeout=10)
        assert "Harbour Bridge" in posted.text

        removed = await ask(server, ADMIN, "/publish_to remove @newsroom")
        assert "no longer posted to Newsroom" in removed
        assert not (await services.store.get_subscriber(CHANNEL)).active
        assert "No channels yet" in await ask(server, ADMIN, "/publish_to list")
        assert "not posted to" in await ask(server, ADMIN, f"/publish_to remove {CHANNEL}")
    assert [r.description for r in server.failed_requests() if r.method != "getChat"] == []


async def test_publish_to_explains_what_is_wrong(server: BotAPIServer, tmp_path: Path) -> None:
    server.add_chat(-1001000000002, type="channel", title="Not Mine", username="notmine",
                    bot_is_admin=False, owner_id=ADMIN)
    server.add_chat(-1001000000003, type="channel", title="Their Paper", username="theirpaper",
                    bot_is_admin=True, owner_id=OTHER_ADMIN)
    server.add_chat(-1001000000004, type="supergroup", title="Chatty", username="chattygroup",
                    bot_is_admin=True, owner_id=ADMIN)
    async with conversation.running_bot(server, TOKEN, make_settings(tmp_path)) as services:
        await ask(server, ADMIN, "/help")
        await ask(server, OTHER_ADMIN, "/help")

        not_admin = await ask(server, ADMIN, "/publish_to @notmine")
        assert "not an administrator of Not Mine" in not_admin and "Post messages" in not_admin
        assert "can’t find @nosuchchannel" in await ask(server, ADMIN, "/publish_to @nosuchchannel")
        assert "not a channel" in await ask(server, ADMIN, "/publish_to @chattygroup")
        assert "Only an administrator of Their Paper" in await ask(
            server, ADMIN, "/publish_to @theirpaper"
        )
        usage = await ask(server, ADMIN, "/publish_to")
        assert "Usage: /publish_to @channel" in usage
        assert "is not a channel" in await ask(server, ADMIN, "/publish_to <b>x</b>")

        # Not a bot admin at all: refused before anything is looked up.
        lookups = len([r for r in server.requests if r.method == "getChat"])
        assert "for the bot’s admins" in await ask(server, 42, "/publish_to @theirpaper")
        assert len([r for r in server.requests if r.method == "getChat"]) == lookups

        for chat_id in (-1001000000002, -1001000000003, -1001000000004):
            assert await services.store.get_subscriber(chat_id) is None


async def test_group_commands_addressed_to_the_bot_or_to_nobody(
    tmp_path: Path,
) -> None:
    # Privacy off: the bot sees every group message, including commands for other bots.
    async with BotAPIServer(token=TOKEN, bot_username=BOT, privacy_mode=False) as server:
        group = -500
        async with conversation.running_bot(server, TOKEN, make_settings(tmp_path)) as services:
            kwargs = {"chat_type": "group", "user_id": 31, "chat_title": "Friends"}
            assert "/summary" in await ask(server, group, f"/help@{BOT}", **kwargs)
            summary = await ask(server, group, f"/summary@{BOT} 1", **kwargs)
            [newest] = await services.store.recent_articles(1)
            assert newest.title in summary
            assert "/summary" in await ask(server, group, "/help", **kwargs)

            server.user_sends(group, "/help@some_other_bot", **kwargs)
            server.user_sends(group, "/frobnicate", **kwargs)  # another bot's command, probably
            server.user_sends(group, "just chatting", **kwargs)
            await assert_silent(server, group)

            unknown = await ask(server, group, f"/frobnicate@{BOT}", **kwargs)
            assert "/help" in unknown and "frobnicate" in unknown
        assert server.failed_requests() == []


async def test_group_replies_stay_within_twenty_a_minute(
    server: BotAPIServer, tmp_path: Path
) -> None:
    group = -600
    async with conversation.running_bot(server, TOKEN, make_settings(tmp_path)):
        for user in range(25):  # different people, so no one hits the per-user throttle
            server.user_sends(group, "/latest", chat_type="supergroup", user_id=2000 + user)
        replies = await server.wait_for_messages(group, 20, timeout=15)
        assert all("Harbour Bridge" in m.text for m in replies)
        await assert_silent(server, group, 1.0)
        sent = [r for r in server.requests if r.method == "sendMessage"
                and r.params.get("chat_id") == group]
        assert len(sent) == 20
        # Another group has its own budget.
        assert "Harbour Bridge" in await ask(
            server, -601, "/latest", chat_type="group", user_id=2000
        )
