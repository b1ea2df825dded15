"""/topics, /follow, /unfollow, /search and /digest: choosing what the digest is about."""

from __future__ import annotations

from collections import Counter

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.handlers.common import clean_arg, ensure_chat, refuse_press, say, tell
from bot.handlers.settings import edit, may_change
from bot.keyboards import Keyboards
from bot.language import renderer_for
from bot.services import Services, get_services, reply
from digests.editions import compose
from digests.i18n import T_
from digests.preferences import (
    MAX_FOLLOW_CHARS,
    Preferences,
    fold,
    search_articles,
    select_articles,
    short_key,
)
from digests.render import Renderer
from digests.runs import candidate_pool

PATTERN = r"^tp:"
#: Topics offered as buttons: the most frequent in this many recent articles.
TOPIC_POOL = 40
TOPIC_BUTTONS = 12
SEARCH_POOL = 200
SEARCH_RESULTS = 10


async def topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show topics of recent articles as buttons to follow or mute."""
    chat_id = await ensure_chat(update, context)
    message = update.effective_message
    if chat_id is None or message is None:
        return
    renderer = await renderer_for(update, context)
    text, markup = await _topics_screen(get_services(context), renderer, chat_id)
    await message.reply_html(text, reply_markup=markup, do_quote=False)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Cycle a topic: neutral -> followed -> muted -> neutral; edit the message in place."""
    query = update.callback_query
    services = get_services(context)
    chat_id = await ensure_chat(update, context)
    if query is None or chat_id is None or query.data is None:
        return
    key = query.data.partition(":")[2]
    if key != "r":
        if not await may_change(update, context):
            await refuse_press(update, context, "group_admins_only")
            return
        prefs = await services.store.get_preferences(chat_id, services.settings.timezone)
        for name, state in await _offered(services, prefs):
            if short_key(name) != key:
                continue
            if state is None:
                await services.store.follow(chat_id, "topic", name)
            elif state == "topic":
                await services.store.follow(chat_id, "mute", name)
            else:
                await services.store.unfollow(chat_id, ["mute"], name)
            break
    text, markup = await _topics_screen(services, await renderer_for(update, context), chat_id)
    await query.answer()
    await edit(query, text, markup)


async def _offered(services: Services, prefs: Preferences) -> list[tuple[str, str | None]]:
    """Topics to show as buttons, with their state: followed and muted ones first."""
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for article in await services.store.recent_articles(TOPIC_POOL):
        for topic in article.topics:
            spelling.setdefault(fold(topic), topic)
            counts[fold(topic)] += 1
    chosen = [(t, "topic") for t in prefs.filters.topics] + [
        (t, "mute") for t in prefs.filters.muted]
    known = {fold(t) for t, _ in chosen}
    popular = [(spelling[k], None) for k, _ in counts.most_common() if k not in known]
    return [*chosen, *popular][: max(TOPIC_BUTTONS, len(chosen))]


async def _topics_screen(
    services: Services, renderer: Renderer, chat_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    prefs = await services.store.get_preferences(chat_id, services.settings.timezone)
    offered = await _offered(services, prefs)
    text = renderer.render(
        "topics.html", topics=[t for t, _ in offered], followed=list(prefs.filters.topics),
        muted=list(prefs.filters.muted), words=list(prefs.filters.words),
    )
    return text, Keyboards(renderer).topics(offered)


async def _word_to_change(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[int, str] | None:
    """The chat and the word of /follow or /unfollow, once the chat may change its filters."""
    chat_id = await ensure_chat(update, context)
    if chat_id is None:
        return None
    if not await may_change(update, context):
        await tell(update, context, "group_admins_only")
        return None
    return chat_id, clean_arg(" ".join(context.args or []))


async def follow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/follow WORD: only articles mentioning what you follow (a keyword or a person)."""
    services = get_services(context)
    target = await _word_to_change(update, context)
    if target is None:
        return
    chat_id, word = target
    if not word or len(word) > MAX_FOLLOW_CHARS or not fold(word).strip("…"):
        await tell(update, context, "usage", usage="/follow WORD",
                   problem=None if not word else T_("That is too long to follow."))
        return
    try:
        added = await services.store.follow(chat_id, "word", word)
    except ValueError:
        await tell(update, context, "follow_limit")
        return
    await tell(update, context, "followed" if added else "already_followed", word=word)


async def unfollow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unfollow WORD: stop following (or muting) a word or topic."""
    services = get_services(context)
    target = await _word_to_change(update, context)
    if target is None:
        return
    chat_id, word = target
    if not word:
        await tell(update, context, "usage", usage="/unfollow WORD")
        return
    removed = await services.store.unfollow(chat_id, ["word", "topic", "mute"], word)
    await tell(update, context, "unfollowed" if removed else "not_followed", word=word)


async def search(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/search WORDS: recent articles mentioning every word."""
    services = get_services(context)
    query = clean_arg(" ".join(context.args or []))
    if not query or not fold(query).strip("… "):
        await tell(update, context, "usage", usage="/search WORDS")
        return
    found = search_articles(await services.store.recent_articles(SEARCH_POOL), query)
    await say(update, context, "search.html", query=query, articles=found[:SEARCH_RESULTS],
              total=len(found))


async def digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest: the digest as this chat would get it now, with its topics, words and length."""
    services = get_services(context)
    chat = update.effective_chat
    if chat is None:
        return
    prefs = await services.store.get_preferences(chat.id, services.settings.timezone)
    editions = services.settings.editions
    edition = next((e for e in editions if prefs.follows_edition(e.name)),
                   editions[0]) if editions else None
    if edition is None:
        await tell(update, context, "nothing_yet")
        return
    pool = await candidate_pool(services.store, edition, not prefs.filters.empty)
    if not pool:
        await tell(update, context, "nothing_yet")
        return
    articles = select_articles(pool, prefs.filters, edition.articles)
    if not articles:
        await tell(update, context, "nothing_matches")
        return
    renderer = await renderer_for(update, context)
    composed = await compose(services.store, renderer, edition, length=prefs.length,
                             articles=articles)
    await reply(update, composed.parts)

