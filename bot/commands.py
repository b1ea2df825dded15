"""The command surface: what /help lists and what setMyCommands registers.

Descriptions are English msgids (``N_`` marks them for ``pybabel extract``); /help and
setMyCommands show them translated.
"""

import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from digests.i18n import DEFAULT_LANGUAGE, N_, supported_languages, translations

log = logging.getLogger(__name__)

USER_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Subscribe to the digest")),
    ("stop", N_("Unsubscribe")),
    ("digest", N_("The digest as it would go out now")),
    ("latest", N_("Newest headlines, numbered")),
    ("summary", N_("Summary and key points: /summary 2")),
    ("quotes", N_("Who said what: /quotes or /quotes Zelenskyy")),
    ("figures", N_("Key figures: /figures or /figures 2")),
    ("settings", N_("Time, time zone, frequency, quiet hours, length, language")),
    ("topics", N_("Follow or mute topics")),
    ("follow", N_("Only news mentioning a word or person: /follow Zelenskyy")),
    ("unfollow", N_("Stop following: /unfollow Zelenskyy")),
    ("search", N_("Find recent articles: /search ceasefire talks")),
    ("quote_of_the_day", N_("Today's most notable quote")),
    ("help", N_("What this bot can do")),
)

EXAMPLES: tuple[tuple[str, str], ...] = (
    ("/summary 1", N_("the newest article in full")),
    ("/quotes Zelenskyy", N_("what one person said lately")),
    ("/figures 2", N_("the numbers in the second article")),
)

ADMIN_COMMANDS: tuple[tuple[str, str], ...] = (
    ("stats", N_("Subscribers, articles and deliveries")),
    ("publish", N_("Publish an edition now: /publish morning")),
    ("publish_to", N_("Post editions to a channel: /publish_to @channel, list, remove @channel")),
    ("broadcast", N_("Send a message to every subscriber (asks first): /broadcast TEXT")),
    ("subscribers", N_("Subscriber counts and the newest subscribers")),
)


async def register_commands(bot: Bot, admin_ids: Iterable[int] = ()) -> None:
    """``setMyCommands`` once per language the bot speaks; English is also the default list.

    Each of ``admin_ids`` also gets a menu of their own with the admin commands. Telegram
    refuses that for an admin who has never written to the bot (it is then set at their
    ``/start``, see :mod:`bot.handlers.subscription`): the refusal is logged, nothing more.
    """
    for language, code in _languages():
        await bot.set_my_commands(_menu(USER_COMMANDS, language), language_code=code)
    for admin_id in admin_ids:
        try:
            await register_admin_menu(bot, admin_id)
        except TelegramError as exc:
            log.info("admin %s gets the admin command menu at their /start (%s)", admin_id, exc)


async def register_admin_menu(bot: Bot, chat_id: int) -> None:
    """Give the private chat ``chat_id`` (an admin's) the user and admin commands."""
    for language, code in _languages():
        await bot.set_my_commands(
            _menu(USER_COMMANDS + ADMIN_COMMANDS, language),
            scope=BotCommandScopeChat(chat_id),
            language_code=code,
        )


def _languages() -> list[tuple[str, str | None]]:
    """Each language with the code setMyCommands takes for it (none for the default)."""
    return [(language, None if language == DEFAULT_LANGUAGE else language)
            for language in supported_languages()]


def _menu(entries: tuple[tuple[str, str], ...], language: str) -> list[BotCommand]:
    gettext = translations(language).gettext
    return [BotCommand(name, gettext(text)) for name, text in entries]
