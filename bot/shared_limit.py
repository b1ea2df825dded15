"""One global send rate shared by every worker of a bot token, kept in PostgreSQL or Redis.

Telegram limits a bot, not a process: three workers must together stay under the limit. Two
rules, both kept in one shared place, make that hold:

* **Spacing.** The limiter keeps the bot's *next free send slot* and hands out slots
  ``1 / rate`` seconds apart (the generic cell rate algorithm): a worker atomically moves the
  slot forward by a few intervals, reserving them, then sleeps until each of its slots comes.
  Slots never overlap, whichever worker holds them, so the sends of all workers together are
  spaced as one worker's would be.
* **Counting.** Telegram counts a message when it *handles* it, somewhere between our sending
  it and our hearing the answer; a stall on either side lets messages spaced over a longer
  span be handled within one second. So every reservation also takes a *lease* on as many
  credits as it has slots, and no more than ``rate`` credits are ever leased at once. A lease
  counts until one second after the answer to its last message (the sender reports answers
  through :meth:`SharedRateLimiter.answered`). Every message Telegram handles in a second was
  leased at that moment, so no second ever holds more than ``rate``, whatever the latency.

The shared state is one row in ``rate_limits`` plus the rows of ``rate_leases`` in
PostgreSQL, or three Redis keys moved by Lua scripts when ``REDIS_URL`` is set. Time is the
database's (or Redis's) clock, so the workers' clocks need not agree.

The interface is the local limiter's (:class:`~bot.delivery.limits.Limiter`)::

    limiter = SharedRateLimiter(PostgresSlots(store.engine, "bot:123"), rate=30)
    ticket = await limiter.acquire(track=True)
    try:
        await send()
    finally:
        limiter.answered(ticket)

Reserving a few slots per round trip keeps the load on the database small (at 1,000
messages/s, a few dozen statements a second). A slot a worker is too late to use is dropped,
never used late; a pause (Telegram's 429) drops the reserved slots of this worker at once,
and others' within one batch (at most ``batch_seconds``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery.limits import LONGEST_FLIGHT
from config import Settings
from digests.store import create_engine

#: Share of the rate the spacing leaves unused. A lease counts a little over a second (its
#: batch, the answers' latency, then one second), so spacing at 95% keeps the count under the
#: limit in normal running: slots then go to workers in turn, and the count only binds when a
#: stall bunches answers.
DEFAULT_HEADROOM = 0.05
#: How much sending time one reservation covers (each worker reserves that much at once).
DEFAULT_BATCH_SECONDS = 0.05
#: A slot this many seconds past is dropped rather than used late.
LATE_SLOT = 0.025
#: Seconds between attempts to reach the shared state when it does not answer.
RETRY_UNREACHABLE = 1.0
#: The span Telegram counts ``rate`` messages in, in seconds.
WINDOW = 1.0

log = logging.getLogger(__name__)


class Reservation(NamedTuple):
    """The answer to one reservation."""

    #: Seconds from now until the reserved slots start; when refused, until a lease expires
    #: (nothing can be leased before that).
    wait: float
    #: The lease holding the slots' credits; ``None`` when the limit is fully leased.
    lease: int | None


class SlotSource(Protocol):
    """Where the shared next-slot time and the leases live."""

    async def reserve(
        self, span: float, *, pause: float = 0.0, credits: int = 0, cap: int = 0
    ) -> Reservation:
        """Lease ``credits`` if no more than ``cap`` are then leased, and move the next free
        slot ``span`` seconds on, not starting before ``pause`` seconds from now. With
        ``credits=0`` only the slot moves (how a pause is shared)."""
        ...

    async def release(self, lease: int, after: float) -> None:
        """Let ``lease`` count for ``after`` more seconds, then expire."""
        ...

    async def close(self) -> None: ...


# The upsert locks the key's row: reservations of one key run one at a time, and each later
# statement of the transaction sees every lease committed before it.
_POSTGRES_LOCK = text(
    """
    INSERT INTO rate_limits AS r (key, tat, checked_at)
    VALUES (:key, 0, extract(epoch FROM clock_timestamp()))
    ON CONFLICT (key) DO UPDATE SET checked_at = excluded.checked_at
    RETURNING r.tat, r.checked_at
    """
)
_POSTGRES_LEASED = text(
    """
    WITH gone AS (DELETE FROM rate_leases WHERE key = :key AND expires_at <= :now)
    SELECT coalesce(sum(credits), 0), min(expires_at) FROM rate_leases
    WHERE key = :key AND expires_at > :now
    """
)
_POSTGRES_LEASE = text(
    "INSERT INTO rate_leases (key, credits, expires_at) VALUES (:key, :credits, :expires_at)"
    " RETURNING id"
)
_POSTGRES_MOVE = text("UPDATE rate_limits SET tat = :tat WHERE key = :key")
_POSTGRES_RELEASE = text(
    "UPDATE rate_leases SET expires_at = extract(epoch FROM clock_timestamp()) + :after"
    " WHERE id = :id"
)


class PostgresSlots:
    """The next free slot in a ``rate_limits`` row, the leases in ``rate_leases``.

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

    async def reserve(
        self, span: float, *, pause: float = 0.0, credits: int = 0, cap: int = 0
    ) -> Reservation:
        async with self.engine.begin() as db:
            tat, now = (await db.execute(_POSTGRES_LOCK, {"key": self.key})).one()
            lease = None
            if credits:
                leased, first_expiry = (
                    await db.execute(_POSTGRES_LEASED, {"key": self.key, "now": now})
                ).one()
                if leased + credits > cap:
                    return Reservation(max(0.0, (first_expiry or now) - now), None)
                lease = await db.scalar(
                    _POSTGRES_LEASE,
                    {"key": self.key, "credits": credits, "expires_at": now + LONGEST_FLIGHT},
                )
            start = max(tat, now + pause)
            await db.execute(_POSTGRES_MOVE, {"key": self.key, "tat": start + span})
        return Reservation(start - now, lease)

    async def release(self, lease: int, after: float) -> None:
        async with self.engine.begin() as db:
            await db.execute(_POSTGRES_RELEASE, {"id": lease, "after": after})

    async def close(self) -> None:
        if self._owned:
            await self.engine.dispose()


