"""Webhook mode: Telegram posts updates to us instead of the worker long-polling for them.

Set ``WEBHOOK_URL`` (the public ``https://`` address Telegram posts to) and ``WEBHOOK_SECRET``;
the bot listens on ``WEBHOOK_LISTEN``:``PORT`` (``0.0.0.0``:``8443`` by default; platforms like
Heroku set ``PORT``) at the URL's path, behind the platform's TLS. On start it calls
``setWebhook`` with the secret, and PTB's webhook server answers 403 to any request whose
``X-Telegram-Bot-Api-Secret-Token`` header is missing or different, so only Telegram can feed
it updates.

    >>> options = WebhookOptions.from_settings(settings)
    >>> application.run_webhook(**options.kwargs())
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from telegram import Update

from config import Settings


class WebhookNotConfigured(ValueError):
    """Webhook mode was asked for without ``WEBHOOK_URL`` (and so without a secret)."""


@dataclass(frozen=True)
class WebhookOptions:
    """Where to listen and what to tell Telegram; ``repr`` never shows the secret."""

    url: str
    secret: str
    listen: str = "0.0.0.0"
    port: int = 8443

    def __repr__(self) -> str:
        return f"WebhookOptions(url={self.url!r}, listen={self.listen!r}, port={self.port})"

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookOptions:
        """Read the options; raises :class:`WebhookNotConfigured` without ``WEBHOOK_URL``."""
        if settings.webhook_url is None or settings.webhook_secret is None:
            raise WebhookNotConfigured(
                "webhook mode needs WEBHOOK_URL (the public https:// address) and WEBHOOK_SECRET"
            )
        return cls(
            url=settings.webhook_url,
            secret=settings.webhook_secret.get_secret_value(),
            listen=settings.webhook_listen,
            port=settings.port,
        )

    @property
    def url_path(self) -> str:
        """The path the local server answers on: the public URL's path."""
        return urlsplit(self.url).path.strip("/")

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Updater.start_webhook`` and ``Application.run_webhook``."""
        return {
            "listen": self.listen,
            "port": self.port,
            "url_path": self.url_path,
            "webhook_url": self.url,
            "secret_token": self.secret,
            "allowed_updates": Update.ALL_TYPES,
            # Updates that arrived while the bot was down are still wanted, as with polling.
            "drop_pending_updates": False,
        }
