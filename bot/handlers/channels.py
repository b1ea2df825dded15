"""Channels and groups: ``/publish_to`` for admins, and good manners in group chats.

``/publish_to @channel`` makes a channel a subscriber (``chat_type="channel"``), so every
edition is posted there by the outbox like any other chat. It is refused, with the fix spelled
out, unless the bot is an administrator of the channel allowed to post, and the admin asking is
an administrator there too. ``/publish_to list`` and ``/publish_to remove @channel`` manage them.

In groups several bots often share one chat. PTB's ``CommandHandler`` already ignores
``/summary@other_bot``; :func:`group_gate` also keeps such commands away from the catch-all
"unknown command" answer, and answers an unknown command only when it names this bot.
"""

from __future__ import annotations

import logging
import re

from telegram import Chat, ChatMember, ChatMemberAdministrator, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    ContextTypes,
    TypeHandler,
)

from bot.handlers.admin import admin_only
from bot.handlers.common import clean_arg, tell
from bot.services import get_services
from bot.throttle import GROUP_CHAT_TYPES, is_command
from digests.i18n import T_
from digests.store.roster import newest_subscribers

log = logging.getLogger(__name__)

#: Runs before the throttle (-1): commands for other bots must not count against anyone.
GATE_GROUP = -2
MAX_CHANNELS_LISTED = 50
_USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{3,31})")
_CHAT_ID = re.compile(r"-?\d{1,20}")
_LINK = re.compile(r"(?:https?://)?(?:t\.me|telegram\.me)/([A-Za-z][A-Za-z0-9_]{3,31})/?")
_ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})
_REMOVE_VERBS = ("remove", "stop", "delete")


# -- groups ------------------------------------------------------------------------------


def install_group_gate(application: Application) -> None:
    """Register :func:`group_gate` ahead of the throttle and every command handler."""
    application.add_handler(TypeHandler(Update, group_gate), group=GATE_GROUP)


async def group_gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups, stop commands that are not for this bot before any handler sees them.

    ``/cmd@other_bot`` is someone else's; an unknown ``/cmd`` with no address probably is too,
    so neither gets the "I don't know that command" answer meant for private chats.
    """
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None or chat.type not in GROUP_CHAT_TYPES:
        return
    if not is_command(update) or not message.text:
        return
    name, _, addressee = message.text.split(maxsplit=1)[0][1:].partition("@")
    own = context.bot.username or ""
    if addressee and addressee.lower() != own.lower():
        raise ApplicationHandlerStop
    if not addressee and name.lower() not in known_commands(context.application):
        raise ApplicationHandlerStop


def known_commands(application: Application) -> set[str]:
    """Every command name some ``CommandHandler`` of ``application`` answers."""
    return {
        command
        for handlers in application.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }


# -- /publish_to -------------------------------------------------------------------------


def parse_target(text: str) -> str | int | None:
    """``@name``, ``name``, ``t.me/name`` -> ``"@name"``; ``-100123`` -> ``-100123``; else None."""
    text = text.strip()
    if _CHAT_ID.fullmatch(text):
        return int(text)
    link = _LINK.fullmatch(text)
    if link:
        return "@" + link.group(1)
    name = _USERNAME.fullmatch(text)
    return "@" + name.group(1) if name else None


def describe(chat: Chat) -> str:
    """How to name a chat back to the admin: ``@username``, else its id."""
    return f"@{chat.username}" if chat.username else str(chat.id)


@admin_only
async def publish_to(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/publish_to @channel`` | ``/publish_to list`` | ``/publish_to remove @channel``."""
    args = context.args or []
    verb = args[0].lower() if args else ""
    if verb == "list" and len(args) == 1:
        await _list(update, context)
    elif verb in _REMOVE_VERBS and len(args) == 2:
        await _remove(update, context, args[1])
    elif len(args) == 1 and verb not in _REMOVE_VERBS:
        await _add(update, context, args[0])
    else:
        await _usage(update, context, " ".join(args))


async def _usage(update: Update, context: ContextTypes.DEFAULT_TYPE, given: str) -> None:
    shown = clean_arg(given)
    await tell(
        update, context, "usage",
        usage="/publish_to @channel | /publish_to list | /publish_to remove @channel",
        problem=T_("“%(given)s” is not a channel.", given=shown) if shown else None,
    )


async def _resolve(
    update: Update, context: ContextTypes.DEFAULT_TYPE, given: str
) -> Chat | None:
    """The chat ``given`` names, or ``None`` after explaining why it cannot be used."""
    target = parse_target(given)
    if target is None:
        await _usage(update, context, given)
        return None
    try:
        chat = await context.bot.get_chat(target)
    except (BadRequest, Forbidden) as exc:
        log.info("publish_to: %s not reachable: %s", target, exc.message)
        await tell(update, context, "channel_not_found", target=str(target))
        return None
    if chat.type != ChatType.CHANNEL:
        await tell(update, context, "not_a_channel", target=describe(chat))
        return None
    return chat


async def _member(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int
) -> ChatMember | None:
    try:
        return await context.bot.get_chat_member(chat_id, user_id)
    except (BadRequest, Forbidden):
        return None


async def _add(update: Update, context: ContextTypes.DEFAULT_TYPE, given: str) -> None:
    services = get_services(context)
    chat = await _resolve(update, context, given)
    if chat is None:
        return
    title = chat.title or describe(chat)
    me = await _member(context, chat.id, context.bot.id)
    if me is None or me.status not in _ADMIN_STATUSES:
        await tell(update, context, "channel_not_admin", title=title)
        return
    # Telegram reports the right only for channels; False means explicitly withheld.
    if isinstance(me, ChatMemberAdministrator) and me.can_post_messages is False:
        await tell(update, context, "channel_cannot_post", title=title)
        return
    user = update.effective_user
    asker = await _member(context, chat.id, user.id) if user else None
    if asker is None or asker.status not in _ADMIN_STATUSES:
        await tell(update, context, "channel_not_yours", title=title)
        return
    existing = await services.store.get_subscriber(chat.id)
    if existing is not None and existing.active:
        await tell(update, context, "channel_already", title=title, target=describe(chat))
        return
    await services.store.subscribe(
        chat.id, chat_type="channel", title=title, timezone=services.settings.timezone
    )
    log.info("admin %s added channel %s", user.id if user else None, chat.id)
    await tell(update, context, "channel_added", title=title, target=describe(chat))


async def _remove(update: Update, context: ContextTypes.DEFAULT_TYPE, given: str) -> None:
    services = get_services(context)
    target = parse_target(given)
    if target is None:
        await _usage(update, context, given)
        return
    chat_id: int | None = target if isinstance(target, int) else None
    title = str(target)
    if chat_id is None:
        # The bot may have been removed from the channel already: then getChat fails and the
        # id from /publish_to list is the way to name it.
        try:
            chat = await context.bot.get_chat(target)
        except (BadRequest, Forbidden):
            await tell(update, context, "channel_not_listed", target=title)
            return
        chat_id, title = chat.id, chat.title or title
    subscriber = await services.store.get_subscriber(chat_id)
    if subscriber is None or subscriber.chat_type != "channel" or not subscriber.active:
        await tell(update, context, "channel_not_listed", target=title)
        return
    await services.store.unsubscribe(chat_id)
    await tell(update, context, "channel_removed", title=subscriber.title or title)


async def _list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    store = get_services(context).store
    items = await newest_subscribers(store, limit=MAX_CHANNELS_LISTED, chat_type="channel")
    await tell(update, context, "channels", items=items)
