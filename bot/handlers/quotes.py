"""/quotes with pages, and /quote_of_the_day."""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.handlers.common import RECENT, clean_arg, recent_reads, say
from bot.handlers.content import speaker_matches
from bot.handlers.settings import edit
from bot.keyboards import Keyboards
from bot.language import renderer_for
from bot.services import Services, get_services, reply
from digests.render import QuoteGroup, Renderer, group_quotes, split_html
from digests.runs import quote_of_the_day as pick_quote_of_the_day

PATTERN = r"^qp:"
#: Quotes come from the recent articles /latest numbers, so "↳ 3." means /summary 3.
QUOTE_POOL = RECENT
#: A page holds whole speakers, up to this many quotes (one speaker may fill a page alone).
QUOTES_PER_PAGE = 6


async def quotes(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Recent quotes grouped by speaker, a page at a time; a name filters."""
    if update.effective_message is None:
        return
    services = get_services(context)
    wanted = clean_arg(" ".join(context.args)) if context.args else None
    renderer = await renderer_for(update, context)
    text, markup = await _page(services, renderer, 1, wanted or None)
    await reply(update, [text], markup)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Turn the page in place."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    _, page_text, *rest = [*query.data.split(":", 2), ""]
    page = int(page_text) if page_text.isdigit() else 1
    wanted = rest[0] or None
    renderer = await renderer_for(update, context)
    text, markup = await _page(get_services(context), renderer, page, wanted)
    await query.answer()
    await edit(query, text, markup)


def paginate(groups: list[QuoteGroup], per_page: int = QUOTES_PER_PAGE) -> list[list[QuoteGroup]]:
    """Whole speakers per page, at most ``per_page`` quotes unless one speaker has more."""
    pages: list[list[QuoteGroup]] = []
    count = 0
    for group in groups:
        if not pages or count + len(group.entries) > per_page:
            pages.append([])
            count = 0
        pages[-1].append(group)
        count += len(group.entries)
    return pages


async def _page(
    services: Services, renderer: Renderer, page: int, wanted: str | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    articles = await recent_reads(services.store, QUOTE_POOL)
    items = [
        (number, article, quote)
        for number, article in enumerate(articles, start=1)
        for quote in article.quotes
        if wanted is None or speaker_matches(wanted, quote.speaker)
    ]
    pages = paginate(group_quotes(items))
    page = min(max(page, 1), max(len(pages), 1))
    shown = [entry for group in pages[page - 1] for entry in group.entries] if pages else []
    text = renderer.render(
        "quotes.html", items=shown, page=page, pages=len(pages), speaker=wanted
    )
    # One speaker with very long quotes could overflow a message: keep the first part.
    text = split_html(text)[0]
    return text, Keyboards(renderer).quote_pages(page, len(pages), wanted)


async def quote_of_the_day(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Today's quote (by the UTC date), the one digests carry when it is turned on."""
    services = get_services(context)
    today = dt.datetime.now(dt.UTC).date()
    picked = pick_quote_of_the_day(await services.store.recent_articles(40), today)
    article, quote = picked if picked else (None, None)
    await say(update, context, "quote_of_the_day.html", article=article, quote=quote)
