"""The Bot API methods the local server answers, and the parameters each accepts.

A compact, hand-written description in the Bot API's own type notation (``"Integer"``,
``"String"``, ``"Boolean"``, ``"Array of BotCommand"``, object type names). The server decodes and
validates every request against it; the test suite checks it against the official specification
so that it cannot drift from what Telegram accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["METHODS", "Method", "Param"]


@dataclass(frozen=True)
class Param:
    """One parameter: its name, the Bot API types it may take, and whether it is required."""

    name: str
    types: tuple[str, ...]
    required: bool = False


@dataclass(frozen=True)
class Method:
    """One Bot API method and its parameters."""

    name: str
    params: tuple[Param, ...] = ()

    def param(self, name: str) -> Param | None:
        """The parameter called *name*, or ``None`` when the method has none by that name."""
        return next((p for p in self.params if p.name == name), None)


def _p(name: str, *types: str, required: bool = False) -> Param:
    return Param(name, types, required)


_CHAT_ID = _p("chat_id", "Integer", "String", required=True)
_OPTIONAL_CHAT_ID = _p("chat_id", "Integer", "String")
_SCOPE = _p("scope", "BotCommandScope")
_LANGUAGE = _p("language_code", "String")
_ALLOWED = _p("allowed_updates", "Array of String")
_TEXT_FORMAT = (
    _p("parse_mode", "String"),
    _p("entities", "Array of MessageEntity"),
    _p("link_preview_options", "LinkPreviewOptions"),
)
_MESSAGE_TARGET = (
    _p("business_connection_id", "String"),
    _OPTIONAL_CHAT_ID,
    _p("message_id", "Integer"),
    _p("inline_message_id", "String"),
)
_REPLY_MARKUP = _p(
    "reply_markup",
    "InlineKeyboardMarkup",
    "ReplyKeyboardMarkup",
    "ReplyKeyboardRemove",
    "ForceReply",
)
_INLINE_MARKUP = _p("reply_markup", "InlineKeyboardMarkup")

_ALL = (
    Method("getMe"),
    Method("logOut"),
    Method("close"),
    Method(
        "getUpdates",
        (
            _p("offset", "Integer"),
            _p("limit", "Integer"),
            _p("timeout", "Integer"),
            _ALLOWED,
        ),
    ),
    Method(
        "setWebhook",
        (
            _p("url", "String", required=True),
            _p("certificate", "InputFile"),
            _p("ip_address", "String"),
            _p("max_connections", "Integer"),
            _ALLOWED,
            _p("drop_pending_updates", "Boolean"),
            _p("secret_token", "String"),
        ),
    ),
    Method("deleteWebhook", (_p("drop_pending_updates", "Boolean"),)),
    Method("getWebhookInfo"),
    Method(
        "setMyCommands",
        (_p("commands", "Array of BotCommand", required=True), _SCOPE, _LANGUAGE),
    ),
    Method("getMyCommands", (_SCOPE, _LANGUAGE)),
    Method("deleteMyCommands", (_SCOPE, _LANGUAGE)),
    Method(
        "sendMessage",
        (
            _p("business_connection_id", "String"),
            _CHAT_ID,
            _p("message_thread_id", "Integer"),
            _p("text", "String", required=True),
            *_TEXT_FORMAT,
            _p("disable_notification", "Boolean"),
            _p("protect_content", "Boolean"),
            _p("allow_paid_broadcast", "Boolean"),
            _p("message_effect_id", "String"),
            _p("reply_parameters", "ReplyParameters"),
            _REPLY_MARKUP,
        ),
    ),
    Method(
        "editMessageText",
        (*_MESSAGE_TARGET, _p("text", "String"), *_TEXT_FORMAT, _INLINE_MARKUP),
    ),
    Method("editMessageReplyMarkup", (*_MESSAGE_TARGET, _INLINE_MARKUP)),
    Method(
        "deleteMessage",
        (_CHAT_ID, _p("message_id", "Integer", required=True)),
    ),
    Method(
        "answerCallbackQuery",
        (
            _p("callback_query_id", "String", required=True),
            _p("text", "String"),
            _p("show_alert", "Boolean"),
            _p("url", "String"),
            _p("cache_time", "Integer"),
        ),
    ),
    Method(
        "sendChatAction",
        (
            _p("business_connection_id", "String"),
            _CHAT_ID,
            _p("message_thread_id", "Integer"),
            _p("action", "String", required=True),
        ),
    ),
    Method("getChat", (_CHAT_ID,)),
    Method("getChatMember", (_CHAT_ID, _p("user_id", "Integer", required=True))),
    Method("getChatAdministrators", (_CHAT_ID, _p("return_bots", "Boolean"))),
)

METHODS: dict[str, Method] = {method.name: method for method in _ALL}
"""Every method the server answers, by name (case-sensitive here; the server folds case)."""
