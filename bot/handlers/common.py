"""Small helpers the command handlers share: argument parsing and rendering replies."""

from __future__ import annotations

import unicodedata
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.services import get_services, reply

RECENT = 10
MAX_ARG_CHARS = 64


async def say(
    update: Update, context: ContextTypes.DEFAULT_TYPE, template: str, **ctx: Any
) -> None:
    """Render ``template`` and send it as the reply, split as Telegram requires."""
    await reply(update, get_services(context).renderer.render_messages(template, **ctx))


async def tell(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, **ctx: Any) -> None:
    """Send one of the short canned replies from ``messages.html``."""
    await say(update, context, "message.html", key=key, **ctx)


def clean_arg(text: str) -> str:
    """Make a user-supplied argument safe to echo: no control or format characters, bounded."""
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    kept = " ".join(kept.split())
    return kept[:MAX_ARG_CHARS] + ("…" if len(kept) > MAX_ARG_CHARS else "")


def parse_number(args: list[str], upper: int) -> int | None:
    """The article number in ``args`` (1-based), or ``None`` if it is not one in range."""
    if len(args) != 1 or not args[0].isdigit() or len(args[0]) > 6:
        return None
    number = int(args[0])
    return number if 1 <= number <= upper else None


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a name, for matching speakers."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
