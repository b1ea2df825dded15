"""The Bot API methods, implemented over :class:`~bot.local.world.World`.

Every handler takes the world and the decoded parameters and returns the ``result`` of the
call, or raises :class:`~bot.local.errors.APIError` with the answer Telegram would give.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from .autolink import with_detected_entities
from .errors import APIError, bad_request
from .telegram_html import TelegramHTMLError, check_message_text, parse_html, utf16_len
from .world import DEFAULT_UPDATE_TYPES, JSON, ChatInfo, SentMessage, World, now

__all__ = ["HANDLERS", "Handler"]

Handler = Callable[[World, JSON], Awaitable[Any]]

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)


# -- shared checks -----------------------------------------------------------------------


def _formatted_text(params: JSON) -> tuple[str, list[JSON], str | None]:
    """Plain text and entities of a text parameter under its ``parse_mode``."""
    raw = params.get("text")
    if raw is None or raw == "":
        raise bad_request("message text is empty")
    parse_mode = params.get("parse_mode") or None
    mode = (parse_mode or "").lower()
    try:
        if mode == "html":
            text, entities = parse_html(raw)
        elif mode in ("", "markdown", "markdownv2"):
            # Markdown is not interpreted locally: the text is kept as written.
            text, entities = raw.strip(), list(params.get("entities") or [])
        else:
            raise bad_request(f"unsupported parse_mode {parse_mode!r}")
        check_message_text(text)
    except TelegramHTMLError as exc:
        raise APIError(400, exc.description) from None
    return text, with_detected_entities(text, entities), parse_mode


def _check_inline_keyboard(markup: Any) -> JSON:
    """Refuse inline keyboards Telegram would refuse; returns the markup."""
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            if not any(action in button for action in _BUTTON_ACTIONS):
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are "
                    "unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
            if not button["text"].strip():
                raise bad_request("BUTTON_TEXT_INVALID")
    return markup


def _reply_markup(params: JSON, *, inline_only: bool = False) -> JSON | None:
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if "inline_keyboard" in markup or inline_only:
        return _check_inline_keyboard(markup)
    return markup


def _editable_message(world: World, chat_id: int, message_id: int) -> JSON:
    """A message of the bot's (bots can edit nothing else)."""
    message = world.messages.get((chat_id, message_id))
    if message is None:
        raise bad_request("message to edit not found")
    if message.get("from", {}).get("id") != world.bot_id and "sender_chat" not in message:
        raise bad_request("message can't be edited")
    return message


def _edit_target(world: World, params: JSON) -> tuple[ChatInfo, int]:
    if params.get("inline_message_id") is not None:
        raise bad_request("MESSAGE_ID_INVALID")  # no inline mode in the local cloud
    if params.get("chat_id") is None:
        raise bad_request("chat_id is empty")
    if params.get("message_id") is None:
        raise bad_request("message identifier is not specified")
    chat = world.resolve_chat(params["chat_id"], for_sending=True)
    return chat, params["message_id"]


def _apply_edit(world: World, chat: ChatInfo, message: JSON, changes: JSON) -> JSON:
    sent = world.sent_index[(chat.id, message["message_id"])]
    unchanged = all(message.get(key) == value for key, value in changes.items() if value)
    removed = [key for key, value in changes.items() if not value and key in message]
    if unchanged and not removed:
        raise bad_request(_NOT_MODIFIED)
    for key, value in changes.items():
        if value:
            message[key] = value
        else:
            message.pop(key, None)
    message["edit_date"] = now()
    sent.text = message.get("text", "")
    sent.entities = list(message.get("entities", []))
    sent.reply_markup = message.get("reply_markup")
    sent.edited = True
    sent.edit_count += 1
    world.messages_changed.fire()
    return message


def _member(world: World, chat: ChatInfo, user_id: int) -> JSON:
    """The ``ChatMember`` object for *user_id* in *chat*."""
    if user_id == world.bot_id:
        user = world.bot_sender()
    elif user_id in world.users:
        user = world.users[user_id]
    else:
        raise bad_request("user not found")
    if user_id == chat.owner_id:
        return {"status": "creator", "user": user, "is_anonymous": False}
    is_admin = user_id in chat.admin_ids or (user_id == world.bot_id and chat.bot_is_admin)
    if is_admin:
        return _administrator(user)
    if user_id == world.bot_id:
        status = "kicked" if chat.blocked else "member"
        return {"status": status, "user": user, **({"until_date": 0} if chat.blocked else {})}
    present = chat.type == "private" and chat.id == user_id
    if present or user_id in chat.member_ids:
        return {"status": "member", "user": user}
    return {"status": "left", "user": user}