# KEYS: the next slot, the leases' expiry times (a sorted set), their credits (a hash), the
# lease counter. ARGV: span, pause, credits, cap, how long an unanswered lease may live.
# Redis's own clock (TIME) is the one clock.
_REDIS_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local credits = tonumber(ARGV[3])
local lease = 0
if credits > 0 then
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
    redis.call('HDEL', KEYS[3], id)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  local leased = 0
  for _, n in ipairs(redis.call('HVALS', KEYS[3])) do leased = leased + tonumber(n) end
  if leased + credits > tonumber(ARGV[4]) then
    local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    local wait = 0
    if first[2] then wait = math.max(0, tonumber(first[2]) - now) end
    return {'-1', string.format('%.6f', wait)}
  end
  lease = redis.call('INCR', KEYS[4])
  redis.call('HSET', KEYS[3], lease, credits)
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), lease)
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(tat, now + tonumber(ARGV[2]))
local nxt = start + tonumber(ARGV[1])
local keep = math.ceil((nxt - now + tonumber(ARGV[5])) * 1000) + 60000
redis.call('SET', KEYS[1], string.format('%.6f', nxt), 'PX', keep)
for i = 2, 4 do redis.call('PEXPIRE', KEYS[i], keep) end
return {tostring(lease), string.format('%.6f', start - now)}
"""

# KEYS: the leases' expiry times. ARGV: the lease, seconds it still counts.
_REDIS_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
return redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
"""


