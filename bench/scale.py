"""Scale-out benchmark: delivered messages/s with 1, 2 and 3 workers on PostgreSQL, and the
time to enqueue 1,000,000 deliveries.

    .venv/bin/python bench/scale.py                 # the full run (about ten minutes)
    .venv/bin/python bench/scale.py --quick         # a short smoke run

Throughput: each run uses a fresh PostgreSQL database with ``--chats`` subscribers, the local
Bot API server in its own process with no rate limit (``python -m bot.local.serve``) and N real
``python -m bot`` workers (one ``all``, the rest ``WORKER_ROLE=sender``) with
``DELIVERY_RATE=0``. A digest is recorded for every subscriber; the rate is the number of
messages the *server* accepted divided by the time from its first to its last one. Every run
also checks that each subscriber got the digest exactly once, and reports the CPU each party
spent per message (workers, server, PostgreSQL), the WAL written and the connections held.

Paced (``--paced``): three workers sharing ``DELIVERY_RATE`` against a server enforcing that
limit: the achieved rate, the busiest second the server saw and its 429 answers.

Database alone: the outbox protocol (claim a batch with ``FOR UPDATE SKIP LOCKED``, record
the outcomes) in 1-3 processes with no Telegram at all: the ceiling PostgreSQL puts on this
design here. Processes claim as senders do (an owner each, one claim at a time, chats held by
one owner); a last run with anonymous claims shows what those rules cost. Enqueue: one digest
for 1,000,000 subscribers, in one transaction.

Figures are medians of ``--repeat`` runs. PostgreSQL comes from ``TEST_POSTGRES_URL``
(default ``postgresql://postgres@127.0.0.1:5432/test``), as for the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster import (
    FIRST_CHAT,
    ApiServerProcess,
    WorkerProcess,
    most_in_any_second,
    prepare_database,
    wait_for,
    worker_env,
    workers_ready,
)

from digests.store import DeliveryStatus, Store
from digests.store.outbox import owner_lock_key
from digests.store.records import DeliveryOutcome

SERVER = make_url(os.environ.get("TEST_POSTGRES_URL")
                  or "postgresql://postgres@127.0.0.1:5432/test")


async def admin(statement: str, *args: object) -> Any:
    """Run ``statement`` on the server's maintenance connection; its first value, if any."""
    dsn = SERVER.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval(statement, *args)
    finally:
        await connection.close()


async def fresh_database() -> str:
    name = f"digests_bench_{uuid.uuid4().hex[:10]}"
    await admin(f'CREATE DATABASE "{name}"')
    return SERVER.set(drivername="postgresql+asyncpg", database=name).render_as_string(
        hide_password=False
    )


async def drop_database(url: str) -> None:
    await admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


async def throughput_run(
    workers: int, chats: int, workdir: Path, limit: int = 0
) -> dict[str, float]:
    """One digest to ``chats`` subscribers by ``workers`` workers; with ``limit``, the server
    enforces that many messages a second and the workers are configured with the same."""
    url = await fresh_database()
    server = ApiServerProcess(workdir / f"sends-{uuid.uuid4().hex[:6]}.jsonl",
                              chats=(FIRST_CHAT, chats), limit=limit)
    processes: list[WorkerProcess] = []
    try:
        await prepare_database(url, range(FIRST_CHAT, FIRST_CHAT + chats))
        base_url = server.start()
        env = worker_env(base_url, url, delivery_rate=str(limit))
        for index in range(workers):
            role = "all" if index == 0 else "sender"
            worker = WorkerProcess(f"w{index}", {**env, "WORKER_ROLE": role},
                                   workdir / f"w{index}-{uuid.uuid4().hex[:6]}.log")
            worker.start()
            processes.append(worker)
        # Ready when every worker has opened its database and started its sender.
        await wait_for(lambda: workers_ready(processes), 60, "workers ready")
        pids = {"workers": [w.process.pid for w in processes if w.process],
                 "server": [server.process.pid] if server.process else []}
        before_cpu, before_wal = cpu_seconds(pids), await wal_position()
        async with await Store.open(url, migrate=False) as store:
            started = time.monotonic()
            await store.record_digest("bench", dt.datetime.now(dt.UTC),
                                      ["<b>Bench</b> digest"], [], None)
        await wait_for(lambda: len(server.accepted()) >= chats, 600, "all messages sent",
                       every=0.5)
        wall = time.monotonic() - started
        # Let the last outcomes be committed before reading the database's share.
        await asyncio.sleep(0.5)
        after_cpu, after_wal = cpu_seconds(pids), await wal_position()
        connections = await connection_count(url)
    finally:
        for worker in processes:
            worker.stop()
        server.stop()
        await drop_database(url)
    calls = server.sends()
    refused = sum(1 for s in calls if s["status"] == 429)
    sends = [s for s in calls if s["status"] == 200]
    received = Counter(s["chat"] for s in sends)
    assert len(received) == chats and max(received.values()) == 1, "not exactly once"
    times = sorted(s["t"] for s in sends)
    per_message = {f"{k}_us": (after_cpu[k] - before_cpu[k]) / chats * 1e6 for k in after_cpu}
    return {"rate": (len(times) - 1) / (times[-1] - times[0]), "wall": wall,
            "wal_bytes": (after_wal - before_wal) / chats, "refused": refused,
            "connections": connections / workers,
            "busiest_second": most_in_any_second(times), **per_message}