def _administrator(user: JSON) -> JSON:
    rights = (
        "can_manage_chat",
        "can_delete_messages",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_promote_members",
        "can_change_info",
        "can_invite_users",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
    )
    member: JSON = {"status": "administrator", "user": user, "can_be_edited": False}
    member["is_anonymous"] = False
    member.update({right: right != "can_promote_members" for right in rights})
    return member


def _command_key(world: World, params: JSON) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    if scope.get("type") not in COMMAND_SCOPES:
        raise bad_request("unsupported bot command scope type")
    if scope["type"].startswith("chat"):
        if scope.get("chat_id") is None:
            raise bad_request("chat_id is empty")
        # As Telegram: a chat the bot has never seen (a user who never wrote to it) is unknown.
        world.resolve_chat(scope["chat_id"])
    language = params.get("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return json.dumps(scope, sort_keys=True), language


# -- handlers ----------------------------------------------------------------------------


async def get_me(world: World, params: JSON) -> JSON:
    """``getMe``: the bot's ``User``."""
    return world.bot_user()


async def log_out(world: World, params: JSON) -> bool:
    """``logOut``: nothing to log out of locally; answers ``True`` like Telegram."""
    return True


async def close(world: World, params: JSON) -> bool:
    """``close``: answers ``True``; the local server keeps serving."""
    return True


async def get_updates(world: World, params: JSON) -> list[JSON]:
    """``getUpdates``: long polling with ``offset``, ``limit``, ``timeout``, ``allowed_updates``.

    A newer call terminates a waiting one with 409, as Telegram does when two instances poll.
    """
    if world.webhook_url:
        raise APIError(409, _CONFLICT_WEBHOOK)
    if params.get("allowed_updates") is not None:
        allowed = frozenset(str(kind) for kind in params["allowed_updates"])
        world.allowed_updates = allowed or DEFAULT_UPDATE_TYPES
    world.confirm_updates(params.get("offset") or 0)
    limit = min(max(params.get("limit") or 100, 1), 100)
    timeout = max(params.get("timeout") or 0, 0)

    world.poll_generation += 1
    generation = world.poll_generation
    world.updates_changed.fire()  # lets an older waiting poll notice it was superseded
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if generation != world.poll_generation:
            raise APIError(409, _CONFLICT_POLL)
        if world.updates or world.closing:
            return world.updates[:limit]
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return []
        await world.updates_changed.wait(remaining)


async def set_webhook(world: World, params: JSON) -> bool:
    """``setWebhook``: remembered for ``getWebhookInfo``; the local cloud never calls it."""
    url = params["url"]
    if url and not url.lower().startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    world.webhook_url = url
    if params.get("drop_pending_updates"):
        world.updates.clear()
    return True


async def delete_webhook(world: World, params: JSON) -> bool:
    """``deleteWebhook``: back to ``getUpdates``, optionally dropping pending updates."""
    world.webhook_url = ""
    if params.get("drop_pending_updates"):
        world.updates.clear()
    return True


async def get_webhook_info(world: World, params: JSON) -> JSON:
    """``getWebhookInfo``: the ``WebhookInfo`` object."""
    info: JSON = {
        "url": world.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": world.update_count(),
    }
    if world.webhook_url and world.allowed_updates != DEFAULT_UPDATE_TYPES:
        info["allowed_updates"] = sorted(world.allowed_updates)
    return info


async def set_my_commands(world: World, params: JSON) -> bool:
    """``setMyCommands``: validates each ``BotCommand`` as Telegram does."""
    commands = params["commands"]
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    checked: list[JSON] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand: object expected")
        name = str(command.get("command", ""))
        description = str(command.get("description", ""))
        if not _COMMAND_RE.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description.strip()) <= 256:
            raise bad_request(
                "command description is empty"
                if not description.strip()
                else "BOT_COMMAND_DESCRIPTION_INVALID"
            )
        checked.append({"command": name, "description": description})
    world.commands[_command_key(world, params)] = checked
    return True


async def get_my_commands(world: World, params: JSON) -> list[JSON]:
    """``getMyCommands``: the list set for exactly this scope and language."""
    return list(world.commands.get(_command_key(world, params), []))


async def delete_my_commands(world: World, params: JSON) -> bool:
    """``deleteMyCommands``."""
    world.commands.pop(_command_key(world, params), None)
    return True


