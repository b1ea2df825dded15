"""The error handler: log what went wrong, tell the user briefly, keep the worker running."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError
from telegram.ext import ContextTypes

from bot.handlers.common import tell

log = logging.getLogger(__name__)


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error; if it came from a user's update, apologise in that chat."""
    error = context.error
    if isinstance(error, NetworkError) and not isinstance(error, Forbidden):
        # Polling hiccups are routine; PTB retries them by itself.
        log.warning("Telegram network error: %s", error)
    else:
        log.error("error while handling an update", exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await tell(update, context, "failed")
        except Exception:
            log.warning("could not send the error apology to chat %s", update.effective_chat.id)
