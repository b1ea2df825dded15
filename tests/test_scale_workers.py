"""Three worker processes on one PostgreSQL database, judged by the Bot API server's own log.

Real ``python -m bot`` workers (one answering updates, the others ``WORKER_ROLE=sender``, or
all of them ``all``) and the local Bot API server (``python -m bot.local.serve``) each run in a
process of their own:

* one digest to 5,000 subscribers reaches each exactly once;
* with the server enforcing a global limit, the three workers together never exceed it;
* killing the worker that runs the schedule hands it to another within 30 s, and no run is
  lost or doubled;
* restarting a worker mid-delivery duplicates nothing the others are sending, and what a
  killed worker held is taken over by the live ones.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import postgres_only

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

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

from digests.store import Store

pytestmark = postgres_only


class Cluster:
    """A server process and worker processes, all stopped at the end of the test."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.server: ApiServerProcess | None = None
        self.workers: list[WorkerProcess] = []

    def serve(self, chats: int, limit: int = 0) -> str:
        self.server = ApiServerProcess(self.tmp_path / "sends.jsonl", limit=limit,
                                       chats=(FIRST_CHAT, chats))
        return self.server.start()

    def start(self, env: dict[str, str], roles: list[str]) -> list[WorkerProcess]:
        for index, role in enumerate(roles, start=len(self.workers)):
            worker = WorkerProcess(f"w{index}", {**env, "WORKER_ROLE": role},
                                   self.tmp_path / f"w{index}.log")
            worker.start()
            self.workers.append(worker)
        return self.workers

    def sends(self) -> list[dict]:
        assert self.server is not None
        return self.server.sends()

    def accepted(self) -> list[dict]:
        assert self.server is not None
        return self.server.accepted()

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        if self.server is not None:
            self.server.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {w.name}\n{w.log_path.read_text()[-3000:]}" for w in self.workers)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    running = Cluster(tmp_path)
    try:
        yield running
    finally:
        running.stop()


async def publish_now(url: str, chats: int) -> int:
    async with await Store.open(url) as store:
        record = await store.record_digest(
            "flash", dt.datetime.now(dt.UTC), ["<b>Flash</b> digest"], [], None
        )
        assert record is not None and record.queued == chats
        return record.queued


async def fan_out(
    cluster: Cluster, url: str, chats: int, rate: int, enforced: bool, **settings: str
) -> tuple[list[WorkerProcess], dict[str, str]]:
    """Three workers sharing ``rate`` messages/s, and a digest queued for ``chats`` chats.

    With ``enforced`` the server refuses what goes beyond ``rate``, as Telegram does. Returns
    the workers and their environment (to start more like them)."""
    await prepare_database(url, range(FIRST_CHAT, FIRST_CHAT + chats))
    base_url = cluster.serve(chats, limit=rate if enforced else 0)
    env = worker_env(base_url, url, delivery_rate=str(rate), **settings)
    workers = cluster.start(env, ["all", "sender", "sender"])
    await wait_for(lambda: workers_ready(workers), 60, "workers ready")
    await publish_now(url, chats)
    return workers, env


async def outbox_empty(url: str) -> bool:
    async with await Store.open(url, migrate=False) as store:
        counts = await store.delivery_counts()
    return counts["pending"] == 0 and counts["sending"] == 0


async def test_three_workers_deliver_a_digest_to_5000_subscribers_exactly_once(
    cluster: Cluster, fresh_postgres_url: str
) -> None:
    chats = 5000
    workers, _ = await fan_out(cluster, fresh_postgres_url, chats, 1000, enforced=False)
    await wait_for(lambda: len(cluster.accepted()) >= chats, 90,
                   f"{chats} messages at the server")
    await wait_for(lambda: outbox_empty(fresh_postgres_url), 20, "outbox empty")
    shares = [(await worker.metrics())["digestbot_delivered_total"] for worker in workers]
    cluster.stop()

    # All three drained the outbox at once, and between them delivered each digest once.
    assert all(share > 0 for share in shares) and sum(shares) == chats, shares
    received = Counter(s["chat"] for s in cluster.accepted())
    assert set(received) == set(range(FIRST_CHAT, FIRST_CHAT + chats))
    assert received.most_common(1)[0][1] == 1, "some subscriber got the digest twice"
    assert all(s["status"] == 200 for s in cluster.sends())
    async with await Store.open(fresh_postgres_url, migrate=False) as store:
        assert (await store.delivery_counts())["sent"] == chats


