"""The command surface: what /help lists and what setMyCommands registers.

Descriptions are English msgids (``N_`` marks them for ``pybabel extract``); /help and
setMyCommands show them translated.
"""

from telegram import Bot, BotCommand

from digests.i18n import DEFAULT_LANGUAGE, N_, supported_languages, translations

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


async def register_commands(bot: Bot) -> None:
    """``setMyCommands`` once per language the bot speaks; English is also the default list."""
    for language in supported_languages():
        gettext = translations(language).gettext
        commands = [BotCommand(name, gettext(text)) for name, text in USER_COMMANDS]
        code = None if language == DEFAULT_LANGUAGE else language
        await bot.set_my_commands(commands, language_code=code)
