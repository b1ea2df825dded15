"""Building the delivery engine from the settings."""

from __future__ import annotations

from telegram import Bot

from bot.delivery.limits import TRACKED_HEADROOM, ChatPacer, Limiter, RateLimiter
from bot.delivery.sender import Sender
from bot.delivery.transport import outbox_bot
from config import Settings
from digests.store import Store

__all__ = ["build_limiter", "build_sender"]

#: Seconds to wait for Telegram's answer to one outbox message.
SEND_TIMEOUT = 10.0


def build_limiter(settings: Settings) -> Limiter:
    """The global limit of ``DELIVERY_RATE`` messages a second, shared by outbox and replies.

    The sender and the replies track their messages, so no second ever holds too many and
    the spacing can aim closer to the limit (:data:`~bot.delivery.limits.TRACKED_HEADROOM`).
    """
    return RateLimiter(settings.delivery_rate, headroom=TRACKED_HEADROOM)


def build_sender(bot: Bot, store: Store, settings: Settings, limiter: Limiter) -> Sender:
    """A :class:`Sender` with its own connection pool to the Bot API ``bot`` talks to."""
    base_url = bot.base_url.removesuffix(bot.token)
    fanout = outbox_bot(
        bot.token, base_url, pool_size=settings.delivery_concurrency, read_timeout=SEND_TIMEOUT
    )
    return Sender(
        fanout,
        store,
        limiter=limiter,
        pacer=ChatPacer(
            private_per_second=settings.delivery_private_per_second,
            group_per_minute=settings.delivery_group_per_minute,
        ),
        concurrency=settings.delivery_concurrency,
        max_attempts=settings.delivery_max_attempts,
        send_timeout=SEND_TIMEOUT,
        templates={edition.name: edition.template for edition in settings.editions},
        own_bot=True,
        lock_retry=settings.leader_retry,
    )
