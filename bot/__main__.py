"""Run the worker: ``python -m bot`` (or ``digestbot``).

With ``TELEGRAM_BOT_TOKEN`` set it polls Telegram; without it, local mode starts an embedded
Bot API server on 127.0.0.1 and a console chat, so the bot can be tried with no token.
"""

from __future__ import annotations

import logging
import sys

from bot.logs import configure_logging
from config import ConfigError, load_settings

log = logging.getLogger("bot")


def main() -> None:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level, settings.secrets())
    if settings.local_mode:
        from bot.local.mode import run_local

        run_local(settings)
        return
    from bot.app import build_application

    application = build_application(settings)
    application.run_polling(drop_pending_updates=False)


if __name__ == "__main__":
    main()
