"""/latest, /summary and /figures: reading the news (/digest: topics.py, /quotes: quotes.py)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.common import pick_article, recent_reads, say, tell
from bot.services import get_services
from digests.preferences import fold


async def latest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the newest headlines, numbered for /summary N."""
    articles = await recent_reads(get_services(context).store)
    if not articles:
        await tell(update, context, "nothing_yet")
        return
    await say(update, context, "latest.html", articles=articles)


async def summary(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Summary and key points of article N, or every recent article briefly."""
    articles = await recent_reads(get_services(context).store)
    if not articles:
        await tell(update, context, "nothing_yet")
        return
    if not context.args:
        await say(update, context, "summaries.html", articles=articles)
        return
    number = await pick_article(update, context, "summary", len(articles))
    if number is None:
        return
    await say(update, context, "summary.html", article=articles[number - 1], number=number)


def speaker_matches(wanted: str, speaker: str | None) -> bool:
    """True when every word asked for is a word of the speaker's name (surname alone is fine)."""
    if not speaker:
        return False
    names = fold(speaker).replace("-", " ").split()
    return all(word in names for word in fold(wanted).replace("-", " ").split())


async def figures(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Key figures of article N, or of every recent article."""
    articles = await recent_reads(get_services(context).store)
    if not articles:
        await tell(update, context, "nothing_yet")
        return
    if context.args:
        number = await pick_article(update, context, "figures", len(articles))
        if number is None:
            return
        items = [(number, articles[number - 1])]
    else:
        items = [(n, a) for n, a in enumerate(articles, start=1) if a.figures]
    await say(update, context, "figures.html", items=items)
