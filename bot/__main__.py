"""Run the worker: ``python -m bot`` (or ``digestbot``).

With ``TELEGRAM_BOT_TOKEN`` set it polls Telegram; without it, local mode starts an embedded
Bot API server on 127.0.0.1 and a console chat, so the bot can be tried with no token.
``python -m bot --webhook`` (or ``WEBHOOK_URL`` set) serves Telegram's webhook instead of
polling; see :mod:`bot.webhook`.
"""

from __future__ import annotations

import logging
import sys

from telegram.error import InvalidToken, NetworkError

from bot.logs import configure_logging, redact
from config import ConfigError, load_settings

log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    unknown = [a for a in args if a != "--webhook"]
    if unknown:
        print(f"usage: python -m bot [--webhook] (unknown argument {unknown[0]!r})",
              file=sys.stderr)
        raise SystemExit(2)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level, settings.secrets(), settings.log_format)
    if "--webhook" in args and settings.local_mode:
        print("Configuration error: webhook mode needs TELEGRAM_BOT_TOKEN", file=sys.stderr)
        raise SystemExit(2)
    if settings.local_mode:
        from bot.local.mode import run_local

        run_local(settings)
        return
    from bot.app import build_application
    from bot.roles import answers_updates, run_without_updates
    from bot.webhook import WebhookNotConfigured, WebhookOptions

    webhook = None
    if "--webhook" in args or settings.webhook_url:
        try:
            webhook = WebhookOptions.from_settings(settings)
        except WebhookNotConfigured as exc:
            print(f"Configuration error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
    application = build_application(settings)
    try:
        if not answers_updates(settings.worker_role):
            run_without_updates(application)
        elif webhook is not None:
            log.info("serving the webhook %r", webhook)
            application.run_webhook(**webhook.kwargs())
        else:
            application.run_polling(drop_pending_updates=False)
    except InvalidToken:
        # Start-up failures end in one line an operator can act on; the supervisor restarts us.
        print("Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather", file=sys.stderr)
        raise SystemExit(2) from None
    except NetworkError as exc:
        reason = redact(str(exc), settings.secrets())
        print(f"Cannot reach the Telegram Bot API at {settings.telegram_api_url}: {reason}",
              file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
