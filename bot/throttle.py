"""Flood control for what people send: a per-user command throttle and a per-group reply budget.

Both run before any command handler, as one PTB ``TypeHandler`` in a negative group
(:func:`CommandThrottle.install`), so a refused update reaches no handler at all:

* every user may send ``COMMANDS_PER_MINUTE`` commands (and, in private chats, messages) in any
  60 seconds; the first one over gets **one** warning, the rest are ignored silently until the
  window has room again;
* in groups, Telegram accepts at most 20 messages a minute from a bot, so each group has a
  budget of 20 replies in any 60 seconds. A command is only admitted while the budget has room
  (it reserves the first message of its reply); a reply longer than one message waits for room
  before each further part (:func:`pace_reply`, called by ``bot.services.reply``).

How this meets the delivery engine (:mod:`bot.delivery`): its ``ReplyRateLimiter`` is the bot's
PTB rate limiter and holds replies and deliveries together to the global messages-per-second
budget; the outbox sender paces deliveries per chat on its own. Deliveries to a group are not
counted in the group's reply budget here, so a group that receives an edition and floods
commands in the same minute relies on the sender's handling of Telegram's ``retry_after``.

Button presses (callback queries) are not counted: they edit messages in place and a settings
screen legitimately takes many taps.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update
from telegram.constants import MessageEntityType
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

log = logging.getLogger(__name__)

#: Telegram's limit on messages a bot may send to one group, per minute.
GROUP_MESSAGES_PER_MINUTE = 20
GROUP_CHAT_TYPES = frozenset({"group", "supergroup"})
#: Handler group of the throttle: after the addressing gate (-2), before every command (0).
THROTTLE_GROUP = -1

Clock = Callable[[], float]


class SlidingWindow:
    """At most ``limit`` events per key in any ``period`` seconds.

    Events are timestamps kept per key; old ones fall out as time passes, and keys nobody used
    for a whole period are swept now and then, so memory is bounded by ``limit`` per key active
    in the last ``period`` or so.
    """

    #: Sweep idle keys once every this many counted events.
    SWEEP_EVERY = 1024

    def __init__(self, limit: int, period: float = 60.0, *, clock: Clock = time.monotonic) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("a window needs a limit of at least 1 and a positive period")
        self.limit = limit
        self.period = period
        self.clock = clock
        self._events: dict[int, deque[float]] = {}
        self._since_sweep = 0

    def _recent(self, key: int) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            return deque()
        cutoff = self.clock() - self.period
        while events and events[0] <= cutoff:
            events.popleft()
        if not events:
            del self._events[key]
        return events

    def used(self, key: int) -> int:
        """Events counted for ``key`` in the current window."""
        return len(self._recent(key))

    def try_take(self, key: int) -> bool:
        """Count one event for ``key`` if there is room; ``False``, counting nothing, if not."""
        events = self._recent(key)
        if len(events) >= self.limit:
            return False
        self._events.setdefault(key, events).append(self.clock())
        self._since_sweep += 1
        if self._since_sweep >= self.SWEEP_EVERY:
            self.sweep()
        return True

    def sweep(self) -> None:
        """Forget keys with no event in the current window."""
        self._since_sweep = 0
        for key in list(self._events):
            self._recent(key)

    def __contains__(self, key: int) -> bool:
        """Whether ``key`` has events in the current window."""
        return bool(self._recent(key))

    def wait_time(self, key: int) -> float:
        """Seconds until ``key`` has room for one more event (0 when it has room now)."""
        events = self._recent(key)
        if len(events) < self.limit:
            return 0.0
        return max(0.0, events[0] + self.period - self.clock())

    async def take(self, key: int) -> None:
        """Count one event for ``key``, first waiting for room if the window is full."""
        # Sleeping exactly until the oldest event expires: nothing else frees a slot earlier.
        while True:
            if self.try_take(key):
                return
            await asyncio.sleep(max(self.wait_time(key), 0.01))


@dataclass
class ReplyBudget:
    """The group reply budget of the update being handled; the first part is already paid."""

    window: SlidingWindow
    chat_id: int
    prepaid: int = 1

    async def spend(self) -> None:
        """Account for one message about to be sent to the group, waiting for room if needed."""
        if self.prepaid > 0:
            self.prepaid -= 1
            return
        await self.window.take(self.chat_id)


# Set by the throttle for a group command, in the task handling that update (PTB runs all of an
# update's handlers in one task), and read when the reply is sent.
_BUDGET: contextvars.ContextVar[ReplyBudget | None] = contextvars.ContextVar(
    "group_reply_budget", default=None
)


async def pace_reply() -> None:
    """Wait, if needed, before sending one more message of a reply to a group command.

    Outside a group command (private chats, the outbox, jobs) it returns at once.
    """
    budget = _BUDGET.get()
    if budget is not None:
        await budget.spend()


def is_command(update: Update) -> bool:
    """A message that starts with a bot command (``/help``, ``/help@bot``)."""
    message = update.message or update.edited_message
    if message is None or not message.entities:
        return False
    first = message.entities[0]
    return first.type == MessageEntityType.BOT_COMMAND and first.offset == 0


def _counts(update: Update) -> bool:
    """What the throttle counts: commands anywhere, and anything written in a private chat."""
    if is_command(update):
        return True
    chat = update.effective_chat
    return update.message is not None and chat is not None and chat.type == "private"


class CommandThrottle:
    """The per-user throttle and the per-group reply budget, as one pre-handler.

    Args:
        per_minute: commands a user may send in any 60 seconds.
        group_per_minute: messages the bot may send to one group in any 60 seconds.
        warn: sends the one warning (called with the update and context).
        clock: monotonic seconds; tests pass their own.
    """

    def __init__(
        self,
        per_minute: int,
        *,
        warn: Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]],
        group_per_minute: int = GROUP_MESSAGES_PER_MINUTE,
        period: float = 60.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.users = SlidingWindow(per_minute, period, clock=clock)
        self.groups = SlidingWindow(group_per_minute, period, clock=clock)
        self._warn = warn
        self._warned: set[int] = set()

    def install(self, application: Application) -> None:
        """Register as a ``TypeHandler`` that runs before every command handler."""
        application.add_handler(TypeHandler(Update, self.check), group=THROTTLE_GROUP)

    async def check(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Let the update through, or stop it (``ApplicationHandlerStop``) when over a limit."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or not _counts(update):
            return
        if not self.users.try_take(user.id):
            # Warned users who went quiet for a whole window are forgotten with their events.
            self._warned.intersection_update(self.users._events)
            if user.id not in self._warned:
                self._warned.add(user.id)
                log.info("user %s is over %d commands a minute", user.id, self.users.limit)
                if chat.type not in GROUP_CHAT_TYPES or self.groups.try_take(chat.id):
                    await self._warn(update, context)
            raise ApplicationHandlerStop
        self._warned.discard(user.id)
        if chat.type in GROUP_CHAT_TYPES:
            if not self.groups.try_take(chat.id):
                log.info("group %s used its %d replies a minute", chat.id, self.groups.limit)
                raise ApplicationHandlerStop
            _BUDGET.set(ReplyBudget(self.groups, chat.id))
