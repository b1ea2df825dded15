"""The local Bot API server over real HTTP: parameters, errors, long polling, the test API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from bot_api_spec import check_object
from telegram import Bot
from telegram.error import RetryAfter, TimedOut

from bot.local.errors import APIError
from bot.local.faults import Delay, FloodControl, RandomFailures
from bot.local.server import BotAPIServer

TOKEN = "123456:server-test-token"
KEYBOARD = {"inline_keyboard": [[{"text": "More", "callback_data": "more:1"}]]}


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(token=TOKEN) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Client:
    """Calls the server the way different HTTP clients do."""

    def __init__(self, server: BotAPIServer, session: aiohttp.ClientSession) -> None:
        self.url = f"{server.base_url}{TOKEN}/"
        self.session = session

    async def json(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        async with self.session.post(self.url + method, json=params) as response:
            return response.status, await response.json()

    async def form(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        # What python-telegram-bot sends: strings as is, everything else JSON-encoded.
        data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        async with self.session.post(self.url + method, data=data) as response:
            return response.status, await response.json()

    async def ok(self, method: str, **params: Any) -> Any:
        status, body = await self.json(method, **params)
        assert status == 200, body
        return body["result"]

    async def error(self, method: str, **params: Any) -> tuple[int, str]:
        status, body = await self.json(method, **params)
        assert body["ok"] is False and body["error_code"] == status
        return status, body["description"]


@pytest.fixture
def client(server: BotAPIServer, http: aiohttp.ClientSession) -> Client:
    return Client(server, http)


# -- requests ---------------------------------------------------------------------------------


async def test_get_me_has_every_required_user_field(client: Client) -> None:
    me = await client.ok("getMe")
    assert check_object("User", me) == []
    assert me["id"] == 123456 and me["is_bot"] is True and me["username"] == "digest_local_bot"
    assert me["can_read_all_group_messages"] is False  # privacy mode, like Telegram's default


async def test_parameters_arrive_as_json_form_multipart_or_query(
    server: BotAPIServer, client: Client, http: aiohttp.ClientSession
) -> None:
    server.user_sends(1, "hi")
    status, body = await client.form("sendMessage", chat_id=1, text="form", reply_markup=KEYBOARD)
    assert status == 200 and body["result"]["reply_markup"] == KEYBOARD
    form = aiohttp.FormData()
    form.add_field("chat_id", "1")
    form.add_field("text", "multipart")
    form.add_field("document", b"bytes", filename="a.txt")  # forces multipart/form-data
    async with http.post(client.url + "sendMessage", data=form) as response:
        assert response.status == 200
    async with http.get(client.url + "sendMessage", params={"chat_id": "1", "text": "q"}) as r:
        assert r.status == 200
    assert await client.ok("sendMessage", chat_id="1", text="json") is not None
    assert [m.text for m in server.sent] == ["form", "multipart", "q", "json"]
    assert server.requests[0].params["chat_id"] == 1  # decoded to the declared type


async def test_unknown_method_wrong_token_and_case(
    server: BotAPIServer, client: Client, http: aiohttp.ClientSession
) -> None:
    assert await client.error("sendTelepathy") == (404, "Not Found")
    async with http.post(f"{server.base_url}999:wrong/getMe") as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    assert (await client.ok("GETME"))["is_bot"] is True  # method names ignore case


async def test_any_token_is_accepted_without_a_configured_one(
    http: aiohttp.ClientSession,
) -> None:
    async with (
        BotAPIServer() as open_server,
        http.get(f"{open_server.base_url}1:whatever/getMe") as response,
    ):
        assert response.status == 200


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"chat_id": 1}, "Bad Request: message text is empty"),
        ({"chat_id": 1, "text": ""}, "Bad Request: message text is empty"),
        ({"text": "hi"}, "Bad Request: chat_id is empty"),
        ({"chat_id": 5, "text": "hi"}, "Bad Request: chat not found"),
        ({"chat_id": "@nobody", "text": "hi"}, "Bad Request: chat not found"),
        (
            {"chat_id": 1, "text": "<b> </b>", "parse_mode": "HTML"},
            "Bad Request: message text is empty",
        ),
        ({"chat_id": 1, "text": "x" * 4097}, "Bad Request: message is too long"),
        (
            {"chat_id": 1, "text": "<b>x</i>", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: Unmatched end tag at byte offset 4, "
            'expected "</b>", found "</i>"',
        ),
        (
            {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "t"}]]}},
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
            "inline keyboard",
        ),
        (
            {
                "chat_id": 1,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "t", "callback_data": "d" * 65}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        ({"chat_id": 1, "text": "x", "disable_notification": "perhaps"}, None),
        ({"chat_id": 1, "text": "x", "reply_parameters": {"message_id": 99}}, None),
    ],
)
async def test_send_message_refusals(
    server: BotAPIServer, client: Client, params: dict[str, Any], description: str | None
) -> None:
    server.user_sends(1, "hi")
    status, text = await client.error("sendMessage", **params)
    assert status == 400
    if description is not None:
        assert text == description
    else:
        assert text.startswith("Bad Request: ")
    assert server.sent == []


async def test_message_length_counts_utf16_units_after_html(
    server: BotAPIServer, client: Client
) -> None:
    server.user_sends(1, "hi")
    emoji = "😀" * 2048  # 2048 characters but 4096 UTF-16 code units: the limit exactly
    assert await client.ok("sendMessage", chat_id=1, text=f"<b>{emoji}</b>", parse_mode="HTML")
    status, text = await client.error("sendMessage", chat_id=1, text=emoji + "!")
    assert (status, text) == (400, "Bad Request: message is too long")


async def test_sent_message_is_a_complete_message(server: BotAPIServer, client: Client) -> None:
    server.user_sends(7, "hi", first_name="Grace", username="grace")
    result = await client.ok(
        "sendMessage", chat_id=7, text="<b>Hi</b> Grace", parse_mode="HTML", reply_markup=KEYBOARD
    )
    assert check_object("Message", result) == []
    assert result["chat"] == {
        "id": 7,
        "type": "private",
        "first_name": "Grace",
        "username": "grace",
    }
    assert result["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
    [sent] = server.sent
    assert (sent.chat_id, sent.message_id, sent.text, sent.html) == (
        7,
        result["message_id"],
        "Hi Grace",
        "<b>Hi</b> Grace",
    )
    assert sent.button_data() == ["more:1"]


async def test_blocked_and_kicked_chats_answer_403(server: BotAPIServer, client: Client) -> None:
    server.user_sends(1, "hi")
    server.add_chat(-100, type="group", title="Team")
    server.block_chat(1)
    server.block_chat(-100)
    assert await client.error("sendMessage", chat_id=1, text="x") == (
        403,
        "Forbidden: bot was blocked by the user",
    )
    assert await client.error("sendMessage", chat_id=-100, text="x") == (
        403,
        "Forbidden: bot was kicked from the group chat",
    )
    server.user_sends(1, "/start")  # writing again unblocks, as in Telegram
    assert await client.ok("sendMessage", chat_id=1, text="back")


async def test_group_migration_answers_migrate_to_chat_id(
    server: BotAPIServer, client: Client
) -> None:
    server.add_chat(-5, type="group", title="Team")
    server.migrate_chat(-5, -1005)
    status, body = await client.json("sendMessage", chat_id=-5, text="x")
    assert status == 400
    assert body["parameters"] == {"migrate_to_chat_id": -1005}
    assert await client.ok("sendMessage", chat_id=-1005, text="x")
    [update] = server.pending_updates
    assert update["message"]["migrate_to_chat_id"] == -1005


async def test_injected_flood_control_then_recovery(server: BotAPIServer, client: Client) -> None:
    server.user_sends(1, "hi")
    server.fail_next("sendMessage", retry_after=3)
    status, body = await client.json("sendMessage", chat_id=1, text="x")
    assert status == 429
    assert body["description"] == "Too Many Requests: retry after 3"
    assert body["parameters"] == {"retry_after": 3}
    assert await client.ok("getMe")
    assert await client.ok("sendMessage", chat_id=1, text="x")


async def test_interceptors_see_every_call(server: BotAPIServer, client: Client) -> None:
    seen: list[str] = []

    async def flaky(method: str, params: dict[str, Any]) -> None:
        seen.append(method)
        if method == "getChat":
            raise APIError(500, "Internal Server Error")

    server.interceptors.append(flaky)
    server.user_sends(1, "hi")
    assert await client.error("getChat", chat_id=1) == (500, "Internal Server Error")
    await client.ok("getMe")
    assert seen == ["getChat", "getMe"]


# -- long polling -----------------------------------------------------------------------------


async def test_get_updates_wakes_as_soon_as_an_update_is_queued(
    server: BotAPIServer, client: Client
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(client.ok("getUpdates", timeout=10))
    await asyncio.sleep(0.05)
    server.user_sends(1, "/start")
    updates = await asyncio.wait_for(poll, 2)
    assert loop.time() - started < 1.0
    assert [u["message"]["text"] for u in updates] == ["/start"]
    assert check_object("Update", updates[0]) == []
    entity = updates[0]["message"]["entities"][0]
    assert entity == {"type": "bot_command", "offset": 0, "length": 6}


async def test_get_updates_times_out_empty(client: Client) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await client.ok("getUpdates", timeout=1) == []
    assert 0.9 < loop.time() - started < 2.0


async def test_offset_confirms_and_limit_caps(server: BotAPIServer, client: Client) -> None:
    first = server.user_sends(1, "one")["update_id"]
    server.user_sends(1, "two")
    server.user_sends(1, "three")
    assert [u["update_id"] for u in await client.ok("getUpdates", limit=2)] == [first, first + 1]
    again = await client.ok("getUpdates", offset=first + 1)  # confirms the first
    assert [u["message"]["text"] for u in again] == ["two", "three"]
    assert [u["message"]["text"] for u in await client.ok("getUpdates")] == ["two", "three"]
    assert [u["message"]["text"] for u in await client.ok("getUpdates", offset=-1)] == ["three"]
    assert await client.ok("getUpdates", offset=first + 3) == []
    assert server.pending_updates == []


async def test_allowed_updates_filters_later_updates(server: BotAPIServer, client: Client) -> None:
    server.user_sends(1, "hi")
    await client.ok("sendMessage", chat_id=1, text="pick", reply_markup=KEYBOARD)
    await client.ok("getUpdates", offset=-1, allowed_updates=["callback_query"])
    await client.ok("getUpdates", offset=server.pending_updates[-1]["update_id"] + 1)
    server.user_sends(1, "ignored")
    server.user_presses(1, server.sent[0].message_id, "more:1")
    [update] = await client.ok("getUpdates")
    assert update["callback_query"]["data"] == "more:1"
    assert check_object("Update", update) == []


async def test_newer_poll_terminates_older_with_conflict(client: Client) -> None:
    older = asyncio.create_task(client.json("getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    assert await client.ok("getUpdates") == []
    status, body = await asyncio.wait_for(older, 2)
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")


async def test_webhook_blocks_polling_until_deleted(client: Client) -> None:
    assert await client.error("setWebhook", url="http://insecure.example") == (
        400,
        "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
    )
    assert await client.ok("setWebhook", url="https://bot.example/hook")
    info = await client.ok("getWebhookInfo")
    assert check_object("WebhookInfo", info) == []
    assert info["url"] == "https://bot.example/hook"
    status, text = await client.error("getUpdates")
    assert status == 409 and "webhook is active" in text
    assert await client.ok("deleteWebhook", drop_pending_updates=True)
    assert await client.ok("getUpdates") == []


async def test_stop_answers_a_pending_poll(server: BotAPIServer, client: Client) -> None:
    poll = asyncio.create_task(client.json("getUpdates", timeout=30))
    await asyncio.sleep(0.05)
    await asyncio.wait_for(server.stop(), 3)
    status, body = await asyncio.wait_for(poll, 3)
    assert (status, body["result"]) == (200, [])


# -- editing, buttons, commands, chats ---------------------------------------------------------


async def test_edits_and_button_presses(server: BotAPIServer, client: Client) -> None:
    shown: list[tuple[str, bool]] = []
    server.on_bot_message = lambda m: shown.append((m.text, m.edited))
    server.user_sends(1, "hi")
    message = await client.ok("sendMessage", chat_id=1, text="Pick", reply_markup=KEYBOARD)
    message_id = message["message_id"]
    update = server.user_presses(1, message_id, "more:1")
    query_id = update["callback_query"]["id"]
    assert await client.ok("answerCallbackQuery", callback_query_id=query_id, text="Done")
    assert await client.error("answerCallbackQuery", callback_query_id=query_id) == (
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    edited = await client.ok(
        "editMessageText", chat_id=1, message_id=message_id, text="<i>Picked</i>", parse_mode="HTML"
    )
    assert check_object("Message", edited) == []
    assert "reply_markup" not in edited and "edit_date" in edited
    status, text = await client.error(
        "editMessageText", chat_id=1, message_id=message_id, text="<i>Picked</i>", parse_mode="HTML"
    )
    assert status == 400 and text.startswith("Bad Request: message is not modified")
    assert await client.error("editMessageText", chat_id=1, message_id=99, text="x") == (
        400,
        "Bad Request: message to edit not found",
    )
    assert await client.error("editMessageText", chat_id=1, message_id=1, text="x") == (
        400,
        "Bad Request: message can't be edited",
    )  # message 1 is the user's
    await client.ok(
        "editMessageReplyMarkup", chat_id=1, message_id=message_id, reply_markup=KEYBOARD
    )
    assert server.sent[0].button_data() == ["more:1"] and server.sent[0].edit_count == 2
    assert shown == [("Pick", False), ("Picked", True), ("Picked", True)]
    with pytest.raises(LookupError, match="no button"):
        server.user_presses(1, message_id, "other")


async def test_commands_per_scope_and_validation(server: BotAPIServer, client: Client) -> None:
    commands = [{"command": "start", "description": "Start"}]
    admins = {"type": "chat", "chat_id": 1}
    assert await client.ok("setMyCommands", commands=commands)
    # A chat's own menu needs a chat the bot knows, as on Telegram.
    assert await client.error("setMyCommands", commands=commands, scope=admins) == (
        400, "Bad Request: chat not found")
    server.user_sends(1, "hi")
    assert await client.ok("setMyCommands", commands=[*commands, commands[0]], scope=admins)
    assert await client.ok("getMyCommands") == commands
    assert len(await client.ok("getMyCommands", scope=admins)) == 2
    assert server.commands() == commands
    assert await client.ok("deleteMyCommands")
    assert await client.ok("getMyCommands") == []
    bad = [{"command": "Start!", "description": "x"}]
    assert await client.error("setMyCommands", commands=bad) == (
        400,
        "Bad Request: BOT_COMMAND_INVALID",
    )
    assert (await client.error("setMyCommands"))[1] == "Bad Request: commands is empty"


async def test_chat_action_and_chat_queries(server: BotAPIServer, client: Client) -> None:
    server.user_sends(1, "hi", first_name="Ada")
    assert await client.ok("sendChatAction", chat_id=1, action="typing")
    assert server.chat_actions == [(1, "typing")]
    assert await client.error("sendChatAction", chat_id=1, action="dancing") == (
        400,
        "Bad Request: wrong parameter action in request",
    )
    chat = await client.ok("getChat", chat_id=1)
    assert check_object("ChatFullInfo", chat) == []
    member = await client.ok("getChatMember", chat_id=1, user_id=1)
    assert member["status"] == "member" and check_object("ChatMember", member) == []
    assert (await client.error("getChatAdministrators", chat_id=1))[
        1
    ] == "Bad Request: there are no administrators in the private chat"


async def test_group_roles_and_privacy_mode(server: BotAPIServer, client: Client) -> None:
    server.user_sends(1, "hi")  # a user the server knows, who is not in the group
    server.add_chat(-42, type="supergroup", title="Newsroom", owner_id=5, bot_is_admin=True)
    server.user_sends(-42, "hello all", user_id=5, chat_type="supergroup")
    server.user_sends(-42, "/digest@other_bot", user_id=5, chat_type="supergroup")
    server.user_sends(-42, "/digest@digest_local_bot", user_id=6, chat_type="supergroup")
    updates = await client.ok("getUpdates")
    assert [u["message"]["text"] for u in updates] == ["hi", "/digest@digest_local_bot"]
    updates = updates[1:]
    assert updates[0]["message"]["entities"][0]["length"] == len("/digest@digest_local_bot")
    admins = await client.ok("getChatAdministrators", chat_id=-42)
    assert [a["status"] for a in admins] == ["creator", "administrator"]
    assert all(check_object("ChatMember", a) == [] for a in admins)
    member = await client.ok("getChatMember", chat_id=-42, user_id=6)
    assert member["status"] == "member"
    assert (await client.ok("getChatMember", chat_id=-42, user_id=1))["status"] == "left"
    await client.error("getChatMember", chat_id=-42, user_id=777)


# -- waiting ----------------------------------------------------------------------------------


async def test_wait_for_messages_moves_a_cursor_per_chat(
    server: BotAPIServer, client: Client
) -> None:
    server.user_sends(1, "hi")
    server.user_sends(2, "hi")
    for text in ("a", "b", "c"):
        await client.ok("sendMessage", chat_id=1, text=text)
    await client.ok("sendMessage", chat_id=2, text="other")
    assert [m.text for m in await server.wait_for_messages(1, 2)] == ["a", "b"]
    assert [m.text for m in await server.wait_for_messages(1)] == ["c"]
    assert [m.text for m in await server.wait_for_messages(2)] == ["other"]
    later = asyncio.create_task(server.wait_for_messages(1))
    await asyncio.sleep(0.01)
    await client.ok("sendMessage", chat_id=1, text="d")
    assert [m.text for m in await asyncio.wait_for(later, 2)] == ["d"]


async def test_wait_timeout_explains_what_happened(server: BotAPIServer, client: Client) -> None:
    server.user_sends(1, "hi")
    await client.error("sendMessage", chat_id=1, text="<oops>", parse_mode="HTML")
    with pytest.raises(TimeoutError) as caught:
        await server.wait_for_messages(1, timeout=0.1)
    assert "got 0" in str(caught.value)
    assert 'Unsupported start tag "oops"' in str(caught.value)


async def test_token_stays_out_of_repr_and_records(server: BotAPIServer, client: Client) -> None:
    await client.ok("getMe")
    assert TOKEN not in repr(server)
    assert TOKEN not in repr(server.requests)


# -- fault injection --------------------------------------------------------------------------


async def test_flood_control_limits_per_chat_and_group(server: BotAPIServer) -> None:
    clock = [100.0]
    flood = FloodControl(clock=lambda: clock[0])
    server.interceptors.append(flood)
    server.user_sends(1, "hi")
    server.add_chat(-9, type="group", title="Team")
    assert (await server.call("sendMessage", {"chat_id": 1, "text": "a"}))[0] == 200
    status, body = await server.call("sendMessage", {"chat_id": 1, "text": "b"})
    assert (status, body["parameters"]) == (429, {"retry_after": 1})
    assert (await server.call("getMe"))[0] == 200  # only sending is limited
    clock[0] += 1.0
    assert (await server.call("sendMessage", {"chat_id": 1, "text": "b"}))[0] == 200
    for _ in range(20):
        clock[0] += 1.0
        assert (await server.call("sendMessage", {"chat_id": -9, "text": "g"}))[0] == 200
    clock[0] += 1.0
    status, body = await server.call("sendMessage", {"chat_id": -9, "text": "g"})
    assert status == 429 and body["parameters"]["retry_after"] == 40
    assert flood.refused == 2
    assert [m.text for m in server.sent].count("g") == 20


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_control_reaches_ptb_as_retry_after(server: BotAPIServer) -> None:
    server.interceptors.append(FloodControl(per_chat=(2, 60.0)))
    server.user_sends(1, "hi")
    async with Bot(TOKEN, base_url=server.base_url) as bot:
        await bot.send_message(1, "one")
        await bot.send_message(1, "two")
        with pytest.raises(RetryAfter, match="Retry in 60 seconds"):
            await bot.send_message(1, "three")
    assert [m.text for m in server.sent] == ["one", "two"]


async def test_random_failures_are_reproducible(server: BotAPIServer) -> None:
    server.user_sends(1, "hi")

    async def outcomes(seed: int) -> list[int]:
        server.interceptors[:] = [RandomFailures(rate=0.5, seed=seed)]
        return [
            (await server.call("sendMessage", {"chat_id": 1, "text": "x"}))[0] for _ in range(30)
        ]

    first = await outcomes(3)
    assert first == await outcomes(3)
    assert 0 < first.count(200) < 30 and set(first) <= {200, 500, 502}


async def test_slow_answer_times_out_client_but_message_is_sent(server: BotAPIServer) -> None:
    server.interceptors.append(Delay(0.4, times=1))
    server.user_sends(1, "hi")
    async with Bot(TOKEN, base_url=server.base_url) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(1, "late", read_timeout=0.1)
    [late] = await server.wait_for_messages(1, timeout=2)
    assert late.text == "late"


async def test_delete_message(server: BotAPIServer, client: Client) -> None:
    server.user_sends(1, "hi")
    sent = await client.ok("sendMessage", chat_id=1, text="bye")
    assert await client.ok("deleteMessage", chat_id=1, message_id=sent["message_id"])
    assert server.sent[0].deleted
    assert await client.error("deleteMessage", chat_id=1, message_id=sent["message_id"]) == (
        400,
        "Bad Request: message to delete not found",
    )
    assert await client.ok("deleteMessage", chat_id=1, message_id=1)  # the user's, privately
    server.user_sends(-7, "/start", user_id=1, chat_type="group")
    assert await client.error("deleteMessage", chat_id=-7, message_id=1) == (
        400,
        "Bad Request: message can't be deleted",
    )  # someone else's message in a group where the bot is no admin
