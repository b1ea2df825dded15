"""The local Bot API server against the official Bot API description.

A real python-telegram-bot 22 application talks to the server over HTTP; every request it sends
and every object the server answers must conform to ``../shared/telegram/bot-api.json``. The
server's own method table (``bot/local/methods.py``) must agree with that description too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from bot_api_spec import (
    assert_conforms,
    check_object,
    check_request,
    check_result,
    conformance_problems,
    load_spec,
)
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.local.methods import METHODS
from bot.local.server import BotAPIServer

TOKEN = "5550001:conformance-test-token"
CHAT = 4242


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Quotes", callback_data="quotes:1")]])
    assert update.message is not None
    await update.message.reply_text(
        "<b>Welcome</b>, send /latest &amp; enjoy", parse_mode=ParseMode.HTML, reply_markup=keyboard
    )


async def _pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Loading quotes")
    await query.edit_message_text("<i>Quotes</i> for article 1", parse_mode=ParseMode.HTML)


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(token=TOKEN) as running:
        yield running


@pytest.fixture
async def app(server: BotAPIServer) -> AsyncIterator[Application]:
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", _start))
    application.add_handler(CallbackQueryHandler(_pressed))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=5)
        yield application
        await application.updater.stop()
        await application.stop()


def test_methods_table_agrees_with_the_official_spec() -> None:
    spec = load_spec()["methods"]
    for name, method in METHODS.items():
        assert name in spec, f"{name} is not a Bot API method"
        official = {f["name"]: f for f in spec[name].get("fields", [])}
        for param in method.params:
            assert param.name in official, f"{name}.{param.name} is not in the spec"
            field = official[param.name]
            assert param.required == field["required"], f"{name}.{param.name} required flag"
            assert param.types and set(param.types) <= set(field["types"]), (
                f"{name}.{param.name}: {param.types} vs {field['types']}"
            )
        declared = {p.name for p in method.params}
        missing = {n for n, f in official.items() if f["required"]} - declared
        assert not missing, f"{name} does not declare required {missing}"


def test_spec_checks_find_problems() -> None:
    assert check_request("sendMessage", {"chat_id": 1, "text": "hi"}) == []
    assert check_request("sendMesage", {}) == ["unknown method 'sendMesage'"]
    assert "sendMessage: missing required parameter 'text'" in check_request(
        "sendMessage", {"chat_id": 1}
    )
    assert check_request("sendMessage", {"chat_id": 1, "text": "x", "disable_notification": 1})
    assert check_request("sendMessage", {"chat_id": 1, "text": "x", "colour": "red"})
    user = {"id": 1, "is_bot": False, "first_name": "Ada"}
    assert check_object("User", user) == []
    assert check_object("User", {"id": 1, "first_name": "Ada"}) == [
        "User: missing required field 'is_bot'"
    ]
    message = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "from": user}
    assert check_object("Message", message) == []
    broken = {**message, "chat": {"id": "1", "type": "room"}}
    assert len(check_object("Message", broken)) == 2
    assert check_result("getUpdates", [{"update_id": 1, "message": message}]) == []
    assert check_result("getMe", True)


async def test_ptb_application_traffic_conforms(server: BotAPIServer, app: Application) -> None:
    bot = app.bot
    me = await bot.get_me()
    assert me.is_bot and me.username == "digest_local_bot"
    assert me.can_join_groups is True

    commands = [BotCommand("start", "Start"), BotCommand("latest", "Latest digest")]
    assert await bot.set_my_commands(commands)
    assert [c.command for c in await bot.get_my_commands()] == ["start", "latest"]

    server.user_sends(CHAT, "/start", first_name="Grace", username="grace")
    [welcome] = await server.wait_for_messages(CHAT)
    assert welcome.text == "Welcome, send /latest & enjoy"
    assert welcome.entity_texts("bold") == ["Welcome"]
    assert welcome.button_data() == ["quotes:1"]

    server.user_presses(CHAT, welcome.message_id, "quotes:1")
    edited = await server.wait_for_edit(CHAT, welcome.message_id)
    assert edited.text == "Quotes for article 1"
    assert edited.buttons == []  # edited without reply_markup: the keyboard goes
    assert server.callback_answers[0]["text"] == "Loading quotes"

    chat = await bot.get_chat(CHAT)
    assert chat.type == "private" and chat.first_name == "Grace"
    member = await bot.get_chat_member(CHAT, CHAT)
    assert member.status == "member"
    assert await bot.send_chat_action(CHAT, ChatAction.TYPING)
    info = await bot.get_webhook_info()
    assert info.url == "" and info.pending_update_count == 0

    assert_conforms(server)


async def test_errors_reach_ptb_as_telegram_exceptions(
    server: BotAPIServer, app: Application
) -> None:
    bot = app.bot
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hello")
    server.user_sends(CHAT, "hi")
    server.block_chat(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "hello")
    server.unblock_chat(CHAT)
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "div" at byte offset 6'):
        await bot.send_message(CHAT, "Hello <div>", parse_mode=ParseMode.HTML)
    assert [r.status for r in server.failed_requests()] == [400, 403, 400]
    assert conformance_problems(server) != []  # the refused calls are reported...
    assert_conforms(server, allow_errors=True)  # ...and everything else conforms


async def test_every_implemented_method_through_ptb_conforms(
    server: BotAPIServer, app: Application
) -> None:
    bot = app.bot
    me = await bot.get_me()
    assert me.api_kwargs == {}  # every field we answer is one PTB knows
    group = -100777
    server.add_chat(group, type="supergroup", title="Newsroom", owner_id=CHAT, bot_is_admin=True)
    server.user_sends(group, "/start@digest_local_bot", user_id=CHAT, chat_type="supergroup")
    [welcome] = await server.wait_for_messages(group)

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Next", callback_data="next")]])
    edited = await bot.edit_message_reply_markup(group, welcome.message_id, reply_markup=keyboard)
    assert edited.reply_markup == keyboard and edited.api_kwargs == {}
    server.user_presses(group, welcome.message_id, "next", user_id=CHAT)
    assert (await server.wait_for_edit(group, welcome.message_id, edits=2)).text.startswith(
        "Quotes"
    )
    note = await bot.send_message(
        group, "reply", reply_to_message_id=welcome.message_id, disable_notification=True
    )
    assert note.reply_to_message is not None
    assert await bot.delete_message(group, note.message_id)
    admins = await bot.get_chat_administrators(group)
    assert {a.status for a in admins} == {"creator", "administrator"}
    assert (await bot.get_chat_member(group, me.id)).status == "administrator"
    assert (await bot.get_chat(group)).title == "Newsroom"
    assert await bot.send_chat_action(group, ChatAction.TYPING)
    scope = BotCommandScopeChat(group)
    assert await bot.set_my_commands([BotCommand("digest", "Digest")], scope=scope)
    assert [c.command for c in await bot.get_my_commands(scope=scope)] == ["digest"]
    assert await bot.delete_my_commands(scope=scope)
    assert await bot.set_webhook("https://bot.example/hook", drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == "https://bot.example/hook"
    assert await bot.delete_webhook()
    assert await bot.log_out() and await bot.close()

    assert {request.method for request in server.requests} == set(METHODS)
    assert_conforms(server)