class RedisSlots:
    """The next free slot and the leases in Redis, moved by atomic Lua scripts."""

    def __init__(self, url: str, key: str) -> None:
        from redis.asyncio import Redis  # only workers configured with REDIS_URL need it

        self.client = Redis.from_url(url)
        # One hash tag: a Redis Cluster keeps the four keys on one node, as scripts need.
        self.key = f"digestbot:rate:{{{key}}}"
        self._keys = [self.key, f"{self.key}:leases", f"{self.key}:credits", f"{self.key}:seq"]
        self._reserve = self.client.register_script(_REDIS_RESERVE)
        self._release = self.client.register_script(_REDIS_RELEASE)

    async def reserve(
        self, span: float, *, pause: float = 0.0, credits: int = 0, cap: int = 0
    ) -> Reservation:
        lease, wait = await self._reserve(
            keys=self._keys, args=[span, pause, credits, cap, LONGEST_FLIGHT]
        )
        lease = int(lease)
        if lease < 0:
            return Reservation(float(wait), None)
        return Reservation(float(wait), lease or None)

    async def release(self, lease: int, after: float) -> None:
        await self._release(keys=[self._keys[1]], args=[lease, after])

    async def close(self) -> None:
        await self.client.aclose()

    def __repr__(self) -> str:
        # The URL may carry a password: name the key only.
        return f"<RedisSlots {self.key}>"


@dataclass(eq=False)
class _Lease:
    """Credits this worker holds: its reserved slots, and its messages not yet answered."""

    id: int
    slots: deque[float]
    flying: int = 0
    #: No more slots will be granted from it; it is given back once ``flying`` is 0.
    closed: bool = False


@dataclass(eq=False)
class _Waiter:
    future: asyncio.Future[int | None] = field(repr=False)
    track: bool


