"""Builds the python-telegram-bot Application and wires the scheduler and the outbox into it.

Handlers are registered in one block in :func:`build_application`, so the bot's whole command
surface reads on one screen. ``post_init`` opens the store, registers the commands with
Telegram, starts the outbox sender and the edition scheduler; ``post_shutdown`` stops them.
Production (``run_polling``) and local mode share this code; only the Bot API address differs.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.commands import register_commands
from bot.delivery import ReplyRateLimiter, build_limiter, build_sender
from bot.handlers import admin, channels, content, general, quotes, subscription, topics
from bot.handlers import settings as settings_menu
from bot.handlers.common import tell
from bot.handlers.errors import error_handler
from bot.roles import WORKER_KEY, WorkerJobs, drains_outbox, start_worker_jobs
from bot.services import SERVICES_KEY, Services
from bot.shared_limit import SharedRateLimiter, shared_limiter
from bot.sources import start_sources, stop_sources
from bot.throttle import CommandThrottle
from bot.webhook import WebhookOptions
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
    # One global limit for outbox and replies; replies take their turns first.
    # With several workers on PostgreSQL (or REDIS_URL) they share it: see bot.shared_limit.
    limiter = shared_limiter(settings, secret.partition(":")[0]) or build_limiter(settings)
    application = (
        ApplicationBuilder()
        .token(secret)
        .base_url(base_url or settings.telegram_api_url)
        .base_file_url((base_url or settings.telegram_api_url).replace("/bot", "/file/bot"))
        .concurrent_updates(True)
        .rate_limiter(ReplyRateLimiter(limiter))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data["settings"] = settings
    application.bot_data["delivery_limiter"] = limiter
    application.bot_data["ingest"] = [*(ingest or []), *_articles_dir(settings)]
    application.bot_data["extra_admin_ids"] = set(extra_admin_ids or ())

    # Before any command: drop group commands meant for other bots, then flood control.
    channels.install_group_gate(application)
    CommandThrottle(
        settings.commands_per_minute, warn=lambda u, c: tell(u, c, "throttled")
    ).install(application)
    plain = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
    application.add_handlers([
        *(CommandHandler(name, callback) for name, callback in _COMMANDS.items()),
        *(CallbackQueryHandler(callback, pattern=pattern) for pattern, callback in _BUTTONS),
        MessageHandler(filters.COMMAND, general.unknown_command),
        # Plain text answers a time zone search /settings asked for; otherwise it gets a hint.
        MessageHandler(plain, settings_menu.zone_text),
    ])
    application.add_error_handler(error_handler)
    return application


#: Every command and the handler that answers it (admin commands check the sender themselves).
_COMMANDS = {
    "start": subscription.start,
    "stop": subscription.stop,
    "help": general.help_command,
    "settings": settings_menu.settings,
    "digest": topics.digest,
    "latest": content.latest,
    "summary": content.summary,
    "quotes": quotes.quotes,
    "quote_of_the_day": quotes.quote_of_the_day,
    "figures": content.figures,
    "topics": topics.topics,
    "follow": topics.follow,
    "unfollow": topics.unfollow,
    "search": topics.search,
    "stats": admin.stats,
    "publish": admin.publish,
    "publish_to": channels.publish_to,
    "broadcast": admin.broadcast,
    "subscribers": admin.subscribers,
}
#: Inline buttons: the callback data pattern each handler owns.
_BUTTONS = [
    (settings_menu.PATTERN, settings_menu.button),
    (topics.PATTERN, topics.button),
    (quotes.PATTERN, quotes.button),
    (admin.BROADCAST_PATTERN, admin.broadcast_button),
    (admin.SUBSCRIBERS_PATTERN, admin.subscribers_button),
]


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

    # Only admins the bot has met: Telegram refuses a menu for a chat it has never seen.
    known_admins = [a for a in settings.admin_ids if await store.get_subscriber(a) is not None]
    await register_commands(application.bot, known_admins)

    if drains_outbox(settings.worker_role):
        services.sender = build_sender(
            application.bot, store, settings, application.bot_data["delivery_limiter"]
        )
        await services.sender.start()
    services.scheduler = EditionScheduler(
        store, renderer, settings.editions, timezone=settings.timezone,
        on_published=lambda _record: services.sender.wake() if services.sender else None,
        retention=settings.retention,
    )
    # The schedule runs in one worker at a time; see bot.roles.
    await start_worker_jobs(application, services)
    await start_sources(application, services)
    log.info("bot @%s ready; database %s", application.bot.username,
             settings.redacted_database_url())
    # Everything built so far lives as long as the worker: moving it out of the collector's
    # view keeps full collections short, so sending never stalls behind one mid-fan-out.
    gc.collect()
    gc.freeze()


async def _post_shutdown(application: Application) -> None:
    services: Services | None = application.bot_data.get(SERVICES_KEY)
    if services is None:
        return
    await stop_sources(application)
    jobs: WorkerJobs | None = application.bot_data.get(WORKER_KEY)
    if jobs is not None:
        await jobs.stop()
    if services.scheduler is not None:
        await services.scheduler.stop()
    if services.sender is not None:
        await services.sender.stop()
    if isinstance(limiter := application.bot_data.get("delivery_limiter"), SharedRateLimiter):
        await limiter.close()
    await services.store.close()


@contextlib.asynccontextmanager
async def running(
    application: Application, *, poll_timeout: int = 10, webhook: WebhookOptions | None = None
) -> AsyncIterator[Services]:
    """Run ``application`` inside the current event loop, as ``run_polling`` would.

    For embedding the bot in another loop (tests, local tooling): initialise, ``post_init``,
    start polling (or, given ``webhook``, PTB's webhook server, as ``run_webhook`` would); on
    exit stop everything and call ``post_shutdown``.
    """
    await application.initialize()
    try:
        await _post_init(application)
        await application.start()
        assert application.updater is not None
        if webhook is not None:
            await application.updater.start_webhook(**webhook.kwargs())
        else:
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

