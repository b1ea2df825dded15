"""/help, and the answers to unknown commands and plain text (/settings: settings.py)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.commands import ADMIN_COMMANDS, EXAMPLES, USER_COMMANDS
from bot.handlers.common import clean_arg, say, tell
from bot.services import get_services


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands, with the admin ones for admins."""
    services = get_services(context)
    user = update.effective_user
    admin = services.is_admin(user.id if user else None)
    await say(
        update, context, "help.html",
        commands=list(USER_COMMANDS), admin_commands=list(ADMIN_COMMANDS) if admin else [],
        examples=list(EXAMPLES),
    )


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Point anyone who mistyped a command at /help."""
    message = update.effective_message
    text = message.text if message and message.text else ""
    command = clean_arg(text.split()[0] if text.split() else text)
    await tell(update, context, "unknown_command", command=command)


async def plain_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat, a message that is not a command gets a pointer to /help."""
    await tell(update, context, "not_a_command")
