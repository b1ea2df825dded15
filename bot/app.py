"""Builds the python-telegram-bot Application and wires the scheduler and the outbox into it.

Handlers are registered in one block in :func:`build_application`, so the bot's whole command
surface reads on one screen. ``post_init`` opens the store, registers the commands with
Telegram, starts the outbox sender and the edition scheduler; ``post_shutdown`` stops them.
Production (``run_polling``) and local mode share this code; only the Bot API address differs.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.commands import USER_COMMANDS
from bot.delivery import Sender
from bot.handlers import admin, content, general, subscription
from bot.handlers.errors import error_handler
from bot.services import SERVICES_KEY, Services
from config import Settings
from digests.ingest import ingest_paths
from digests.render import Renderer
from digests.schedule import EditionScheduler
from digests.store import Store

log = logging.getLogger(__name__)


def build_application(
    settings: Settings,
    *,
    token: str | None = None,
    base_url: str | None = None,
    ingest: list[Path] | None = None,
    extra_admin_ids: set[int] | None = None,
) -> Application:
    """Create the bot application; nothing connects until it is initialised.

    ``token`` and ``base_url`` default to the settings; local mode passes its embedded
    server's. ``ingest`` lists article folders stored at start-up (``ARTICLES_DIR`` is added).
    """
    secret = token or (
        settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None
    )
    if secret is None:
        raise ValueError("a bot token is needed (local mode passes its embedded server's)")
    application = (
        ApplicationBuilder()
        .token(secret)
        .base_url(base_url or settings.telegram_api_url)
        .base_file_url((base_url or settings.telegram_api_url).replace("/bot", "/file/bot"))
        .concurrent_updates(True)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data["settings"] = settings
    application.bot_data["ingest"] = [*(ingest or []), *_articles_dir(settings)]
    application.bot_data["extra_admin_ids"] = set(extra_admin_ids or ())

    application.add_handler(CommandHandler("start", subscription.start))
    application.add_handler(CommandHandler("stop", subscription.stop))
    application.add_handler(CommandHandler("help", general.help_command))
    application.add_handler(CommandHandler("settings", general.settings))
    application.add_handler(CommandHandler("digest", content.digest))
    application.add_handler(CommandHandler("latest", content.latest))
    application.add_handler(CommandHandler("summary", content.summary))
    application.add_handler(CommandHandler("quotes", content.quotes))
    application.add_handler(CommandHandler("figures", content.figures))
    application.add_handler(CommandHandler("stats", admin.stats))
    application.add_handler(CommandHandler("publish", admin.publish))
    application.add_handler(MessageHandler(filters.COMMAND, general.unknown_command))
    plain = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
    application.add_handler(MessageHandler(plain, general.plain_text))
    application.add_error_handler(error_handler)
    return application


def _articles_dir(settings: Settings) -> list[Path]:
    return [settings.articles_dir] if settings.articles_dir else []


async def _post_init(application: Application) -> None:
    """Open the store, ingest, register commands, start the outbox and the schedule."""
    settings: Settings = application.bot_data["settings"]
    store = await Store.open(settings.database_url_value)
    renderer = Renderer(settings.templates_dir)
    services = Services(
        settings=settings, store=store, renderer=renderer,
        extra_admin_ids=application.bot_data["extra_admin_ids"],
    )
    application.bot_data[SERVICES_KEY] = services

    folders = application.bot_data["ingest"]
    if folders:
        report = await ingest_paths(store, folders)
        log.info("ingested articles: %s", report)

    await application.bot.set_my_commands([BotCommand(c, d) for c, d in USER_COMMANDS])

    services.sender = Sender(application.bot, store)
    await services.sender.start()
    services.scheduler = EditionScheduler(
        store, renderer, settings.editions, timezone=settings.timezone,
        on_published=lambda _record: services.sender.wake() if services.sender else None,
    )
    await services.scheduler.start()
    log.info("bot @%s ready; database %s", application.bot.username,
             settings.redacted_database_url())


async def _post_shutdown(application: Application) -> None:
    services: Services | None = application.bot_data.get(SERVICES_KEY)
    if services is None:
        return
    if services.scheduler is not None:
        await services.scheduler.stop()
    if services.sender is not None:
        await services.sender.stop()
    await services.store.close()


@contextlib.asynccontextmanager
async def running(application: Application, *, poll_timeout: int = 10) -> AsyncIterator[Services]:
    """Run ``application`` inside the current event loop, as ``run_polling`` would.

    For embedding the bot in another loop (tests, local tooling): initialise, ``post_init``,
    start polling; on exit stop everything and call ``post_shutdown``.
    """
    await application.initialize()
    try:
        await _post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0.0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
        )
        try:
            yield application.bot_data[SERVICES_KEY]
        finally:
            await application.updater.stop()
            await application.stop()
    finally:
        await _post_shutdown(application)
        await application.shutdown()

