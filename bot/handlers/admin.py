"""Admin commands: /stats, /publish, /broadcast and /subscribers. Only ``ADMIN_IDS`` may run them.

Buttons under admin messages (broadcast confirmation, subscriber pages) check the presser too:
a message forwarded to, or seen by, someone else does not lend them the admin's rights.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import html
import logging
import secrets
import unicodedata
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.handlers.common import clean_arg, refuse_press, say, tell
from bot.language import renderer_for
from bot.services import get_services, reply
from digests.i18n import T_
from digests.render import split_html, to_plain_text
from digests.store.roster import chat_type_counts, count_subscribers, newest_subscribers

log = logging.getLogger(__name__)

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
        deliveries=await store.delivery_summary(),
        sources=await store.source_states(),
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
                   problem=T_("No edition “%(given)s”.", given=given) if given else None)
        return
    outcome = await services.scheduler.serve(name, dt.datetime.now(dt.UTC))
    if outcome is None:  # the run failed; the log has why
        await tell(update, context, "failed")
        return
    if not outcome.queued:
        await tell(update, context, "nothing_yet")
        return
    # Every chat queued, across the digests that different filters and languages made.
    await tell(update, context, "published", edition=name, queued=outcome.queued)


# -- /broadcast --------------------------------------------------------------------------

BROADCAST_EDITION = "broadcast"
BROADCAST_PATTERN = r"^bcast:(send|cancel):[A-Za-z0-9_-]{1,32}$"
#: How long a broadcast preview's Send button works.
BROADCAST_TTL = dt.timedelta(hours=24)


def broadcast_key(token: str) -> str:
    """The pending-action key of one broadcast preview, shared by every worker."""
    return f"broadcast:{token}"


def broadcast_text(message_text: str) -> str:
    """What follows the command, line breaks kept; control and format characters dropped."""
    parts = message_text.split(maxsplit=1)
    body = parts[1] if len(parts) == 2 else ""
    kept = "".join(
        ch for ch in body if ch in "\n\t" or unicodedata.category(ch)[0] != "C"
    )
    return "\n".join(line.rstrip() for line in kept.strip().splitlines())


@admin_only
async def broadcast(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the message with Send/Cancel buttons; nothing is queued until Send is pressed."""
    services = get_services(context)
    message = update.effective_message
    text = broadcast_text(message.text or "") if message else ""
    if not text:
        await tell(update, context, "usage", usage="/broadcast TEXT")
        return
    count = (await services.store.subscriber_counts())["active"]
    token = secrets.token_urlsafe(9)
    await services.store.put_pending(broadcast_key(token), {"text": text}, BROADCAST_TTL)
    renderer = await renderer_for(update, context)
    parts = split_html(renderer.render_message("broadcast_confirm", text=text, count=count))
    keyboard = InlineKeyboardMarkup([[
        InlineKeyboardButton(
            renderer.render_message("broadcast_send_button", count=count),
            callback_data=f"bcast:send:{token}",
        ),
        InlineKeyboardButton(
            renderer.render_message("cancel_button"), callback_data=f"bcast:cancel:{token}"
        ),
    ]])
    await reply(update, parts, keyboard)


async def broadcast_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send or Cancel pressed under a broadcast preview. Only an admin's press counts."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    services = get_services(context)
    if not services.is_admin(query.from_user.id):
        await refuse_press(update, context, "admins_only")
        return
    renderer = await renderer_for(update, context)
    _, action, token = query.data.split(":", 2)
    pending = await services.store.take_pending(broadcast_key(token))
    if pending is None:
        expired = to_plain_text(renderer.render_message("broadcast_expired"))
        await query.answer(expired, show_alert=True)
        return
    await query.answer()
    if action == "cancel":
        await query.edit_message_text(
            renderer.render_message("broadcast_cancelled"), parse_mode=ParseMode.HTML
        )
        return
    text = pending["text"]
    try:
        record = await services.store.record_digest(
            edition=BROADCAST_EDITION,
            scheduled_for=dt.datetime.now(dt.UTC),
            parts=split_html(html.escape(text, quote=False)),
            article_ids=[],
            chat_ids=None,
        )
    except Exception:
        # Nothing was queued: the preview's Send button works again once the error passes.
        await services.store.put_pending(broadcast_key(token), pending, BROADCAST_TTL)
        raise
    queued = record.queued if record is not None and record.queued is not None else 0
    log.info("admin %s queued a broadcast for %d chats", query.from_user.id, queued)
    if services.sender is not None:
        services.sender.wake()
    await query.edit_message_text(
        renderer.render_message("broadcast_queued", count=queued), parse_mode=ParseMode.HTML
    )


# -- /subscribers ------------------------------------------------------------------------

SUBSCRIBERS_PAGE = 10
SUBSCRIBERS_PATTERN = r"^subs:\d{1,9}$"


async def _subscribers_page(
    update: Update, context: ContextTypes.DEFAULT_TYPE, offset: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    services = get_services(context)
    renderer = await renderer_for(update, context)
    store = services.store
    total = await count_subscribers(store)
    offset = max(0, min(offset, max(total - 1, 0)))
    offset -= offset % SUBSCRIBERS_PAGE
    page = await newest_subscribers(store, offset=offset, limit=SUBSCRIBERS_PAGE)
    text = renderer.render(
        "subscribers.html",
        counts=await store.subscriber_counts(), by_type=await chat_type_counts(store),
        page=page, first=offset + 1, total=total,
    )
    buttons = []
    if offset > 0:
        buttons.append(InlineKeyboardButton(
            renderer.render_message("previous_button"),
            callback_data=f"subs:{offset - SUBSCRIBERS_PAGE}",
        ))
    if offset + SUBSCRIBERS_PAGE < total:
        buttons.append(InlineKeyboardButton(
            renderer.render_message("next_button"),
            callback_data=f"subs:{offset + SUBSCRIBERS_PAGE}",
        ))
    return text, InlineKeyboardMarkup([buttons]) if buttons else None


@admin_only
async def subscribers(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Counts by state and chat type, and the newest subscribers, ten a page."""
    text, keyboard = await _subscribers_page(update, context, 0)
    await reply(update, split_html(text), keyboard)


async def subscribers_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Older/Newer pressed: the same message shows another page."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    if not get_services(context).is_admin(query.from_user.id):
        await refuse_press(update, context, "admins_only")
        return
    await query.answer()
    text, keyboard = await _subscribers_page(update, context, int(query.data.split(":", 1)[1]))
    with contextlib.suppress(BadRequest):  # "message is not modified": a double tap
        await query.edit_message_text(
            split_html(text)[0], parse_mode=ParseMode.HTML, reply_markup=keyboard,
            disable_web_page_preview=True,
        )
