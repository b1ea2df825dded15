"""Talking to a bot under test as a Telegram user would, through the local Bot API server."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from bot.app import build_application, running
from bot.local.server import BotAPIServer
from bot.local.world import SentMessage
from bot.services import Services
from config import Settings
from digests.ingest import SAMPLES_DIR

#: Seconds to wait for the bot's answer.
REPLY_TIMEOUT = 10


def running_bot(
    server: BotAPIServer, token: str, settings: Settings,
    folders: Sequence[Path] = (SAMPLES_DIR,),
) -> AbstractAsyncContextManager[Services]:
    """The bot polling ``server`` (quickly, for tests) once ``folders`` are ingested."""
    app = build_application(settings, token=token, base_url=server.base_url,
                            ingest=list(folders))
    return running(app, poll_timeout=1)


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


async def database_gone(*args: object, **kwargs: object) -> None:
    """A stand-in for a store method while the database is unreachable."""
    raise RuntimeError("database gone")
