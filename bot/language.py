"""Which language the bot answers a chat in.

The language stored for the chat's subscriber (their ``/settings`` choice) wins when the bot has
a catalog for it; otherwise the sender's Telegram language (``language_code``); otherwise
English. Replies rendered through :func:`renderer_for` come out in that language.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.services import get_services
from digests.i18n import choose_language
from digests.render import Renderer

log = logging.getLogger(__name__)


async def chat_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The language to answer ``update`` in (a code the bot has texts for, e.g. ``"uk"``)."""
    chat, user = update.effective_chat, update.effective_user
    stored: str | None = None
    if chat is not None:
        try:
            subscriber = await get_services(context).store.get_subscriber(chat.id)
        except Exception:
            # Even the "something went wrong" apology is rendered through here: a failing
            # database must not stop it, so the Telegram language stands in.
            log.warning("could not read the language of chat %s", chat.id, exc_info=True)
        else:
            stored = subscriber.language if subscriber is not None else None
    return choose_language(stored, user.language_code if user else None)


async def renderer_for(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Renderer:
    """The renderer speaking the language of the chat ``update`` came from."""
    return get_services(context).renderer.localized(await chat_language(update, context))