async def send_message(world: World, params: JSON) -> JSON:
    """``sendMessage``: parses the text, stores the message and answers the ``Message``."""
    chat = world.resolve_chat(params["chat_id"], for_sending=True)
    text, entities, parse_mode = _formatted_text(params)
    markup = _reply_markup(params)
    reply_to: JSON | None = None
    reply = params.get("reply_parameters")
    if reply:
        reply_to = world.messages.get((chat.id, reply.get("message_id")))
        if reply_to is None and not reply.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")

    message_id = world.next_message_id(chat.id)
    message: JSON = {
        "message_id": message_id,
        "from": world.bot_sender(),
        "chat": chat.to_chat(),
        "date": now(),
        "text": text,
    }
    if chat.type == "channel":
        message.pop("from")
        message["sender_chat"] = chat.to_chat()
    if entities:
        message["entities"] = entities
    if reply_to is not None:
        message["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
    if markup and "inline_keyboard" in markup:
        message["reply_markup"] = markup  # only inline keyboards belong to the message
    if params.get("link_preview_options"):
        message["link_preview_options"] = params["link_preview_options"]
    sent = SentMessage(
        chat_id=chat.id,
        message_id=message_id,
        text=text,
        parse_mode=parse_mode,
        entities=list(entities),
        reply_markup=markup,
        date=message["date"],
        html=params["text"],
    )
    world.record_bot_message(message, sent)
    return message


async def edit_message_text(world: World, params: JSON) -> JSON:
    """``editMessageText``: without ``reply_markup`` the inline keyboard is removed."""
    chat, message_id = _edit_target(world, params)
    message = _editable_message(world, chat.id, message_id)
    text, entities, parse_mode = _formatted_text(params)
    markup = _reply_markup(params, inline_only=True)
    edited = _apply_edit(
        world, chat, message, {"text": text, "entities": entities, "reply_markup": markup}
    )
    sent = world.sent_index[(chat.id, message_id)]
    sent.parse_mode = parse_mode
    sent.html = params["text"]
    return edited


async def edit_message_reply_markup(world: World, params: JSON) -> JSON:
    """``editMessageReplyMarkup``: replace or (without ``reply_markup``) remove the keyboard."""
    chat, message_id = _edit_target(world, params)
    message = _editable_message(world, chat.id, message_id)
    markup = _reply_markup(params, inline_only=True)
    return _apply_edit(world, chat, message, {"reply_markup": markup})


async def delete_message(world: World, params: JSON) -> bool:
    """``deleteMessage``: its own messages anywhere; others' in private chats or as admin."""
    chat = world.resolve_chat(params["chat_id"])
    key = (chat.id, params["message_id"])
    message = world.messages.get(key)
    if message is None:
        raise bad_request("message to delete not found")
    own = message.get("from", {}).get("id") == world.bot_id
    if not (own or chat.type == "private" or chat.bot_is_admin):
        raise bad_request("message can't be deleted")
    del world.messages[key]
    if key in world.sent_index:
        world.sent_index[key].deleted = True
    world.messages_changed.fire()
    return True


async def answer_callback_query(world: World, params: JSON) -> bool:
    """``answerCallbackQuery``: each query can be answered once."""
    query = world.callback_queries.pop(params["callback_query_id"], None)
    if query is None:
        raise bad_request(_QUERY_INVALID)
    if utf16_len(params.get("text") or "") > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    world.callback_answers.append({"query": query, **params})
    return True


async def send_chat_action(world: World, params: JSON) -> bool:
    """``sendChatAction``: checks the action name; the local client shows nothing."""
    chat = world.resolve_chat(params["chat_id"], for_sending=True)
    if params["action"] not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    world.chat_actions.append((chat.id, params["action"]))
    return True


async def get_chat(world: World, params: JSON) -> JSON:
    """``getChat``: the ``ChatFullInfo`` of a known chat."""
    return world.resolve_chat(params["chat_id"]).to_full_info()


async def get_chat_member(world: World, params: JSON) -> JSON:
    """``getChatMember``: creator, administrator, member, left or kicked."""
    chat = world.resolve_chat(params["chat_id"])
    return _member(world, chat, params["user_id"])


async def get_chat_administrators(world: World, params: JSON) -> list[JSON]:
    """``getChatAdministrators``: the owner, the administrators, and the bot if it is one."""
    chat = world.resolve_chat(params["chat_id"])
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    ids = [i for i in [chat.owner_id, *sorted(chat.admin_ids)] if i is not None]
    if chat.bot_is_admin and params.get("return_bots", True):
        ids.append(world.bot_id)
    return [_member(world, chat, i) for i in ids if i == world.bot_id or i in world.users]


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "logOut": log_out,
    "close": close,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "sendMessage": send_message,
    "editMessageText": edit_message_text,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
    "sendChatAction": send_chat_action,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
}
