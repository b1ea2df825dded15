"""Telegram's rate limits, kept on our side so that Telegram never has to enforce them.

Two kinds of limit apply to every message a bot sends:

* a global one, shared by the outbox and command replies: :class:`RateLimiter` behind the
  small :class:`Limiter` interface (``acquire`` and ``pause``), so that an implementation shared
  between worker processes can replace it;
* one per chat, about a message a second in a private chat and 20 a minute in a group or
  channel: :class:`ChatPacer`, which says when a chat may next receive a message.

Both aim a little below the limit (``headroom``): Telegram counts messages when they *arrive*,
and a message delayed on its way can arrive closer to the next one than it was sent.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["ChatPacer", "Limiter", "RateLimiter"]

#: Aim this fraction below every limit (2%: 20 ms of slack in a one-second window).
DEFAULT_HEADROOM = 0.02

#: How far (in seconds of sending) grants may run ahead of even spacing to make up for time
#: lost when the event loop woke up late: a few messages, never a bunch.
DEFAULT_BURST = 0.005

#: The headroom of the worker's own limiter (:func:`bot.delivery.setup.build_limiter`). Its
#: senders track their messages, so the window (see :class:`RateLimiter`) already keeps every
#: second within the limit whatever the latency; even spacing need not leave 2% unused too.
TRACKED_HEADROOM = 0.01

#: A tracked message not answered within this many seconds stops counting as in flight (its
#: sender gave up on it long ago), so a forgotten :meth:`RateLimiter.answered` cannot leak.
LONGEST_FLIGHT = 60.0


@runtime_checkable
class Limiter(Protocol):
    """The global send limit as the sender and the reply path see it.

    :class:`RateLimiter` keeps it in one worker, :class:`~bot.shared_limit.SharedRateLimiter`
    for every worker of a bot token.
    """

    async def acquire(self, *, urgent: bool = False, track: bool = False) -> int | None:
        """Wait until one more message may be sent now, and count it.

        ``urgent`` callers (replies to a person) go before every waiting non-urgent one
        (the outbox), so a fan-out never delays an answer by more than one interval. With
        ``track``, returns a ticket for :meth:`answered`: the message counts as in flight
        until then.
        """
        ...

    def answered(self, ticket: int | None) -> None:
        """Telegram answered the tracked message ``ticket`` (``None`` is ignored)."""
        ...

    def pause(self, seconds: float) -> None:
        """Let nothing through for ``seconds``, as Telegram's ``retry_after`` asks."""
        ...


