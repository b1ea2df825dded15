"""Talking to a bot under test as a Telegram user would, through the local Bot API server."""

from __future__ import annotations

from bot.local.server import BotAPIServer
from bot.local.world import SentMessage

#: Seconds to wait for the bot's answer.
REPLY_TIMEOUT = 10


async def ask(server: BotAPIServer, chat_id: int, text: str, **kwargs: object) -> SentMessage:
    """Send ``text`` from the user of ``chat_id`` and return the bot's one reply."""
    server.user_sends(chat_id, text, **kwargs)  # type: ignore[arg-type]
    [message] = await server.wait_for_messages(chat_id, 1, REPLY_TIMEOUT)
    return message


async def press(server: BotAPIServer, message: SentMessage, data: str) -> SentMessage:
    """Tap a button and wait for the bot to edit that same message."""
    edits = message.edit_count
    server.user_presses(message.chat_id, message.message_id, data)
    return await server.wait_for_edit(
        message.chat_id, message.message_id, edits + 1, REPLY_TIMEOUT
    )