def leaders(workers: list[WorkerProcess], lock: str = "scheduler") -> list[WorkerProcess]:
    """Live workers whose last word about ``lock`` is that they hold it."""
    out = []
    for worker in workers:
        said = [r["message"] for r in worker.records()
                if str(r.get("message", "")).startswith(f"{lock} leadership ")]
        if worker.alive and said and said[-1] == f"{lock} leadership acquired":
            out.append(worker)
    return out


def acquired_at(worker: WorkerProcess, lock: str = "scheduler") -> dt.datetime:
    """When ``worker`` last took ``lock``."""
    record = [r for r in worker.records() if r.get("message") == f"{lock} leadership acquired"][-1]
    return dt.datetime.fromisoformat(record["time"].replace("Z", "+00:00"))


def only_leader(cluster: Cluster, lock: str = "scheduler") -> WorkerProcess:
    holders = leaders(cluster.workers, lock)
    assert len(holders) == 1, f"{lock} held by {[w.name for w in holders]}\n{cluster.logs()}"
    return holders[0]


async def runs(url: str, after: dt.datetime | None = None) -> list[dt.datetime]:
    """When each recorded run of the edition was due, in order (those due after ``after``)."""
    async with await Store.open(url, migrate=False) as store, store.engine.connect() as db:
        rows = await db.exec_driver_sql(
            "SELECT scheduled_for FROM digests WHERE edition = 'flash' ORDER BY 1"
        )
        return [row[0] for row in rows if after is None or row[0] > after]


async def has_runs(url: str, count: int, after: dt.datetime | None = None) -> bool:
    return len(await runs(url, after)) >= count


async def test_killing_the_scheduler_hands_the_schedule_over_with_no_run_lost_or_doubled(
    cluster: Cluster, fresh_postgres_url: str
) -> None:
    chats, period = 30, 3
    await prepare_database(fresh_postgres_url, range(FIRST_CHAT, FIRST_CHAT + chats))
    base_url = cluster.serve(chats)
    env = worker_env(base_url, fresh_postgres_url, delivery_rate="1000",
                     editions=f"flash=*/{period} * * * * *")
    workers = cluster.start(env, ["all", "all", "sender"])
    await wait_for(lambda: workers_ready(workers), 60, "workers ready")
    await wait_for(lambda: has_runs(fresh_postgres_url, 2), 3 * period, "two runs")
    leader = only_leader(cluster)
    poller = only_leader(cluster, "poller")

    # Between runs, with nothing in flight: a kill then cannot cost a message in flight.
    await wait_for(lambda: outbox_empty(fresh_postgres_url), 10, "outbox empty", every=0.05)
    leader.kill()
    killed_at = dt.datetime.now(dt.UTC)
    await wait_for(lambda: leaders(workers), 30, "a new scheduler leader")
    successor = only_leader(cluster)
    assert successor is not leader
    handover = (acquired_at(successor) - killed_at).total_seconds()
    assert handover < 30, cluster.logs()
    print(f"schedule handed over {handover:.1f} s after the kill")  # shown with -s

    await wait_for(lambda: has_runs(fresh_postgres_url, 3, after=killed_at), 5 * period + 5,
                   "three runs after the kill")
    await wait_for(lambda: outbox_empty(fresh_postgres_url), 10, "outbox empty")
    if poller is leader:
        # The killed worker was also polling Telegram: another "all" worker took that over.
        await wait_for(lambda: leaders(workers, "poller"), 10, "a new poller")
    cluster.stop()

    scheduled = await runs(fresh_postgres_url)
    gaps = {(b - a).total_seconds() for a, b in itertools.pairwise(scheduled)}
    assert gaps == {period}, f"runs lost or doubled: {scheduled}"
    received = Counter(s["chat"] for s in cluster.accepted())
    assert received == {chat: len(scheduled) for chat in range(FIRST_CHAT, FIRST_CHAT + chats)}


