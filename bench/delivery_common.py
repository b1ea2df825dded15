"""What ``bench/delivery.py`` and ``bench/crash.py`` share: a seeded outbox, a worker process.

The worker is the real one, ``python -m bot``, pointed by its environment at a local Bot API
server and an SQLite file; it is measured from outside through ``/proc``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from digests.store import Store  # noqa: E402
from digests.store.tables import SubscriberRow  # noqa: E402

TOKEN = "424242:bench-delivery-token-0123456789"
#: A digest of typical size: a few items with bold headlines, links and quotes (about 1.5 kB).
DIGEST_PART = "📰 <b>Morning digest</b> — Thursday\n\n" + "\n\n".join(
    f"<b>{n}. Harbour Bridge reopens after a two-year repair</b>\n"
    "Traffic returned to the bridge on Monday, the city said, after repairs that cost "
    "<b>USD 2 billion</b> &amp; took longer than planned.\n"
    "💬 “We kept every lane open we could” — <i>Mara Quist, chief engineer</i>\n"
    f'<a href="https://news.example/{n}">Read more</a>'
    for n in range(1, 5)
)
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


async def seed_subscribers(url: str, chats: range) -> None:
    """Subscribe ``chats``, in bulk: a benchmark's set-up, not what it measures."""
    store = await Store.open(url)
    try:
        now = store.clock()
        async with store.engine.begin() as connection:
            for start in range(chats.start, chats.stop, 20_000):
                rows = [
                    {"chat_id": chat, "chat_type": "private", "active": True,
                     "subscribed_at": now}
                    for chat in range(start, min(start + 20_000, chats.stop))
                ]
                await connection.execute(insert(SubscriberRow), rows)
    finally:
        await store.close()


async def enqueue_digest(
    url: str, parts: list[str], *, edition: str = "bench"
) -> tuple[int, float]:
    """Queue one digest to every subscriber, as the scheduler does; returns (queued, seconds)."""
    store = await Store.open(url)
    try:
        started = time.perf_counter()
        record = await store.record_digest(edition, store.clock(), parts, ["bench"], None)
        elapsed = time.perf_counter() - started
        assert record is not None and record.queued is not None
        return record.queued, elapsed
    finally:
        await store.close()


async def seed_outbox(url: str, chats: range, parts: list[str]) -> float:
    """Subscribe ``chats`` and queue one digest to all of them; returns the enqueue seconds."""
    await seed_subscribers(url, chats)
    queued, elapsed = await enqueue_digest(url, parts)
    assert queued == len(chats), queued
    return elapsed


def worker_env(
    base_url: str, database_url: str, *, rate: float, concurrency: int | None = None,
    articles: Path | None = None, admin: int | None = None,
) -> dict[str, str]:
    """The environment of a worker talking to ``base_url``, with a schedule that never fires."""
    own = ("DELIVERY_", "TELEGRAM_", "ARTICLES_DIR", "ADMIN_IDS", "SOURCES", "EDITIONS")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=base_url,
        DATABASE_URL=database_url,
        DELIVERY_RATE=str(rate),
        EDITIONS="bench-never=0 0 1 1 *",
        LOG_LEVEL="WARNING",
        COMMANDS_PER_MINUTE="10000",
        PYTHONUNBUFFERED="1",
    )
    if articles is not None:
        env["ARTICLES_DIR"] = str(articles)
    if admin is not None:
        env["ADMIN_IDS"] = str(admin)
    if concurrency is not None:
        env["DELIVERY_CONCURRENCY"] = str(concurrency)
    return env


class Worker:
    """One ``python -m bot`` process."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=ROOT, env=env,
            stdout=self._log, stderr=subprocess.STDOUT,
        )
        self.pid = self.process.pid

    def cpu_seconds(self) -> float:
        """User plus system CPU time used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS

    def peak_rss_mb(self) -> float:
        """The highest resident memory so far (``VmHWM``), in MB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def kill(self) -> None:
        """``kill -9``: no clean-up of any kind."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._log.close()

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; SIGKILL if it does not end in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


async def wait_until(condition, timeout: float, what: str, poll: float = 0.02) -> None:  # type: ignore[no-untyped-def]  # noqa: ASYNC109
    """Poll ``condition()`` until it is true; raise ``TimeoutError`` naming ``what``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(poll)


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` 0.99 is p99)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def _enqueue_child(url: str) -> None:
    """Queue the digest in this process and print seconds and peak memory as JSON."""
    queued, seconds = asyncio.run(enqueue_digest(url, [DIGEST_PART]))
    # VmHWM, not ru_maxrss: the latter survives exec and would report the parent's size.
    status = Path("/proc/self/status").read_text().splitlines()
    peak_mb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    print(json.dumps({"queued": queued, "seconds": seconds, "peak_mb": peak_mb}))


if __name__ == "__main__":
    # ``python bench/delivery_common.py --enqueue URL``: what a scheduler process pays to
    # queue a digest, measured with nothing else imported.
    if len(sys.argv) == 3 and sys.argv[1] == "--enqueue":
        _enqueue_child(sys.argv[2])
    else:
        raise SystemExit("usage: python bench/delivery_common.py --enqueue DATABASE_URL")
