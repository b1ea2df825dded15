"""What a failed ``sendMessage`` means for the delivery: one verdict per Telegram answer.

:func:`classify` turns the exception python-telegram-bot raised into a :class:`Verdict` the
sender acts on, so the policy reads as one table:

============================== ===================================================
Telegram answered              the sender
============================== ===================================================
429 ``retry_after``            pauses (everything, and that chat) exactly as told,
                               then sends the same part again; no attempt counted
5xx, time-out, network error   retries with backoff, at most ``max_attempts``,
                               then parks the delivery as ``failed`` with the reason
403 (blocked, kicked,          parks it ``blocked`` and unsubscribes the chat
deactivated)
400 chat not found             likewise
400 ``migrate_to_chat_id``     moves the subscriber to the new id and resends there
400 can't parse entities       resends that part as plain text, logs the template
any other 400                  parks it ``failed``: sending it again cannot help
============================== ===================================================
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass
from enum import Enum

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

__all__ = ["Action", "Verdict", "classify", "retry_after_seconds"]

_UNREACHABLE = ("chat not found", "user is deactivated", "peer_id_invalid", "bot was kicked")
_UNPARSABLE = "can't parse entities"


class Action(Enum):
    """What to do after a failed send."""

    WAIT = "wait"  # flood control: pause, then the same part again
    RETRY = "retry"  # transient: back off, count an attempt
    BLOCKED = "blocked"  # the chat cannot be reached: unsubscribe, never retry
    MIGRATE = "migrate"  # the group became a supergroup: follow it
    PLAIN_TEXT = "plain_text"  # our HTML was refused: send the part as text
    REJECT = "reject"  # Telegram refuses this message for good: park as failed


@dataclass(frozen=True, slots=True)
class Verdict:
    """The sender's answer to one failed send."""

    action: Action
    reason: str
    #: Seconds to wait (``WAIT``).
    seconds: float = 0.0
    #: The supergroup's id (``MIGRATE``).
    new_chat_id: int | None = None


def classify(error: BaseException) -> Verdict:
    """Decide what ``error``, raised by a send, means for the delivery."""
    if isinstance(error, RetryAfter):
        seconds = retry_after_seconds(error)
        return Verdict(Action.WAIT, f"flood control: retry after {seconds:g}s", seconds=seconds)
    if isinstance(error, ChatMigrated):
        return Verdict(
            Action.MIGRATE,
            f"group upgraded to supergroup {error.new_chat_id}",
            new_chat_id=int(error.new_chat_id),
        )
    if isinstance(error, Forbidden):
        return Verdict(Action.BLOCKED, f"forbidden: {error.message}")
    if isinstance(error, BadRequest):  # before NetworkError: BadRequest subclasses it
        text = error.message.lower()
        if any(marker in text for marker in _UNREACHABLE):
            return Verdict(Action.BLOCKED, f"bad request: {error.message}")
        if _UNPARSABLE in text:
            return Verdict(Action.PLAIN_TEXT, f"bad request: {error.message}")
        return Verdict(Action.REJECT, f"bad request: {error.message}")
    if isinstance(error, TimedOut):
        return Verdict(Action.RETRY, "timed out waiting for Telegram")
    if isinstance(error, NetworkError):  # 5xx answers and connection failures
        return Verdict(Action.RETRY, f"network: {error.message}")
    if isinstance(error, InvalidToken):
        # Telegram refuses the token itself: every send would fail the same way, so keep the
        # deliveries and retry slowly while an operator fixes the configuration.
        return Verdict(Action.RETRY, "Telegram refused the bot token")
    if isinstance(error, TelegramError):
        return Verdict(Action.RETRY, f"telegram: {error.message}")
    return Verdict(Action.RETRY, f"unexpected {type(error).__name__}: {error}")


def retry_after_seconds(error: RetryAfter) -> float:
    """Telegram's ``retry_after`` in seconds, whichever type python-telegram-bot gives it."""
    with warnings.catch_warnings():
        # Reading it as a number is deprecated in favour of a timedelta; both are handled.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
