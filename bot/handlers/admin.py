"""Admin commands: /stats and /publish. Only ``ADMIN_IDS`` may run them."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.common import clean_arg, say, tell
from bot.services import get_services

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def admin_only(handler: Handler) -> Handler:
    """Refuse politely, and run nothing, for anyone not in ``ADMIN_IDS``."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if not get_services(context).is_admin(user.id if user else None):
            await tell(update, context, "admins_only")
            return
        await handler(update, context)

    return guarded


@admin_only
async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Counts of subscribers, articles and deliveries by status."""
    store = get_services(context).store
    await say(
        update, context, "stats.html",
        subscribers=await store.subscriber_counts(),
        articles=await store.count_articles(),
        deliveries=await store.delivery_counts(),
    )


@admin_only
async def publish(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Publish an edition now, to every active subscriber."""
    services = get_services(context)
    names = [e.name for e in services.settings.editions]
    name = context.args[0].lower() if len(context.args or []) == 1 else None
    if name is None and len(names) == 1 and not context.args:
        name = names[0]
    if name not in names or services.scheduler is None:
        given = clean_arg(" ".join(context.args or []))
        await tell(update, context, "usage", usage=f"/publish {'|'.join(names)}",
                   problem=f"No edition “{given}”." if given else None)
        return
    record = await services.scheduler.publish(name, dt.datetime.now(dt.UTC))
    if record is None:
        await tell(update, context, "nothing_yet")
        return
    queued = len(await services.store.deliveries_for_digest(record.id))
    await tell(update, context, "published", edition=name, queued=queued)
