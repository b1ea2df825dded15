"""What every handler needs, built once at start-up and kept in ``bot_data``."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.delivery import Sender
from bot.throttle import pace_reply
from config import Settings
from digests.render import Renderer
from digests.schedule import EditionScheduler
from digests.store import Store

SERVICES_KEY = "services"


@dataclass
class Services:
    """The domain objects behind the bot: settings, store, templates, schedule and outbox."""

    settings: Settings
    store: Store
    renderer: Renderer
    scheduler: EditionScheduler | None = None
    sender: Sender | None = None
    extra_admin_ids: set[int] = field(default_factory=set)

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and (
            user_id in self.settings.admin_ids or user_id in self.extra_admin_ids
        )


def get_services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data[SERVICES_KEY]


async def reply(
    update: Update, parts: list[str], keyboard: InlineKeyboardMarkup | None = None
) -> None:
    """Answer in the chat the update came from, one message per part, in order; ``keyboard``
    goes under the last part."""
    message = update.effective_message
    if message is None:
        return
    for index, part in enumerate(parts):
        await pace_reply()  # a group's reply budget; returns at once elsewhere
        await message.reply_html(
            part, disable_web_page_preview=True, do_quote=False,
            reply_markup=keyboard if index == len(parts) - 1 else None,
        )