def _cpu_of(pid: int, *, children: bool = False) -> float:
    """utime + stime of ``pid`` (plus its reaped children's, for the postmaster's backends)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds used so far by the workers, the server and every PostgreSQL process."""
    postgres = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                and _comm(p) == "postgres"]
    out = {name: sum(_cpu_of(pid) for pid in group) for name, group in pids.items()}
    # Backends that ended (short connections) count through the postmaster's children time.
    out["postgres"] = sum(_cpu_of(pid, children=True) for pid in postgres)
    return out


def _comm(proc: Path) -> str:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:
        return ""


async def connection_count(url: str) -> int:
    """Sessions open on the database ``url`` names (the workers' pools and locks)."""
    return int(await admin("SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                           make_url(url).database))


async def wal_position() -> int:
    return int(await admin("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"))


async def enqueue_run(chats: int) -> dict[str, float]:
    url = await fresh_database()
    try:
        store = await Store.open(url)
        try:
            await subscribe_series(store, chats)
            started = time.perf_counter()
            record = await store.record_digest(
                "bench", dt.datetime.now(dt.UTC), ["<b>Bench</b> digest"], [], None
            )
            seconds = time.perf_counter() - started
            assert record is not None and record.queued == chats
            async with store.engine.connect() as connection:
                size = await connection.scalar(
                    text("SELECT pg_total_relation_size('deliveries')")
                )
        finally:
            await store.close()
    finally:
        await drop_database(url)
    return {"seconds": seconds, "bytes_per_delivery": size / chats}


async def _drain(url: str, batch: int, owned: bool) -> tuple[int, float, float]:
    """Claim and record as sent, as fast as the database allows (no Telegram at all).

    ``owned`` claims as a sender does: under an owner number whose lock this process holds,
    one claim at a time across processes, skipping chats another owner holds. Returns how
    many, and the wall-clock start and end (process start-up is not counted)."""
    done = 0
    owner = os.getpid() % (2**31 - 2) + 1 if owned else None
    async with await Store.open(url, migrate=False) as store, store.engine.connect() as lock:
        if owner is not None:
            await lock.execute(text("SELECT pg_advisory_lock(:k)"), {"k": owner_lock_key(owner)})
            await lock.commit()
        started = time.time()
        while claimed := await store.claim_deliveries(batch, owner=owner):
            await store.record_outcomes([
                DeliveryOutcome(delivery_id=d.id, chat_id=d.chat_id, status=DeliveryStatus.SENT,
                                parts_sent=len(d.parts), message_ids=[1], attempts=d.attempts)
                for d in claimed
            ], owner=owner)
            done += len(claimed)
    return done, started, time.time()


def _drain_process(url: str, batch: int, owned: bool) -> tuple[int, float, float]:
    return asyncio.run(_drain(url, batch, owned))


async def ceiling_run(
    deliveries: int, processes: int, batch: int = 500, *, owned: bool = True
) -> dict[str, float]:
    """The outbox protocol alone: ``processes`` claimers against one database."""
    url = await fresh_database()
    try:
        await enqueue_only(url, deliveries)
        before_cpu, before_wal = cpu_seconds({}), await wal_position()
        loop = asyncio.get_running_loop()
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            # Start every process first, so that they begin draining together.
            await asyncio.gather(*(loop.run_in_executor(pool, time.sleep, 0.5)
                                   for _ in range(processes)))
            results = await asyncio.gather(*(
                loop.run_in_executor(pool, _drain_process, url, batch, owned)
                for _ in range(processes)
            ))
        after_cpu, after_wal = cpu_seconds({}), await wal_position()
    finally:
        await drop_database(url)
    done = sum(r[0] for r in results)
    seconds = max(r[2] for r in results) - min(r[1] for r in results)
    assert done == deliveries, f"drained {done} of {deliveries}"
    return {"rate": deliveries / seconds,
            "postgres_us": (after_cpu["postgres"] - before_cpu["postgres"]) / deliveries * 1e6,
            "wal_bytes": (after_wal - before_wal) / deliveries}


async def subscribe_series(store: Store, chats: int) -> None:
    """Subscribe chats 1..``chats`` in one statement, and refresh the planner's statistics."""
    async with store.engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO subscribers (chat_id, chat_type, active, subscribed_at)"
            " SELECT g, 'private', true, now() FROM generate_series(1, :n) AS g"
        ), {"n": chats})
        await connection.execute(text("ANALYZE subscribers"))


