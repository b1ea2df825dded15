"""What the local "Telegram cloud" knows: the bot, users, chats, messages and pending updates.

The state is plain data with small helpers that build Bot API objects (``User``, ``Chat``,
``Message``, ``Update``...) carrying every field the API marks as required. It knows nothing of
HTTP; :mod:`bot.local.api` implements the methods on top of it.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import APIError, bad_request, forbidden

__all__ = ["ChatInfo", "SentMessage", "Signal", "World"]

JSON = dict[str, Any]

DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "callback_query",
        "inline_query",
        "chosen_inline_result",
        "my_chat_member",
    }
)
"""Update types delivered when ``allowed_updates`` is empty or was never set, as in Telegram."""


def now() -> int:
    """Unix time in seconds, the unit of every Bot API date."""
    return int(time.time())


class Signal:
    """Wakes every coroutine waiting for "something changed", from sync or async code."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake all current waiters; later waiters wait for the next fire."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> bool:
        """Wait for the next fire; ``False`` when *seconds* passed first."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            return False
        return True


@dataclass
class SentMessage:
    """A message the bot sent, as the user's client would show it.

    Edits change the same object in place (``text``, ``entities``, ``reply_markup``) and set
    ``edited``. ``html`` keeps the text exactly as the bot sent it, before parsing.
    """

    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    entities: list[JSON]
    reply_markup: JSON | None
    date: int
    edited: bool = False
    html: str = ""
    edit_count: int = 0
    deleted: bool = False

    @property
    def buttons(self) -> list[list[JSON]]:
        """The inline keyboard rows (``[]`` without a keyboard)."""
        if not self.reply_markup:
            return []
        return self.reply_markup.get("inline_keyboard", [])

    def button_data(self) -> list[str]:
        """Every ``callback_data`` on the inline keyboard, row by row."""
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]

    def entity_texts(self, entity_type: str) -> list[str]:
        """The pieces of text covered by entities of *entity_type* (e.g. ``"bold"``)."""
        encoded = self.text.encode("utf-16-le")
        return [
            encoded[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
            for e in self.entities
            if e["type"] == entity_type
        ]


@dataclass
class ChatInfo:
    """A chat the server knows, with the bot's standing in it."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    blocked: bool = False
    migrated_to: int | None = None
    bot_is_admin: bool = False
    owner_id: int | None = None
    admin_ids: set[int] = field(default_factory=set)
    member_ids: set[int] = field(default_factory=set)

    def to_chat(self) -> JSON:
        """The ``Chat`` object."""
        chat: JSON = {"id": self.id, "type": self.type}
        for name in ("title", "username", "first_name", "last_name"):
            value = getattr(self, name)
            if value is not None:
                chat[name] = value
        return chat

    def to_full_info(self) -> JSON:
        """The ``ChatFullInfo`` object answered by ``getChat``."""
        return {
            **self.to_chat(),
            "accent_color_id": abs(self.id) % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }


@dataclass
class _Poll:
    """The ``getUpdates`` request currently waiting, so a newer one can terminate it."""

    generation: int


class World:
    """All state of the local cloud; one per server."""

    def __init__(self, *, bot_id: int, bot_username: str, bot_name: str, privacy: bool) -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.privacy = privacy
        self.users: dict[int, JSON] = {}
        self.chats: dict[int, ChatInfo] = {}
        self.messages: dict[tuple[int, int], JSON] = {}
        self.sent: list[SentMessage] = []
        self.sent_index: dict[tuple[int, int], SentMessage] = {}
        self.updates: list[JSON] = []
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.callback_queries: dict[str, JSON] = {}
        self.callback_answers: list[JSON] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.webhook_url = ""
        self.updates_changed = Signal()
        self.messages_changed = Signal()
        self.poll_generation = 0
        self.closing = False
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._query_ids = itertools.count(1)

    # -- objects -------------------------------------------------------------------------

    def bot_user(self) -> JSON:
        """The ``User`` object of the bot, as ``getMe`` answers it."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def bot_sender(self) -> JSON:
        """The short ``User`` object that appears as ``from`` of the bot's messages."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def remember_user(
        self,
        user_id: int,
        first_name: str,
        username: str | None,
        language_code: str | None,
    ) -> JSON:
        """Record (or refresh) a human user and return their ``User`` object."""
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        return user

    def next_message_id(self, chat_id: int) -> int:
        """Message ids count up from 1 in every chat, as in private chats and groups."""
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def next_query_id(self) -> str:
        """A fresh callback query id (an opaque string in the Bot API)."""
        return f"{self.bot_id}{next(self._query_ids):08d}"

    # -- chats ---------------------------------------------------------------------------

    def resolve_chat(self, chat_id: int | str, *, for_sending: bool = False) -> ChatInfo:
        """The known chat behind a ``chat_id`` parameter (an id or ``@username``).

        Raises:
            APIError: ``chat not found`` for unknown chats; when *for_sending*, also the
                answers for blocked, kicked and migrated chats.
        """
        chat: ChatInfo | None = None
        if isinstance(chat_id, int):
            chat = self.chats.get(chat_id)
        elif chat_id.startswith("@"):
            wanted = chat_id[1:].lower()
            chat = next(
                (c for c in self.chats.values() if (c.username or "").lower() == wanted), None
            )
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise APIError.migrated(chat.migrated_to)
        if for_sending and chat.blocked:
            raise _blocked_error(chat)
        return chat

    def update_count(self) -> int:
        """Updates waiting to be confirmed."""
        return len(self.updates)

    # -- updates -------------------------------------------------------------------------

    def queue_update(self, kind: str, payload: JSON) -> JSON:
        """Build an ``Update`` of *kind* and queue it unless ``allowed_updates`` filters it."""
        # A snapshot: the message may be edited before the bot fetches this update.
        update = {"update_id": next(self._update_ids), kind: copy.deepcopy(payload)}
        if kind in self.allowed_updates:
            self.updates.append(update)
            self.updates_changed.fire()
        return update

    def confirm_updates(self, offset: int) -> None:
        """Forget updates as ``getUpdates(offset=...)`` does, positive or negative."""
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]

    # -- bot messages --------------------------------------------------------------------

    def record_bot_message(self, message: JSON, sent: SentMessage) -> None:
        """Store a message the bot sent and wake whoever waits for it."""
        key = (sent.chat_id, sent.message_id)
        self.messages[key] = message
        self.sent.append(sent)
        self.sent_index[key] = sent
        self.messages_changed.fire()


def _blocked_error(chat: ChatInfo) -> APIError:
    reasons = {
        "private": "bot was blocked by the user",
        "group": "bot was kicked from the group chat",
        "supergroup": "bot was kicked from the supergroup chat",
        "channel": "bot is not a member of the channel chat",
    }
    return forbidden(reasons.get(chat.type, "bot was blocked by the user"))