async def test_three_workers_together_never_exceed_the_rate_limit(
    cluster: Cluster, fresh_postgres_url: str
) -> None:
    chats, limit = 2000, 200
    # The server enforces the limit as Telegram does. Each worker is configured with the same
    # limit, so only sharing it keeps the three of them, all busy at once, under it.
    workers, _ = await fan_out(cluster, fresh_postgres_url, chats, limit, enforced=True)
    await wait_for(lambda: len(cluster.accepted()) >= chats, 60, f"{chats} messages")
    await wait_for(lambda: outbox_empty(fresh_postgres_url), 20, "outbox empty")
    shares = [(await worker.metrics())["digestbot_delivered_total"] for worker in workers]
    cluster.stop()

    assert all(share > 0 for share in shares), f"not every worker sent: {shares}"
    sends = cluster.sends()
    assert [s for s in sends if s["status"] != 200] == [], "the server refused sends (429)"
    times = sorted(s["t"] for s in sends)
    assert most_in_any_second(times) <= limit
    achieved = (len(times) - 1) / (times[-1] - times[0])
    assert achieved >= 0.85 * limit, f"only {achieved:.1f} messages/s"
    assert Counter(s["chat"] for s in sends) == dict.fromkeys(
        range(FIRST_CHAT, FIRST_CHAT + chats), 1
    )


async def sending_by_every_worker(url: str, workers: int) -> bool:
    """Whether ``workers`` different owners hold deliveries being sent right now."""
    async with await Store.open(url, migrate=False) as store, store.engine.connect() as db:
        owners = await db.exec_driver_sql(
            "SELECT count(DISTINCT claimed_by) FROM deliveries WHERE status = 'sending'"
        )
        return owners.scalar_one() >= workers


async def test_restarting_a_worker_mid_delivery_duplicates_nothing(
    cluster: Cluster, fresh_postgres_url: str
) -> None:
    chats = 3000
    workers, env = await fan_out(cluster, fresh_postgres_url, chats, 200, enforced=True)
    # Every worker holds deliveries it has yet to send when one of them restarts: the new
    # process must leave those alone.
    await wait_for(lambda: sending_by_every_worker(fresh_postgres_url, 3), 30, "three senders")
    workers[2].stop()
    cluster.start(env, ["sender"])
    await wait_for(lambda: workers_ready(cluster.workers[3:]), 60, "the restarted worker")
    await wait_for(lambda: outbox_empty(fresh_postgres_url), 60, "outbox empty")
    cluster.stop()

    received = Counter(s["chat"] for s in cluster.accepted())
    assert set(received) == set(range(FIRST_CHAT, FIRST_CHAT + chats))
    doubled = [chat for chat, count in received.items() if count > 1]
    assert doubled == [], f"{len(doubled)} subscribers got the digest twice"


async def test_live_workers_take_over_what_a_killed_worker_held(
    cluster: Cluster, fresh_postgres_url: str
) -> None:
    chats, concurrency = 3000, 8
    workers, _ = await fan_out(cluster, fresh_postgres_url, chats, 200, enforced=True,
                               delivery_concurrency=str(concurrency))
    await wait_for(lambda: sending_by_every_worker(fresh_postgres_url, 3), 30, "three senders")
    workers[2].kill()  # no restart: the two live workers must finish its share
    await wait_for(lambda: outbox_empty(fresh_postgres_url), 60, "outbox empty")
    cluster.stop()

    received = Counter(s["chat"] for s in cluster.accepted())
    assert set(received) == set(range(FIRST_CHAT, FIRST_CHAT + chats))
    # Only the messages on their way when the worker died can have gone out twice.
    doubled = [chat for chat, count in received.items() if count > 1]
    assert len(doubled) <= concurrency, doubled