class SharedRateLimiter:
    """At most ``rate`` sends per second across every worker sharing ``slots``.

    Args:
        slots: where the shared state lives (:class:`PostgresSlots` or :class:`RedisSlots`).
        rate: messages per second for all workers together.
        headroom: the share of ``rate`` the spacing leaves unused.
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
        self.batch = max(1, math.floor(batch_seconds / self.interval))
        #: Most messages Telegram may handle in one second: the credits all workers may lease.
        self.per_window = max(self.batch, math.floor(rate * WINDOW))
        self.paused_until = 0.0
        self._lease: _Lease | None = None
        self._tickets: dict[int, _Lease] = {}
        self._next_ticket = 0
        self._urgent: deque[_Waiter] = deque()
        self._normal: deque[_Waiter] = deque()
        self._pump: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        #: Slots granted by this worker so far: for statistics and tests.
        self.granted = 0

    def __repr__(self) -> str:
        return f"<SharedRateLimiter {self.rate}/s via {self.slots!r}>"

    async def acquire(self, *, urgent: bool = False, track: bool = False) -> int | None:
        """Wait for the next slot this worker holds; never returns early, whoever else is
        sending. ``urgent`` callers (replies to a person) get the next slot before every
        waiting non-urgent one (the outbox).

        With ``track``, returns a ticket to hand to :meth:`answered` once Telegram answered
        (or the call failed); until then the message counts as in flight. An untracked
        grant counts from the moment it is granted.
        """
        waiter = _Waiter(asyncio.get_running_loop().create_future(), track)
        (self._urgent if urgent else self._normal).append(waiter)
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._grant_slots(), name="shared-rate-limit")
        return await waiter.future

    def answered(self, ticket: int | None) -> None:
        """Telegram answered the tracked message ``ticket`` (``None`` is ignored)."""
        lease = self._tickets.pop(ticket, None) if ticket is not None else None
        if lease is None:
            return
        lease.flying -= 1
        if lease.closed and lease.flying == 0:
            self._give_back(lease)

    @property
    def in_flight(self) -> int:
        """Tracked messages not answered yet."""
        return len(self._tickets)

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds``, in this worker at once and in the others as soon as
        their reserved slots run out."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)
        self._close_lease()
        self._in_background(self.slots.reserve(0.0, pause=seconds))

    async def close(self) -> None:
        """Give back what this worker holds, finish telling the others about a pause, and let
        go of the connection."""
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        self._close_lease()
        for lease in set(self._tickets.values()):
            # Unanswered at shutdown: Telegram may still count them for a second.
            lease.flying = 0
            self._give_back(lease)
        self._tickets.clear()
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self.slots.close()

    # -- internals -----------------------------------------------------------------------

    async def _grant_slots(self) -> None:
        """Hand each slot, at its time, to the first waiter; ends when nobody waits."""
        failing = False
        try:
            while self._waiting():
                try:
                    lease, slot = await self._next_slot()
                except Exception as exc:
                    # Database or Redis unreachable: hold every send until it answers again,
                    # rather than send unpaced (other workers may be sending) or fail the sender.
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
                # Paused meanwhile (the slot fell inside the pause), or woken too late to use
                # the slot without crowding the next ones: take another.
                if slot < self.paused_until or time.monotonic() > slot + LATE_SLOT:
                    continue
                waiter = self._next_waiter()
                if waiter is not None:
                    waiter.future.set_result(self._grant(lease, waiter.track))
        finally:
            self._retire_when_spent()

    def _grant(self, lease: _Lease, track: bool) -> int | None:
        self.granted += 1
        if not track:
            return None
        self._next_ticket += 1
        self._tickets[self._next_ticket] = lease
        lease.flying += 1
        return self._next_ticket

    async def _next_slot(self) -> tuple[_Lease, float]:
        while True:
            now = time.monotonic()
            lease = self._lease
            if lease is not None:
                # A slot is this worker's to use at its time, not later: late slots dropped
                # here are what keeps sends from bunching after a stall.
                while lease.slots and lease.slots[0] < now - LATE_SLOT:
                    lease.slots.popleft()
                if lease.slots and lease.slots[0] >= self.paused_until:
                    return lease, lease.slots.popleft()
                self._close_lease()
            reservation = await self.slots.reserve(
                self.batch * self.interval,
                pause=max(0.0, self.paused_until - now),
                credits=self.batch,
                cap=self.per_window,
            )
            if reservation.lease is None:
                # Every credit is leased; none comes back before the first lease expires.
                await asyncio.sleep(max(reservation.wait, 0.001))
                continue
            # "From now" as the database saw it: at the latest, now is when its answer came.
            start = time.monotonic() + reservation.wait
            self._lease = _Lease(
                reservation.lease, deque(start + i * self.interval for i in range(self.batch))
            )

    def _retire_when_spent(self) -> None:
        """Nobody waits: keep the lease for a caller coming back soon, but once its last slot
        has passed unused, give its credits back for every worker to use."""
        lease = self._lease
        if lease is not None:
            last = lease.slots[-1] if lease.slots else 0.0
            delay = max(0.0, last + LATE_SLOT - time.monotonic())
            asyncio.get_running_loop().call_later(delay, self._retire, lease)

    def _retire(self, lease: _Lease) -> None:
        if self._lease is lease and (self._pump is None or self._pump.done()):
            self._close_lease()

    def _close_lease(self) -> None:
        lease, self._lease = self._lease, None
        if lease is not None:
            lease.closed = True
            lease.slots.clear()
            if lease.flying == 0:
                self._give_back(lease)

    def _give_back(self, lease: _Lease) -> None:
        """The lease counts one more second from now (Telegram may count its last message
        until then), then frees its credits for every worker."""
        self._in_background(self.slots.release(lease.id, WINDOW))

    def _in_background(self, call: Awaitable[object]) -> None:
        async def run() -> None:
            # The shared state unreachable: a lease not given back expires on its own
            # (LONGEST_FLIGHT), and the local pause holds either way.
            with contextlib.suppress(Exception):
                await call

        task = asyncio.get_running_loop().create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _waiting(self) -> bool:
        return any(not w.future.done() for q in (self._urgent, self._normal) for w in q)

    def _next_waiter(self) -> _Waiter | None:
        for queue in (self._urgent, self._normal):
            while queue and queue[0].future.done():  # cancelled while waiting
                queue.popleft()
            if queue:
                return queue.popleft()
        return None


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
