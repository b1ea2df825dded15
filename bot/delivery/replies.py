"""Command replies under the same global limit as the outbox, ahead of it.

Replies go straight to Telegram, never through the outbox, so a person is not kept waiting
behind a fan-out. They still count against the bot's global limit, so they take their turn
from the same :class:`~bot.delivery.Limiter` as the outbox, as *urgent* requests: the next
free interval is theirs, and the fan-out slows down by exactly what the replies use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery.limits import Limiter
from bot.delivery.outcomes import retry_after_seconds

__all__ = ["ReplyRateLimiter"]

log = logging.getLogger(__name__)

#: Bot API methods that put a message in a chat and count against Telegram's limits.
COUNTED_PREFIXES = ("send", "copyMessage", "forwardMessage", "editMessage")
UNCOUNTED = frozenset({"sendChatAction"})


def counts_against_limit(endpoint: str) -> bool:
    """Whether a call to ``endpoint`` sends (or rewrites) a message Telegram counts."""
    return endpoint.startswith(COUNTED_PREFIXES) and endpoint not in UNCOUNTED


class ReplyRateLimiter(BaseRateLimiter[None]):
    """python-telegram-bot's rate-limiter hook, taking urgent turns from a shared limiter.

    Install with ``ApplicationBuilder().rate_limiter(ReplyRateLimiter(limiter))``. A 429 on
    a reply to a private chat pauses the shared limiter too (in a group it is that group's own
    limit); the error still reaches the handler.
    """

    def __init__(self, limiter: Limiter) -> None:
        self.limiter = limiter

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        ticket: int | None = None
        if counts_against_limit(endpoint):
            ticket = await self.limiter.acquire(urgent=True, track=True)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            seconds = retry_after_seconds(exc)
            chat_id = data.get("chat_id")
            if not (isinstance(chat_id, int) and chat_id < 0):
                self.limiter.pause(seconds)
            log.warning("Telegram flood control on %s: retry after %gs", endpoint, seconds)
            raise
        finally:
            self.limiter.answered(ticket)
