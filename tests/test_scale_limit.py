"""The global rate limit shared by workers, in PostgreSQL or Redis.

Each limiter here has a connection of its own, as separate worker processes would; together
they must never grant more than the rate in any second, and a pause asked by one holds all.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import redis.asyncio as redis_asyncio
from conftest import TEST_DATABASE

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from cluster import most_in_any_second

import bot.shared_limit as limiter_module
from bot.shared_limit import (
    PostgresSlots,
    RedisSlots,
    Reservation,
    SharedRateLimiter,
    SlotSource,
    shared_limiter,
)
from config import load_settings
from digests.store import Store

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def redis_available() -> None:
    client = redis_asyncio.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({type(exc).__name__})")
    finally:
        await client.aclose()


@pytest.fixture(params=["postgresql", "redis"])
async def slot_sources(
    request: pytest.FixtureRequest,
) -> AsyncIterator[Callable[[], SlotSource]]:
    """A factory of slot sources sharing one key, each with its own connection."""
    key = f"test:{uuid.uuid4().hex[:8]}"
    made: list[SlotSource] = []
    if request.param == "postgresql":
        if TEST_DATABASE == "sqlite":
            pytest.skip("PostgreSQL only: runs in the PostgreSQL pass")
        url = request.getfixturevalue("postgres_url")
        await (await Store.open(url)).close()  # migrated: the rate_limits table exists

        def make() -> SlotSource:
            made.append(PostgresSlots(url, key))
            return made[-1]
    else:
        if TEST_DATABASE == "postgresql":
            pytest.skip("Redis needs no database: runs in the SQLite pass")
        await redis_available()

        def make() -> SlotSource:
            made.append(RedisSlots(REDIS_URL, key))
            return made[-1]

    yield make
    for source in made:
        await source.close()


async def grant_times(limiter: SharedRateLimiter, until: float, out: list[float]) -> None:
    while time.monotonic() < until:
        await limiter.acquire()
        out.append(time.monotonic())


async def test_three_workers_together_stay_within_the_rate(
    slot_sources: Callable[[], SlotSource],
) -> None:
    rate = 50
    limiters = [SharedRateLimiter(slot_sources(), rate) for _ in range(3)]
    granted: list[float] = []
    until = time.monotonic() + 2.5
    # Each "worker" has many sends waiting at once, as a fan-out does.
    await asyncio.gather(*(grant_times(lim, until, granted) for lim in limiters for _ in range(8)))
    assert most_in_any_second(granted) <= rate
    achieved = (len(granted) - 1) / (max(granted) - min(granted))
    assert achieved >= 0.9 * rate, f"only {achieved:.1f}/s"
    # Every worker got a share: the slots are shared, not won by one.
    shares = [lim.granted for lim in limiters]
    assert all(share > 0.2 * len(granted) for share in shares), shares


class StallingTelegram:
    """Handles each message a few milliseconds after it is sent, except during its stalls:
    what arrives then is handled all at once when the stall ends, as a busy server does."""

    def __init__(self, every: float, stall: float) -> None:
        self.every, self.stall = every, stall
        self.started = time.monotonic()
        self.handled: list[float] = []

    def _stalled_until(self, now: float) -> float:
        phase = (now - self.started) % self.every
        return now + (self.stall - phase) if phase < self.stall else now

    async def send(self, limiter: SharedRateLimiter) -> None:
        ticket = await limiter.acquire(track=True)
        try:
            await asyncio.sleep(0.003)  # on the way
            now = time.monotonic()
            await asyncio.sleep(self._stalled_until(now) - now)
            self.handled.append(time.monotonic())
            await asyncio.sleep(0.003)  # the answer on its way back
        finally:
            limiter.answered(ticket)


async def test_stalls_at_telegram_never_bunch_more_than_the_rate_into_one_second(
    slot_sources: Callable[[], SlotSource],
) -> None:
    # Even spacing alone fails here: a 0.4 s stall every 1.2 s makes Telegram handle 1.4 s
    # of evenly spaced sends within one second. Counting each message until a second after
    # its answer, across the workers, keeps every second within the limit.
    rate = 50
    limiters = [SharedRateLimiter(slot_sources(), rate) for _ in range(3)]
    telegram = StallingTelegram(every=1.2, stall=0.4)
    until = time.monotonic() + 4.0

    async def keep_sending(limiter: SharedRateLimiter) -> None:
        while time.monotonic() < until:
            await telegram.send(limiter)

    await asyncio.gather(*(keep_sending(lim) for lim in limiters for _ in range(8)))
    assert most_in_any_second(telegram.handled) <= rate
    achieved = len(telegram.handled) / (max(telegram.handled) - min(telegram.handled))
    assert achieved >= 0.75 * rate, f"only {achieved:.1f}/s"
    assert all(lim.in_flight == 0 for lim in limiters)
    for lim in limiters:
        await lim.close()


async def test_credits_of_a_worker_that_died_mid_send_come_back(
    slot_sources: Callable[[], SlotSource], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limiter_module, "LONGEST_FLIGHT", 3.0)
    rate = 20
    dying, survivor = SharedRateLimiter(slot_sources(), rate), SharedRateLimiter(
        slot_sources(), rate
    )
    # The dying worker takes every credit and never hears an answer (killed with -9).
    tickets = [await dying.acquire(track=True) for _ in range(rate)]
    assert all(ticket is not None for ticket in tickets)
    started = time.monotonic()
    await asyncio.wait_for(survivor.acquire(), 10)
    # Nothing was granted while the dead worker's messages could still be in flight (their
    # leases last LONGEST_FLIGHT from the grant, the first one about 1 s before ``started``).
    assert time.monotonic() - started >= 1.5
    await survivor.close()


async def test_a_pause_in_one_worker_holds_the_others(
    slot_sources: Callable[[], SlotSource],
) -> None:
    rate = 100
    pausing, other = SharedRateLimiter(slot_sources(), rate), SharedRateLimiter(
        slot_sources(), rate
    )
    granted: list[float] = []
    start = time.monotonic()
    task = asyncio.create_task(grant_times(other, start + 1.6, granted))
    await asyncio.sleep(0.3)
    pausing.pause(0.8)
    paused_at = time.monotonic()
    await task
    # The other worker may use what it had reserved (one batch, 50 ms) and nothing more.
    during = [t for t in granted if paused_at + 0.06 < t < paused_at + 0.79]
    assert during == []
    assert any(t > paused_at + 0.8 for t in granted), "sending never resumed"
    await pausing.close()


async def test_replies_go_before_the_outbox(slot_sources: Callable[[], SlotSource]) -> None:
    limiter = SharedRateLimiter(slot_sources(), 20)
    order: list[str] = []

    async def take(name: str, urgent: bool) -> None:
        await limiter.acquire(urgent=urgent)
        order.append(name)

    outbox = [asyncio.create_task(take(f"outbox{i}", False)) for i in range(6)]
    await asyncio.sleep(0)
    reply = asyncio.create_task(take("reply", True))
    await asyncio.gather(*outbox, reply)
    assert order.index("reply") <= 1


def test_the_backend_follows_the_settings() -> None:
    sqlite = load_settings(_env_file=None, delivery_rate=30)
    assert shared_limiter(sqlite, 7001) is None
    unlimited = load_settings(_env_file=None, delivery_rate=0,
                              database_url="postgresql://bot:pw@127.0.0.1/db")
    assert shared_limiter(unlimited, 7001) is None
    postgres = shared_limiter(load_settings(
        _env_file=None, delivery_rate=30, database_url="postgresql://bot:pw@127.0.0.1/db"
    ), 7001)
    assert isinstance(postgres, SharedRateLimiter) and isinstance(postgres.slots, PostgresSlots)
    with_redis = shared_limiter(load_settings(
        _env_file=None, delivery_rate=30, database_url="postgresql://bot:pw@127.0.0.1/db",
        redis_url="redis://:hunter2@127.0.0.1:6379/0",
    ), 7001)
    assert isinstance(with_redis, SharedRateLimiter) and isinstance(with_redis.slots, RedisSlots)
    assert "hunter2" not in repr(with_redis) and "pw" not in repr(postgres)


async def test_sending_waits_while_the_shared_state_is_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Flaky:
        """Refuses the first two reservations, as a restarting database would."""

        def __init__(self) -> None:
            self.calls = 0

        async def reserve(
            self, span: float, *, pause: float = 0.0, credits: int = 0, cap: int = 0
        ) -> Reservation:
            self.calls += 1
            if self.calls <= 2:
                raise ConnectionError("database restarting")
            return Reservation(0.0, self.calls)

        async def release(self, lease: int, after: float) -> None:
            return None

        async def close(self) -> None:
            return None

    monkeypatch.setattr(limiter_module, "RETRY_UNREACHABLE", 0.05)
    limiter = SharedRateLimiter(Flaky(), 100)
    started = time.monotonic()
    await asyncio.wait_for(limiter.acquire(), 2)
    assert limiter.slots.calls == 3 and time.monotonic() - started >= 0.1