async def enqueue_only(url: str, chats: int) -> None:
    async with await Store.open(url) as store:
        await subscribe_series(store, chats)
        await store.record_digest("bench", dt.datetime.now(dt.UTC), ["<b>Bench</b>"], [], None)


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000, help="subscribers per fan-out")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--enqueue", type=int, default=1_000_000, help="deliveries to enqueue")
    parser.add_argument("--ceiling", type=int, default=100_000,
                        help="deliveries drained with no Telegram, to measure the database")
    parser.add_argument("--paced", type=int, nargs="*", default=[30, 1000],
                        help="shared limits to check with 3 workers against a limiting server")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2,000 chats, 100,000 enqueued, once")
    args = parser.parse_args()
    if args.quick:
        args.chats, args.enqueue, args.ceiling, args.repeat = 2_000, 100_000, 20_000, 1

    print(f"PostgreSQL {SERVER.render_as_string(hide_password=True)}; {os.cpu_count()} CPUs; "
          f"medians of {args.repeat} run(s)")
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            runs = [await throughput_run(workers, args.chats, Path(tmp))
                    for _ in range(args.repeat)]
            rates = ", ".join(f"{r['rate']:.0f}" for r in runs)
            print(f"{workers} worker(s): {median(runs, 'rate'):7.0f} messages/s delivered "
                  f"({args.chats:,} chats; runs: {rates}; digest-to-last-message "
                  f"{median(runs, 'wall'):.1f} s)", flush=True)
            print(f"    CPU per message: workers {median(runs, 'workers_us'):.0f} us, "
                  f"Bot API server {median(runs, 'server_us'):.0f} us, PostgreSQL "
                  f"{median(runs, 'postgres_us'):.0f} us; WAL {median(runs, 'wal_bytes'):.0f} "
                  f"bytes; {median(runs, 'connections'):.0f} database connections per worker",
                  flush=True)
        for limit in args.paced:
            # Enough for every worker to hold work at once (each claims ~2 s of sending ahead).
            chats = max(1_500, limit * 8)
            runs = [await throughput_run(3, chats, Path(tmp), limit=limit)
                    for _ in range(args.repeat)]
            print(f"3 workers sharing DELIVERY_RATE={limit} (server enforcing it): "
                  f"{median(runs, 'rate'):.1f} messages/s = "
                  f"{median(runs, 'rate') / limit:.1%} of the limit; busiest second "
                  f"{median(runs, 'busiest_second'):.0f}; 429 answers "
                  f"{median(runs, 'refused'):.0f} ({chats:,} chats)", flush=True)
    for processes, owned in [(n, True) for n in args.workers] + [(args.workers[-1], False)]:
        runs = [await ceiling_run(args.ceiling, processes, owned=owned)
                for _ in range(args.repeat)]
        how = "as senders claim" if owned else "anonymous claims, no chat affinity"
        print(f"outbox alone, {processes} claimer process(es), {how}: "
              f"{median(runs, 'rate'):,.0f} deliveries/s claimed and recorded "
              f"({args.ceiling:,}; PostgreSQL {median(runs, 'postgres_us'):.0f} us CPU and "
              f"{median(runs, 'wal_bytes'):.0f} WAL bytes per delivery)", flush=True)
    runs = [await enqueue_run(args.enqueue) for _ in range(args.repeat)]
    seconds = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    print(f"enqueue {args.enqueue:,} deliveries: {median(runs, 'seconds'):.2f} s "
          f"({args.enqueue / median(runs, 'seconds'):,.0f} rows/s; runs: {seconds}); "
          f"outbox {median(runs, 'bytes_per_delivery'):.0f} bytes per delivery with indexes")


if __name__ == "__main__":
    asyncio.run(main())
