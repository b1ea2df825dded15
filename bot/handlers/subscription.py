"""/start and /stop: joining and leaving the digest."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.commands import register_admin_menu
from bot.handlers.common import say, tell
from bot.services import get_services
from digests.schedule import describe_schedule

log = logging.getLogger(__name__)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Subscribe this chat and say what the bot does."""
    services = get_services(context)
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return
    language = user.language_code if user else None
    existing = await services.store.get_subscriber(chat.id)
    already = existing is not None and existing.active
    await services.store.subscribe(
        chat.id,
        chat_type=chat.type,
        # Telegram's language is only the default: a language chosen in /settings stays.
        language=language if existing is None or existing.language is None else None,
        # A returning chat keeps the time zone it chose in /settings.
        timezone=services.settings.timezone if existing is None else None,
        title=chat.title or chat.username,
    )
    editions = [
        (e.name, describe_schedule(e, services.settings.timezone))
        for e in services.settings.editions
    ]
    await say(
        update, context, "start.html",
        first_name=user.first_name if user else None, editions=editions, already=already,
    )
    if chat.type == ChatType.PRIVATE and user is not None and services.is_admin(user.id):
        # Telegram takes an admin's own menu only once they have written to the bot.
        try:
            await register_admin_menu(context.bot, chat.id)
        except TelegramError as exc:
            log.warning("could not set admin %s's command menu: %s", user.id, exc)


async def stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Unsubscribe this chat; nothing more is pushed to it."""
    chat = update.effective_chat
    if chat is None:
        return
    was_active = await get_services(context).store.unsubscribe(chat.id)
    await tell(update, context, "stopped" if was_active else "not_subscribed")
