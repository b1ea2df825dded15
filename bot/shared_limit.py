"""One global send rate shared by every worker of a bot token, kept in PostgreSQL or Redis.

Telegram limits a bot, not a process: three workers must together stay under the limit. The
limiter keeps the bot's *next free send slot* in one shared place and hands out slots
``1 / rate`` seconds apart (the generic cell rate algorithm): a worker atomically moves the
slot forward by a few intervals, reserving them, then sleeps until each of its slots comes.
Slots never overlap, whichever worker holds them, so the sends of all workers together are
spaced as one worker's would be. The shared state is one row in PostgreSQL
(``rate_limits``, one ``INSERT … ON CONFLICT DO UPDATE`` per reservation) or one Redis key
(a Lua script) when ``REDIS_URL`` is set. Time is the database's (or Redis's) clock, so the
workers' clocks need not agree.

The interface is the local limiter's: ``await acquire()`` before each send, ``pause(seconds)``
when Telegram answers 429 with ``retry_after`` (it pauses every worker)::

    limiter = SharedRateLimiter(PostgresSlots(store.engine, "bot:123"), rate=30)
    await limiter.acquire()

Reserving a few slots per round trip keeps the load on the database small (at 1,000
messages/s, about 50 reservations a second). A slot a worker is too late to use is dropped,
never used late, so late slots cannot bunch up; a pause drops the reserved slots of this
worker at once, and others' within one batch (at most ``batch_seconds``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from digests.store import create_engine

#: Share of the rate kept free so that network jitter never shows the server more than
#: ``rate`` messages within one second.
DEFAULT_HEADROOM = 0.05
#: How much sending time one reservation covers (each worker reserves that much at once).
DEFAULT_BATCH_SECONDS = 0.05
#: Seconds between attempts to reach the shared state when it does not answer.
RETRY_UNREACHABLE = 1.0

log = logging.getLogger(__name__)


class SlotSource(Protocol):
    """Where the shared next-slot time lives."""

    async def reserve(self, span: float, pause: float = 0.0) -> float:
        """Move the next free slot ``span`` seconds on, not starting before ``pause``
        seconds from now; return how many seconds from now the reserved span starts."""
        ...

    async def close(self) -> None: ...


_POSTGRES_RESERVE = text(
    """
    INSERT INTO rate_limits AS r (key, tat, checked_at)
    SELECT :key, now.t + :pause + :span, now.t
    FROM (SELECT extract(epoch FROM clock_timestamp())::float8 AS t) AS now
    ON CONFLICT (key) DO UPDATE
    SET tat = greatest(r.tat, excluded.checked_at + :pause) + :span,
        checked_at = excluded.checked_at
    RETURNING r.tat - :span - r.checked_at
    """
)


class PostgresSlots:
    """The next free slot in a ``rate_limits`` row (one short statement per reservation).

    Give it an engine (the store's), or a database URL: it then opens a small engine of its
    own on first use and :meth:`close` disposes of it.
    """

    def __init__(self, engine: AsyncEngine | str, key: str) -> None:
        self._owned = isinstance(engine, str)
        self.engine = create_engine(engine, pool_size=2, max_overflow=2) if isinstance(
            engine, str
        ) else engine
        if self.engine.dialect.name != "postgresql":
            raise ValueError("PostgresSlots needs PostgreSQL (SQLite runs one worker)")
        self.key = key

    def __repr__(self) -> str:
        return f"<PostgresSlots {self.key}>"

    async def reserve(self, span: float, pause: float = 0.0) -> float:
        async with self.engine.begin() as connection:
            wait = await connection.scalar(
                _POSTGRES_RESERVE, {"key": self.key, "span": span, "pause": pause}
            )
        return float(wait)

    async def close(self) -> None:
        if self._owned:
            await self.engine.dispose()


# KEYS[1]: the key; ARGV[1]: span, ARGV[2]: pause. Redis's own clock (TIME) is the one clock.
_REDIS_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local span = tonumber(ARGV[1])
local start = math.max(tat, now + tonumber(ARGV[2]))
local nxt = start + span
redis.call('SET', KEYS[1], string.format('%.6f', nxt), 'PX',
           math.ceil((nxt - now) * 1000) + 60000)
return string.format('%.6f', start - now)
"""


class RedisSlots:
    """The next free slot in a Redis key, moved by an atomic Lua script."""

    def __init__(self, url: str, key: str) -> None:
        from redis.asyncio import Redis  # only workers configured with REDIS_URL need it

        self.client = Redis.from_url(url)
        self.key = f"digestbot:rate:{key}"
        self._script = self.client.register_script(_REDIS_RESERVE)

    async def reserve(self, span: float, pause: float = 0.0) -> float:
        return float(await self._script(keys=[self.key], args=[span, pause]))

    async def close(self) -> None:
        await self.client.aclose()

    def __repr__(self) -> str:
        # The URL may carry a password: name the key only.
        return f"<RedisSlots {self.key}>"


class SharedRateLimiter:
    """At most ``rate`` sends per second across every worker sharing ``slots``.

    Args:
        slots: where the shared slot lives (:class:`PostgresSlots` or :class:`RedisSlots`).
        rate: messages per second for all workers together.
        headroom: the share of ``rate`` left unused to absorb jitter.
        batch_seconds: how much sending time one reservation covers.
    """

    def __init__(
        self,
        slots: SlotSource,
        rate: float,
        *,
        headroom: float = DEFAULT_HEADROOM,
        batch_seconds: float = DEFAULT_BATCH_SECONDS,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.slots = slots
        self.rate = rate
        self.interval = 1.0 / (rate * (1.0 - headroom))
        # Sends in any second come from slots in a (1 + late + jitter)-second span, which holds
        # at most rate * (1 - headroom) * (1 + late + jitter) slots: within ``rate`` as long as
        # late + jitter stays under the headroom. Half of it for lateness, half for jitter.
        self.late = headroom / 2
        self.batch = max(1, math.floor(batch_seconds / self.interval))
        self.paused_until = 0.0
        self._reserved: deque[float] = deque()
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()
        self._pump: asyncio.Task[None] | None = None
        self._pauses: set[asyncio.Task[None]] = set()
        #: Slots granted by this worker so far: for statistics and tests.
        self.granted = 0

    def __repr__(self) -> str:
        return f"<SharedRateLimiter {self.rate}/s via {self.slots!r}>"

    async def acquire(self, *, urgent: bool = False) -> None:
        """Wait for the next slot this worker holds; never returns early, whoever else is
        sending. ``urgent`` callers (replies to a person) get the next slot before every
        waiting non-urgent one (the outbox)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._normal).append(future)
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._grant_slots(), name="shared-rate-limit")
        await future

    async def _grant_slots(self) -> None:
        """Hand each slot, at its time, to the first waiter; ends when nobody waits."""
        failing = False
        while self._waiting():
            try:
                slot = await self._next_slot()
            except Exception as exc:
                # Database or Redis unreachable: hold every send until it answers again, rather
                # than send unpaced (other workers may be sending) or fail the sender.
                if not failing:
                    log.warning("shared rate limit unreachable (%s); sending waits for it",
                                type(exc).__name__)
                failing = True
                await asyncio.sleep(RETRY_UNREACHABLE)
                continue
            if failing:
                log.info("shared rate limit reachable again")
                failing = False
            delay = slot - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            # Paused meanwhile (the slot fell inside the pause), or woken too late to use the
            # slot without crowding the next ones: take another.
            if slot < self.paused_until or time.monotonic() > slot + self.late:
                continue
            waiter = self._next_waiter()
            if waiter is not None:
                self.granted += 1
                waiter.set_result(None)

    def _waiting(self) -> bool:
        return any(not f.done() for q in (self._urgent, self._normal) for f in q)

    def _next_waiter(self) -> asyncio.Future[None] | None:
        for queue in (self._urgent, self._normal):
            while queue and queue[0].done():  # cancelled while waiting
                queue.popleft()
            if queue:
                return queue.popleft()
        return None

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds``, in this worker at once and in the others as soon as
        their reserved slots run out."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)
        self._reserved.clear()
        task = asyncio.get_running_loop().create_task(self._share_pause(seconds))
        self._pauses.add(task)
        task.add_done_callback(self._pauses.discard)

    async def close(self) -> None:
        """Finish telling the others about a pause, and let go of the connection."""
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        for task in list(self._pauses):
            with contextlib.suppress(Exception):
                await task
        await self.slots.close()

    async def _share_pause(self, seconds: float) -> None:
        with contextlib.suppress(Exception):  # the local pause holds either way
            await self.slots.reserve(0.0, pause=seconds)

    async def _next_slot(self) -> float:
        while True:
            now = time.monotonic()
            # A slot is this worker's to use at its time, not later: late slots dropped here
            # are what keeps sends from bunching after a stall.
            while self._reserved and self._reserved[0] < now - self.late:
                self._reserved.popleft()
            if self._reserved and self._reserved[0] >= self.paused_until:
                return self._reserved.popleft()
            self._reserved.clear()
            pause = max(0.0, self.paused_until - now)
            wait = await self.slots.reserve(self.batch * self.interval, pause=pause)
            # "From now" as the database saw it: at the latest, now is when its answer came.
            start = time.monotonic() + wait
            self._reserved.extend(start + i * self.interval for i in range(self.batch))


def shared_limiter(settings: Settings, bot_id: int | str) -> SharedRateLimiter | None:
    """The global limit of ``DELIVERY_RATE`` shared by all workers of bot ``bot_id``.

    In Redis when ``REDIS_URL`` is set, else in PostgreSQL when the database is; ``None`` on
    SQLite (one worker: its local limiter is exact) or with no limit (``DELIVERY_RATE=0``).
    Nothing connects until the first message is sent.
    """
    if not settings.delivery_rate:
        return None
    key = f"bot:{bot_id}"
    slots: SlotSource
    if settings.redis_url is not None:
        slots = RedisSlots(settings.redis_url.get_secret_value(), key)
    elif settings.database_url_value.startswith("postgresql"):
        slots = PostgresSlots(settings.database_url_value, key)
    else:
        return None
    return SharedRateLimiter(slots, settings.delivery_rate)
