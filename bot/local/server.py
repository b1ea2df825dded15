"""An embedded Bot API server: a local "Telegram cloud" for local mode and tests.

It listens on 127.0.0.1 and answers the Bot API methods the product uses the way Telegram does,
so the same python-telegram-bot ``Application`` runs against it unchanged::

    async with BotAPIServer() as server:
        app = (
            ApplicationBuilder().token("123:local")
            .base_url(server.base_url).base_file_url(server.base_file_url).build()
        )
        ...
        server.user_sends(42, "/start")
        [reply] = await server.wait_for_messages(42)

Every call, over HTTP or not, passes through one place, :meth:`BotAPIServer.call`, where it is
decoded and validated against :mod:`bot.local.methods`, offered to fault injectors (see
:mod:`bot.local.faults`), served by :mod:`bot.local.api` and recorded in
:attr:`BotAPIServer.requests`.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .api import HANDLERS
from .autolink import detect_entities
from .errors import APIError, not_found, unauthorized
from .methods import METHODS
from .params import decode_params
from .world import JSON, ChatInfo, SentMessage, World, now

__all__ = ["BotAPIServer", "Interceptor", "RecordedRequest", "SentMessage"]

logger = logging.getLogger(__name__)

DEFAULT_BOT_ID = 7_000_000_001
DEFAULT_GROUP_USER_ID = 1_000_001
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?")
_MESSAGE_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})
_CANONICAL = {name.lower(): name for name in METHODS}

Interceptor = Callable[[str, JSON], "Awaitable[None] | None"]
"""Called with (method, params) before a call is served; raising APIError answers with it."""


@dataclass
class RecordedRequest:
    """One Bot API call as the server saw and answered it."""

    method: str
    params: JSON
    status: int
    answer: str
    """The response body exactly as sent: JSON text."""
    at: float = 0.0
    """``time.monotonic()`` when the call was answered (for rate measurements)."""

    @property
    def response(self) -> JSON:
        """The response body, decoded afresh on each access.

        Kept as the text sent, not as objects: a snapshot that later edits of the stored
        message cannot change, and that costs the garbage collector nothing to keep.
        """
        decoded: JSON = json.loads(self.answer)
        return decoded

    @property
    def ok(self) -> bool:
        """Whether Telegram would count the call as successful."""
        return self.status == 200

    @property
    def description(self) -> str | None:
        """The error text of a failed call."""
        return self.response.get("description")


class BotAPIServer:
    """A real HTTP Bot API server running in the caller's event loop.

    Args:
        token: when given, only this token is accepted (others get 401); when ``None`` any
            token is.
        host: address to listen on.
        port: port to listen on; ``0`` picks a free one.
        bot_username: the bot's ``@username`` (without ``@``).
        bot_id: the bot's user id; by default taken from the token (``"<id>:<secret>"``).
        bot_name: the bot's first name.
        privacy_mode: like Telegram's default, the bot only sees group messages meant for it
            (commands, replies to it, mentions of it).

    The test API plays the user's side: :meth:`user_sends` and :meth:`user_presses` queue
    updates, :meth:`wait_for_messages` and :meth:`wait_for_edit` wait for the bot's answers,
    :attr:`sent` and :attr:`requests` record everything, :meth:`add_chat`,
    :meth:`block_chat`, :meth:`migrate_chat` shape the chats, :meth:`fail_next` and
    :attr:`interceptors` (see :mod:`bot.local.faults`) inject failures.

    Not thread-safe: call it from the event loop it runs in (from another thread, through
    ``loop.call_soon_threadsafe``).
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "digest_local_bot",
        bot_id: int | None = None,
        bot_name: str = "Digest",
        privacy_mode: bool = True,
    ) -> None:
        if bot_id is None:
            prefix = (token or "").partition(":")[0]
            bot_id = int(prefix) if prefix.isdigit() else DEFAULT_BOT_ID
        self._token = token
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.world = World(
            bot_id=bot_id, bot_username=bot_username, bot_name=bot_name, privacy=privacy_mode
        )
        self.requests: list[RecordedRequest] = []
        self.interceptors: list[Interceptor] = []
        self.on_bot_message: Callable[[SentMessage], Any] | None = None
        self._failures: list[tuple[str | None, APIError, list[int]]] = []
        self._cursors: dict[int, int] = {}
        self._last_sender: dict[int, int] = {}
        self._hook_tasks: set[asyncio.Future[Any]] = set()

    def __repr__(self) -> str:
        state = f"listening on {self._host}:{self._port}" if self._runner else "stopped"
        return f"<BotAPIServer @{self.world.bot_username} {state}>"

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening; :attr:`base_url` is valid afterwards."""
        if self._runner is not None:
            return
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle_http)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._handle_file)
        # No access log: request paths carry the bot token. Handler cancellation ends a long
        # poll whose client went away, so it cannot linger and be "terminated" later.
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._port = runner.addresses[0][1]
        self._runner = runner
        self.world.closing = False
        logger.info("local Bot API server listening on http://%s:%d", self._host, self._port)

    async def stop(self) -> None:
        """Answer waiting long polls and stop listening."""
        if self._runner is None:
            return
        self.world.closing = True
        self.world.updates_changed.fire()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> BotAPIServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The port listened on (the real one once started)."""
        return self._port

    @property
    def base_url(self) -> str:
        """What to pass to ``ApplicationBuilder().base_url()``: the token is appended to it."""
        return f"http://{self._host}:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        """What to pass to ``ApplicationBuilder().base_file_url()``."""
        return f"http://{self._host}:{self._port}/file/bot"

    # -- what the bot did ----------------------------------------------------------------

    @property
    def sent(self) -> list[SentMessage]:
        """Every message the bot sent, in order (edits update the entries in place)."""
        return self.world.sent

    @property
    def callback_answers(self) -> list[JSON]:
        """``answerCallbackQuery`` calls: their parameters plus the answered ``query``."""
        return self.world.callback_answers

    @property
    def chat_actions(self) -> list[tuple[int, str]]:
        """``sendChatAction`` calls as ``(chat_id, action)``."""
        return self.world.chat_actions

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed by ``getUpdates``."""
        return list(self.world.updates)

    def messages_in(self, chat_id: int) -> list[SentMessage]:
        """Messages the bot sent to *chat_id*, in order."""
        return [m for m in self.world.sent if m.chat_id == chat_id]

    def commands(self, *, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command list the bot set for *scope* (default scope) and *language_code*."""
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        return list(self.world.commands.get(key, []))

    def failed_requests(self) -> list[RecordedRequest]:
        """Calls answered with an error, in order."""
        return [r for r in self.requests if not r.ok]

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline per wait reads best in tests
    ) -> list[SentMessage]:
        """Wait for the next *count* messages the bot sends to *chat_id*.

        Each chat has a cursor: a call returns the *count* messages following those returned
        by earlier calls for that chat (messages already sent count, so nothing is missed
        when the bot is faster than the test), then moves the cursor past them.

        Raises:
            TimeoutError: fewer than *count* arrived within *timeout* seconds; the message
                lists what did arrive and the calls Telegram would have refused.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            start = self._cursors.get(chat_id, 0)
            fresh = self.messages_in(chat_id)[start:]
            if len(fresh) >= count:
                self._cursors[chat_id] = start + count
                return fresh[:count]
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or not await self.world.messages_changed.wait(remaining):
                raise TimeoutError(self._timeout_report(chat_id, count, fresh, timeout))

    async def wait_for_edit(
        self,
        chat_id: int,
        message_id: int,
        edits: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> SentMessage:
        """Wait until the bot's message has been edited at least *edits* times in total."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            message = self.world.sent_index.get((chat_id, message_id))
            if message is None:
                raise LookupError(f"the bot sent no message {message_id} to chat {chat_id}")
            if message.edit_count >= edits:
                return message
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or not await self.world.messages_changed.wait(remaining):
                raise TimeoutError(
                    f"message {message_id} in chat {chat_id} was edited {message.edit_count} "
                    f"time(s), expected {edits} within {timeout}s{self._errors_note()}"
                )

    def _timeout_report(
        self, chat_id: int, count: int, fresh: list[SentMessage], timeout: float
    ) -> str:
        got = "; ".join(repr(m.text[:80]) for m in fresh) or "nothing"
        return (
            f"expected {count} new message(s) in chat {chat_id} within {timeout}s, "
            f"got {len(fresh)}: {got}{self._errors_note()}"
        )

    def _errors_note(self) -> str:
        errors = [f"{r.method}: {r.description}" for r in self.failed_requests()[-5:]]
        return f"; refused calls: {errors}" if errors else ""

    # -- what the user does --------------------------------------------------------------

    def add_chat(
        self,
        chat_id: int,
        *,
        type: str = "group",
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
        bot_is_admin: bool = False,
        owner_id: int | None = None,
        admin_ids: Iterable[int] = (),
    ) -> ChatInfo:
        """Make a chat known, as if the bot had been added to it (or the user started it)."""
        if type not in ("private", "group", "supergroup", "channel"):
            raise ValueError(f"unknown chat type {type!r}")
        chat = self.world.chats.get(chat_id)
        if chat is None:
            chat = ChatInfo(id=chat_id, type=type)
            self.world.chats[chat_id] = chat
        chat.type = type
        if type == "private":
            chat.first_name = first_name or chat.first_name or "Ada"
            chat.username = username or chat.username
        else:
            chat.title = title or chat.title or f"Chat {chat_id}"
            chat.username = username or chat.username
        chat.bot_is_admin = bot_is_admin or chat.bot_is_admin
        chat.owner_id = owner_id if owner_id is not None else chat.owner_id
        chat.admin_ids.update(admin_ids)
        return chat

    def block_chat(self, chat_id: int) -> None:
        """The user blocks the bot (or removes it from the group): sends answer 403."""
        self._known_chat(chat_id).blocked = True

    def unblock_chat(self, chat_id: int) -> None:
        """Undo :meth:`block_chat`."""
        self._known_chat(chat_id).blocked = False

    def migrate_chat(self, chat_id: int, new_chat_id: int) -> ChatInfo:
        """Upgrade a group to a supergroup: calls for the old id answer ``migrate_to_chat_id``.

        Queues the service message Telegram sends in the old group.
        """
        old = self._known_chat(chat_id)
        new = self.add_chat(
            new_chat_id,
            type="supergroup",
            title=old.title,
            bot_is_admin=old.bot_is_admin,
            owner_id=old.owner_id,
            admin_ids=old.admin_ids,
        )
        new.member_ids.update(old.member_ids)
        message = {
            "message_id": self.world.next_message_id(chat_id),
            "date": now(),
            "chat": old.to_chat(),
            "migrate_to_chat_id": new_chat_id,
        }
        if old.owner_id in self.world.users:
            message["from"] = self.world.users[old.owner_id]
        old.migrated_to = new_chat_id
        self.world.queue_update("message", message)
        return new

    def fail_next(
        self,
        method: str | None,
        *,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next *times* calls of *method* (``None``: any method) with an error.

        With the defaults this is Telegram's flood control: 429 ``Too Many Requests: retry
        after N`` with ``parameters.retry_after`` (1 second unless given).
        """
        if error_code == 429:
            wait = retry_after if retry_after is not None else 1
            error = APIError.too_many_requests(wait)
        elif migrate_to_chat_id is not None:
            error = APIError.migrated(migrate_to_chat_id)
        else:
            default = "Internal Server Error" if error_code >= 500 else "Bad Request: error"
            error = APIError(error_code, description or default)
        if description is not None:
            error.description = description
        self._failures.append((method, error, [times]))

    def user_sends(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Ada",
        username: str | None = None,
        language_code: str | None = "en",
        chat_type: str = "private",
        chat_title: str | None = None,
        reply_to: int | None = None,
    ) -> JSON:
        """A user writes *text* in a chat; queues and returns the ``message`` ``Update``.

        Commands (``/start``, ``/digest@bot``), mentions, hashtags and links get their
        entities, as Telegram adds them. In private chats
        ``user_id`` defaults to ``chat_id``. The chat becomes known. In groups under privacy
        mode, messages the bot would not see are returned but not queued.
        """
        chat = self.world.chats.get(chat_id)
        if chat is None or chat.type != chat_type:
            if chat_type == "private":
                chat = self.add_chat(
                    chat_id, type="private", first_name=first_name, username=username
                )
            else:
                chat = self.add_chat(chat_id, type=chat_type, title=chat_title)
        if user_id is None:
            user_id = chat_id if chat.type == "private" else DEFAULT_GROUP_USER_ID
        if user_id == self.world.bot_id:
            logger.warning("user id %d is also the bot's id; choose another user id", user_id)
        user = self.world.remember_user(user_id, first_name, username, language_code)
        chat.member_ids.add(user_id)
        self._last_sender[chat_id] = user_id
        if chat.blocked and chat.type == "private":
            chat.blocked = False  # writing to the bot again is how a user unblocks it

        message: JSON = {
            "message_id": self.world.next_message_id(chat_id),
            "date": now(),
            "chat": chat.to_chat(),
            "text": text,
        }
        if chat.type == "channel":
            message["sender_chat"] = chat.to_chat()
        else:
            message["from"] = user
        entities = detect_entities(text)
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            original = self.world.messages.get((chat_id, reply_to))
            if original is None:
                raise LookupError(f"no message {reply_to} in chat {chat_id} to reply to")
            message["reply_to_message"] = _without_reply(original)
        self.world.messages[(chat_id, message["message_id"])] = message
        kind = "channel_post" if chat.type == "channel" else "message"
        if not self._bot_sees(chat, message):
            return {"update_id": 0, kind: message}
        return self.world.queue_update(kind, message)

    def user_presses(
        self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None
    ) -> JSON:
        """A user presses the inline button with ``callback_data`` *data* on a bot message.

        Queues and returns the ``callback_query`` ``Update``.

        Raises:
            LookupError: the bot sent no such message, or it has no such button.
        """
        message = self.world.messages.get((chat_id, message_id))
        sent = self.world.sent_index.get((chat_id, message_id))
        if message is None or sent is None:
            raise LookupError(f"the bot sent no message {message_id} to chat {chat_id}")
        if data not in sent.button_data():
            raise LookupError(
                f"message {message_id} has no button with callback_data {data!r}; "
                f"it has {sent.button_data()}"
            )
        if user_id is None:
            user_id = self._last_sender.get(chat_id, chat_id)
        user = self.world.users.get(user_id) or self.world.remember_user(user_id, "Ada", None, "en")
        query_id = self.world.next_query_id()
        query: JSON = {
            "id": query_id,
            "from": user,
            "message": message,
            "chat_instance": str(abs(chat_id) * 7919 % 10**12),
            "data": data,
        }
        self.world.callback_queries[query_id] = query
        return self.world.queue_update("callback_query", query)

    def _known_chat(self, chat_id: int) -> ChatInfo:
        chat = self.world.chats.get(chat_id)
        if chat is None:
            raise LookupError(f"chat {chat_id} is not known; use add_chat() or user_sends()")
        return chat

    def _bot_sees(self, chat: ChatInfo, message: JSON) -> bool:
        """Privacy mode: in groups the bot gets commands, replies to it and mentions only."""
        if not self.world.privacy or chat.type in ("private", "channel"):
            return True
        text: str = message.get("text", "")
        match = _COMMAND_RE.match(text)
        if match is not None:
            _, _, addressee = match.group().partition("@")
            return not addressee or addressee.lower() == self.world.bot_username.lower()
        replied = message.get("reply_to_message", {})
        if replied.get("from", {}).get("id") == self.world.bot_id:
            return True
        return f"@{self.world.bot_username}".lower() in text.lower()

    # -- serving calls -------------------------------------------------------------------

    async def call(self, method: str, raw_params: JSON | None = None) -> tuple[int, JSON]:
        """Serve one Bot API call; returns ``(http_status, response_body)``.

        The single path every call takes (HTTP requests included): method lookup, parameter
        decoding, fault injection, the method itself, recording, the message hook.
        """
        status, answer = await self._serve(method, raw_params)
        body: JSON = json.loads(answer)
        return status, body

    async def _serve(self, method: str, raw_params: JSON | None) -> tuple[int, str]:
        """:meth:`call`, answering with the body as the JSON text to send."""
        raw = dict(raw_params or {})
        name = _CANONICAL.get(method.lower(), method)
        params: JSON = raw
        try:
            spec = METHODS.get(name)
            if spec is None or name not in HANDLERS:
                logger.warning("the local Bot API server does not implement %r", method)
                raise not_found()
            params = decode_params(spec, raw)
            await self._intercept(name, params)
            result = await HANDLERS[name](self.world, params)
        except APIError as error:
            status, body = error.error_code, error.to_json()
        except Exception:
            # A bug in the local server: answer like a Telegram outage, loudly in the log.
            logger.exception("local Bot API server failed on %s", name)
            status, body = 500, APIError(500, "Internal Server Error").to_json()
        else:
            status, body = 200, {"ok": True, "result": result}
        # Serialized once, now: the snapshot recorded (stored messages change later, with
        # edits, but the answer given does not) is also the text sent.
        answer = json.dumps(body)
        record = RecordedRequest(name, params, status, answer, time.monotonic())
        self.requests.append(record)
        self._recorded(record, body)
        logger.debug("%s -> %d", name, status)
        if status == 200 and name in _MESSAGE_METHODS:
            self._notify(body["result"])
        return status, answer

    def _recorded(self, record: RecordedRequest, body: JSON) -> None:
        """Called with each call just recorded; subclasses may log it (see ``serve``)."""

    async def _intercept(self, method: str, params: JSON) -> None:
        for index, (target, error, remaining) in enumerate(self._failures):
            if target is None or target == method:
                remaining[0] -= 1
                if remaining[0] <= 0:
                    del self._failures[index]
                raise error
        for interceptor in self.interceptors:
            outcome = interceptor(method, params)
            if inspect.isawaitable(outcome):
                await outcome

    def _notify(self, message: JSON) -> None:
        if self.on_bot_message is None:
            return
        sent = self.world.sent_index.get((message["chat"]["id"], message["message_id"]))
        if sent is None:
            return
        try:
            outcome = self.on_bot_message(sent)
            if inspect.isawaitable(outcome):
                task = asyncio.ensure_future(outcome)
                self._hook_tasks.add(task)
                task.add_done_callback(self._hook_tasks.discard)
        except Exception:
            logger.exception("on_bot_message hook failed")

    async def _handle_http(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if self._token is not None and token != self._token:
            error = unauthorized()
            return web.json_response(error.to_json(), status=error.error_code)
        try:
            raw = await _read_params(request)
        except APIError as error:
            return web.json_response(error.to_json(), status=error.error_code)
        method = request.match_info["method"]
        if method.lower() == "getupdates":
            status, answer = await self._serve(method, raw)
        else:
            # Like Telegram, finish a call whose client hung up (e.g. on a read timeout):
            # the message is sent even though the client never hears so.
            status, answer = await asyncio.shield(self._serve(method, raw))
        return web.Response(text=answer, status=status, content_type="application/json")

    async def _handle_file(self, request: web.Request) -> web.Response:
        error = not_found()
        return web.json_response(error.to_json(), status=error.error_code)


async def _read_params(request: web.Request) -> JSON:
    """Parameters from the query string and a JSON, URL-encoded or multipart body."""
    params: JSON = dict(request.query)
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise APIError(400, "Bad Request: can't parse JSON object") from None
        if not isinstance(body, dict):
            raise APIError(400, "Bad Request: can't parse JSON object")
        params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            params[key] = value if isinstance(value, str) else {"file": value.filename}
    return params


def _without_reply(message: JSON) -> JSON:
    """A replied-to message as Telegram nests it: without its own ``reply_to_message``."""
    return {key: value for key, value in message.items() if key != "reply_to_message"}
