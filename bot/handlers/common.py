"""Small helpers the command handlers share: argument parsing and rendering replies."""

from __future__ import annotations

import unicodedata
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.language import renderer_for
from bot.services import get_services, reply
from digests.i18n import T_
from digests.models import Article
from digests.render import to_plain_text
from digests.store import Store

RECENT = 10
MAX_ARG_CHARS = 64


async def recent_reads(store: Store, limit: int = RECENT) -> list[Article]:
    """The newest stories, one article each: an outlet's copy of a story another outlet
    reported is not listed twice, and the article shown carries every outlet's quotes."""
    return [story.article for story in await store.recent_stories(limit)]


async def say(
    update: Update, context: ContextTypes.DEFAULT_TYPE, template: str, **ctx: Any
) -> None:
    """Render ``template`` in the chat's language and send it, split as Telegram requires."""
    await reply(update, (await renderer_for(update, context)).render_messages(template, **ctx))


async def tell(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, **ctx: Any) -> None:
    """Send a short canned reply (a macro of ``messages.html``) in the chat's language."""
    await reply(update, [(await renderer_for(update, context)).render_message(key, **ctx)])


async def refuse_press(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str) -> None:
    """Answer a button press with the canned reply ``key`` as an alert, changing nothing."""
    query = update.callback_query
    if query is not None:
        refusal = (await renderer_for(update, context)).render_message(key)
        await query.answer(to_plain_text(refusal), show_alert=True)


async def ensure_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """The id of the chat ``update`` came from, stored first if new; ``None`` without a chat."""
    chat = update.effective_chat
    if chat is None:
        return None
    services = get_services(context)
    await services.store.ensure_chat(chat.id, chat_type=chat.type,
                                     timezone=services.settings.timezone)
    return chat.id


async def pick_article(
    update: Update, context: ContextTypes.DEFAULT_TYPE, command: str, count: int
) -> int | None:
    """The article number in the command's arguments, or ``None`` after explaining the problem."""
    args = context.args or []
    given = clean_arg(" ".join(args))
    if len(args) != 1 or not args[0].isdigit() or len(args[0]) > 6:
        problem = T_("“%(given)s” is not an article number.", given=given) if given else None
        await tell(update, context, "usage", usage=f"/{command} N", problem=problem)
        return None
    number = int(args[0])
    if not 1 <= number <= count:
        await tell(update, context, "no_such_article", number=number, count=count)
        return None
    return number


def clean_arg(text: str) -> str:
    """Make a user-supplied argument safe to echo: no control or format characters, bounded."""
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    kept = " ".join(kept.split())
    return kept[:MAX_ARG_CHARS] + ("…" if len(kept) > MAX_ARG_CHARS else "")