class RateLimiter:
    """At most ``rate`` grants a second, evenly spaced, urgent ones first.

    Args:
        rate: the limit in messages per second; ``None`` or ``0`` grants at once (only
            :meth:`pause` holds callers back), for local servers and benchmarks.
        headroom: fraction of ``rate`` left unused as a safety margin.
        window: the span Telegram counts ``rate`` messages in, in seconds.
        burst: seconds of sending that grants may run ahead of even spacing to make up for a
            stall (see :data:`DEFAULT_BURST`).
        clock: monotonic seconds; tests may pass their own.

    Grants follow the generic cell rate algorithm: each is due one interval
    (``1 / (rate * (1 - headroom))``) after the previous one, and may come up to ``burst``
    early when earlier ones came late; on top of that, no ``window`` ever holds more than
    ``rate`` grants, which is how Telegram counts.

    Even spacing is not enough on its own: Telegram counts a message when it *handles* it,
    somewhere between our sending it and our hearing the answer, and a stall on its side (or
    on the way) lets messages sent over a longer span be handled within one second. So a
    caller may also *track* its grant (``acquire(track=True)`` returns a ticket) and report
    the answer (:meth:`answered`): a new grant is then also held back while ``rate`` messages
    are either still in flight or answered less than ``window`` seconds ago. Every message
    Telegram handled in a window ``(T - 1, T]`` was in that set when the last of them was
    granted, so no such window ever holds more than ``rate``, however the latency varies.
    Untracked grants count from the moment they are granted.
    """

    def __init__(
        self,
        rate: float | None = 30.0,
        *,
        headroom: float = DEFAULT_HEADROOM,
        window: float = 1.0,
        burst: float = DEFAULT_BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate is not None and rate < 0:
            raise ValueError("rate must be positive, or 0/None for no limit")
        if not 0 <= headroom < 1:
            raise ValueError("headroom is a fraction between 0 and 1")
        self.rate = rate or None
        self.interval = 0.0 if self.rate is None else 1.0 / (self.rate * (1 - headroom))
        self._clock = clock
        self._due = 0.0  # when the next grant is due (the "theoretical arrival time")
        self._paused_until = 0.0
        # Waiters: the future a grant resolves (with the ticket) and whether it is tracked.
        self._urgent: deque[tuple[asyncio.Future[int | None], bool]] = deque()
        self._normal: deque[tuple[asyncio.Future[int | None], bool]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self.window = window
        self.burst = burst
        #: Most messages Telegram may handle in one ``window``.
        self.per_window = 0 if self.rate is None else max(1, math.floor(self.rate * window))
        self._counted: deque[float] = deque()  # grants (untracked) and answers, oldest first
        self._flying: dict[int, float] = {}  # tracked ticket -> when granted, oldest first
        self._tickets = 0
        #: Grants so far (both kinds): for statistics and tests.
        self.granted = 0

    def __repr__(self) -> str:
        rate = "unlimited" if self.rate is None else f"{self.rate:g}/s"
        return f"<RateLimiter {rate}, {len(self._urgent) + len(self._normal)} waiting>"

    def pause(self, seconds: float) -> None:
        """Grant nothing for ``seconds`` from now; a longer pause already running is kept."""
        until = self._clock() + max(0.0, seconds)
        if until > self._paused_until:
            self._paused_until = until
            # Resume evenly spaced, not with a burst of the turns the pause took away.
            self._due = max(self._due, until + self.burst)
            self._reschedule()

    async def acquire(self, *, urgent: bool = False, track: bool = False) -> int | None:
        """Wait for a turn (see :meth:`Limiter.acquire`).

        With ``track``, returns a ticket to hand to :meth:`answered` once Telegram answered
        (or the call failed); until then the message counts as in flight.
        """
        now = self._clock()
        if not self._urgent and not self._normal and self._ready(now):
            return self._grant(now, track)
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._normal).append((future, track))
        self._reschedule()
        # A caller cancelled while waiting leaves a cancelled future, skipped when served; one
        # cancelled just after its grant leaves that grant unused (a tracked one then counts
        # as in flight until LONGEST_FLIGHT), erring on the side of less.
        return await future

    def answered(self, ticket: int | None) -> None:
        """Telegram answered the tracked message ``ticket`` (``None`` is ignored)."""
        if ticket is None or self._flying.pop(ticket, None) is None:
            return
        self._counted.append(self._clock())
        if self._urgent or self._normal:
            self._reschedule()

    @property
    def in_flight(self) -> int:
        """Tracked messages not answered yet."""
        return len(self._flying)

    # -- internals -----------------------------------------------------------------------

    def _ready(self, now: float) -> bool:
        if now < self._paused_until:
            return False
        if self.rate is None:
            return True
        return now >= self._due - self.burst and self._window_count(now) < self.per_window

    def _window_count(self, now: float) -> int:
        """Messages Telegram may still count in a window that ends after ``now``."""
        counted, flying = self._counted, self._flying
        while counted and counted[0] <= now - self.window:
            counted.popleft()
        while flying:
            ticket, granted = next(iter(flying.items()))
            if granted > now - LONGEST_FLIGHT:
                break
            del flying[ticket]
        return len(counted) + len(flying)

    def _window_opens(self, now: float) -> float:
        """When the window next has room (``now`` if it has; later answers only add to it)."""
        if self._window_count(now) < self.per_window:
            return now
        if self._counted:
            return self._counted[0] + self.window
        # Everything in the window is still in flight: an answer reschedules, and the oldest
        # flight expires at the latest.
        return next(iter(self._flying.values())) + LONGEST_FLIGHT

    def _grant(self, now: float, track: bool) -> int | None:
        self.granted += 1
        if self.rate is None:
            return None
        # From the due time, not from now: grants served late (a stall) do not push every
        # later one back, up to ``burst`` seconds' worth, so the long-run rate stays exact.
        self._due = max(self._due, now - self.burst) + self.interval
        if not track:
            self._counted.append(now)
            return None
        self._tickets += 1
        self._flying[self._tickets] = now
        return self._tickets

    def _next_waiter(self) -> tuple[asyncio.Future[int | None], bool] | None:
        for queue in (self._urgent, self._normal):
            while queue and queue[0][0].done():  # cancelled while waiting
                queue.popleft()
            if queue:
                return queue.popleft()
        return None

    def _reschedule(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._serve()

    def _serve(self) -> None:
        self._timer = None
        now = self._clock()
        while (self._urgent or self._normal) and self._ready(now):
            waiter = self._next_waiter()
            if waiter is None:
                break
            future, track = waiter
            future.set_result(self._grant(now, track))
        if self._urgent or self._normal:
            wake = max(self._paused_until, self._due - self.burst)
            if self.rate is not None:
                wake = max(wake, self._window_opens(now))
            loop = asyncio.get_running_loop()
            self._timer = loop.call_at(loop.time() + max(0.0, wake - now), self._serve)


class ChatPacer:
    """When each chat may next receive a message: Telegram's per-chat limits.

    Private chats (positive ids) get one message per ``private_interval`` seconds; groups and
    channels (negative ids) one per ``group_interval`` (20 a minute is one every 3 s). Both are
    stretched by ``headroom``. The pacer only answers and remembers; the sender waits.
    """

    def __init__(
        self,
        *,
        private_per_second: float = 1.0,
        group_per_minute: float = 20.0,
        headroom: float = DEFAULT_HEADROOM,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if private_per_second <= 0 or group_per_minute <= 0:
            raise ValueError("per-chat limits must be positive")
        self.private_interval = (1.0 / private_per_second) * (1 + headroom)
        self.group_interval = (60.0 / group_per_minute) * (1 + headroom)
        self._clock = clock
        self._next: dict[int, float] = {}

    def interval(self, chat_id: int) -> float:
        """Seconds between two messages to ``chat_id``."""
        return self.private_interval if chat_id > 0 else self.group_interval

    def ready_at(self, chat_id: int) -> float:
        """The clock time from which ``chat_id`` may receive its next message."""
        return self._next.get(chat_id, 0.0)

    def sent(self, chat_id: int, at: float | None = None) -> None:
        """Note a message to ``chat_id`` sent at ``at`` (now by default)."""
        when = self._clock() if at is None else at
        self._next[chat_id] = when + self.interval(chat_id)

    def hold(self, chat_id: int, seconds: float) -> None:
        """Send nothing to ``chat_id`` for ``seconds`` (Telegram said so for this chat)."""
        self._next[chat_id] = max(self.ready_at(chat_id), self._clock() + seconds)

    def forget_idle(self) -> int:
        """Drop chats whose pause is over, to bound memory; returns how many were dropped."""
        now = self._clock()
        idle = [chat for chat, ready in self._next.items() if ready <= now]
        for chat in idle:
            del self._next[chat]
        return len(idle)

    def __len__(self) -> int:
        return len(self._next)
