"""One leader at a time: PostgreSQL advisory locks, hand-over when the leader goes away."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest
from conftest import postgres_only
from sqlalchemy.engine import make_url

from bot import leader as leader_module
from bot.leader import Leadership, lock_key
from digests.store import Store

RETRY = 0.1


class Events:
    """Records what a leadership's callbacks saw, in order."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    async def acquired(self) -> None:
        self.log.append(f"{self.name} leads")

    async def lost(self) -> None:
        self.log.append(f"{self.name} stops")


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"still not true after {seconds}s")


_started: list[Leadership] = []


@pytest.fixture
async def stores(postgres_url: str) -> AsyncIterator[list[Store]]:
    """Three workers' stores on one PostgreSQL database; their locks are freed afterwards."""
    opened = [await Store.open(postgres_url) for _ in range(3)]
    yield opened
    while _started:
        await _started.pop().stop()
    for store in opened:
        await store.close()


def leaderships(stores: list[Store], log: list[str], name: str = "scheduler") -> list[Leadership]:
    out = _started
    for index, store in enumerate(stores):
        events = Events(f"w{index}", log)
        out.append(Leadership(store.engine, name, on_acquired=events.acquired,
                              on_lost=events.lost, retry=RETRY))
    return out[-len(stores):]


@postgres_only
async def test_exactly_one_leads_and_a_stopped_leader_hands_over(stores: list[Store]) -> None:
    log: list[str] = []
    workers = leaderships(stores, log)
    for worker in workers:
        await worker.start()
    await asyncio.sleep(3 * RETRY)
    assert [w.held for w in workers] == [True, False, False]
    assert log == ["w0 leads"]

    await workers[0].stop()
    await until(lambda: any(w.held for w in workers[1:]))
    await asyncio.sleep(3 * RETRY)
    assert sum(w.held for w in workers) == 1
    assert log[:2] == ["w0 leads", "w0 stops"] and log[2] in ("w1 leads", "w2 leads")
    for worker in workers:
        await worker.stop()
    assert log[3:] == [log[2].replace("leads", "stops")]


@postgres_only
async def test_a_leader_stopped_mid_check_finishes_its_work_before_another_leads(
    stores: list[Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    log: list[str] = []

    async def wind_down() -> None:
        # Stopping a scheduler or sender waits for its running work, longer than stop()
        # waits for a query in flight; the lock must outlast all of it.
        await asyncio.sleep(0.4)
        log.append("leader stopped")

    monkeypatch.setattr(leader_module, "STOP_GRACE", 0.1)
    # With no pause between checks the leader's connection is nearly always mid-query when
    # stop() comes.
    leader = Leadership(stores[0].engine, "scheduler", on_lost=wind_down, retry=0.0)
    _started.append(leader)
    [standby] = leaderships(stores[1:2], log)
    for _ in range(3):
        await leader.start()
        await standby.start()
        await asyncio.sleep(0.05)
        await leader.stop()
        await until(lambda: standby.held)
        await standby.stop()
        assert log == ["leader stopped", "w0 leads", "w0 stops"], log
        log.clear()


@postgres_only
async def test_a_cancelled_stop_still_stops_the_work_and_frees_the_lock(
    stores: list[Store],
) -> None:
    log: list[str] = []

    async def wind_down() -> None:
        await asyncio.sleep(0.2)
        log.append("leader stopped")

    leader = Leadership(stores[0].engine, "scheduler", on_lost=wind_down, retry=0.0)
    _started.append(leader)
    [standby] = leaderships(stores[1:2], log)
    await leader.start()
    await standby.start()
    # A shutdown that is itself cancelled (a second Ctrl+C, a supervisor's timeout).
    stopping = asyncio.create_task(leader.stop())
    await asyncio.sleep(0.01)
    stopping.cancel()
    await until(lambda: standby.held)
    assert log == ["leader stopped", "w0 leads"]

    # Started again, it waits behind the standby with a single loop, not two.
    await leader.start()
    await asyncio.sleep(0.3)
    assert not leader.held
    await leader.stop()
    await standby.stop()
    assert [t for t in asyncio.all_tasks() if t.get_name() == "leadership:scheduler"] == []


@postgres_only
async def test_leader_whose_connection_dies_stops_and_another_takes_over(
    stores: list[Store], postgres_url: str
) -> None:
    log: list[str] = []
    first, second, _ = workers = leaderships(stores, log)
    await first.start()
    await second.start()
    assert first.held and not second.held

    # The leader's session ends as it would if its worker were killed or cut off.
    dsn = make_url(postgres_url).set(drivername="postgresql").render_as_string(False)
    admin = await asyncpg.connect(dsn)
    try:
        high, low = divmod(lock_key("scheduler") & 0xFFFF_FFFF_FFFF_FFFF, 1 << 32)
        terminated = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory'"
            " AND granted AND classid = $1::bigint::oid AND objid = $2::bigint::oid"
            # Advisory locks are per database: leave other databases' schedulers alone.
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            high, low,
        )
    finally:
        await admin.close()
    assert terminated == 1
    await until(lambda: second.held and not first.held)
    assert log == ["w0 leads", "w0 stops", "w1 leads"] or log == [
        "w0 leads", "w1 leads", "w0 stops"
    ]
    for worker in workers:
        await worker.stop()


@postgres_only
async def test_a_leader_that_fails_to_start_lets_another_lead(stores: list[Store]) -> None:
    attempts: list[int] = []

    async def broken() -> None:
        attempts.append(1)
        raise RuntimeError("catch-up failed")

    log: list[str] = []
    failing = Leadership(stores[0].engine, "scheduler", on_acquired=broken, retry=RETRY)
    _started.append(failing)
    await failing.start()
    assert not failing.held and attempts == [1]
    [healthy] = leaderships(stores[1:2], log)
    await healthy.start()
    await until(lambda: healthy.held)
    await failing.stop()
    await healthy.stop()


@postgres_only
async def test_locks_of_different_names_are_independent(stores: list[Store]) -> None:
    log: list[str] = []
    scheduler = leaderships(stores[:1], log, "scheduler")[0]
    poller = leaderships(stores[1:2], log, "poller")[0]
    await scheduler.start()
    await poller.start()
    assert scheduler.held and poller.held
    await scheduler.stop()
    await poller.stop()


async def test_sqlite_lock_is_held_at_once(sqlite_url: str) -> None:
    log: list[str] = []
    async with await Store.open(sqlite_url) as store:
        [only] = leaderships([store], log)
        assert not only.shared
        await only.start()
        assert only.held and log == ["w0 leads"]
        await only.wait_held()
        await only.stop()
        assert not only.held and log == ["w0 leads", "w0 stops"]


@postgres_only
async def test_a_leader_that_stops_talking_loses_the_lock(stores: list[Store]) -> None:
    log: list[str] = []
    frozen = Leadership(stores[0].engine, "scheduler", retry=RETRY, session_timeout=1.0)
    _started.append(frozen)
    await frozen.start()
    assert frozen.held
    # The worker freezes (or its machine vanishes): it no longer checks in, nor closes.
    assert frozen._task is not None
    frozen._task.cancel()
    [standby] = leaderships(stores[1:2], log)
    await standby.start()
    assert not standby.held
    await until(lambda: standby.held, seconds=10)
