"""Delivery: the outbox sender and the rate limits every message the bot sends obeys.

* :class:`Sender` drains the outbox (:mod:`bot.delivery.sender`);
* :class:`RateLimiter` and :class:`ChatPacer` are Telegram's global and per-chat limits,
  :class:`Limiter` the interface a shared global limit implements (:mod:`bot.delivery.limits`);
* :class:`ReplyRateLimiter` makes command replies take their turn from the same global limit,
  ahead of the outbox (:mod:`bot.delivery.replies`);
* :func:`classify` is what each Telegram answer means (:mod:`bot.delivery.outcomes`);
* :func:`build_sender` wires it all from the settings.
"""

from __future__ import annotations

from bot.delivery.limits import ChatPacer, Limiter, RateLimiter
from bot.delivery.outcomes import Action, Verdict, classify
from bot.delivery.replies import ReplyRateLimiter
from bot.delivery.sender import Sender, SenderStats
from bot.delivery.setup import build_limiter, build_sender
from bot.delivery.transport import AiohttpRequest, OutboxBot, outbox_bot

__all__ = [
    "Action",
    "AiohttpRequest",
    "ChatPacer",
    "Limiter",
    "OutboxBot",
    "RateLimiter",
    "ReplyRateLimiter",
    "Sender",
    "SenderStats",
    "Verdict",
    "build_limiter",
    "build_sender",
    "classify",
    "outbox_bot",
]
