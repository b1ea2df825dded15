"""Delivery benchmark: how fast the worker fans a digest out, and what it costs.

    python bench/delivery.py [--runs 3] [--only raw,paced,reply,enqueue]

Each scenario runs the real worker (``python -m bot``) as a process of its own against the
local Bot API server in this process, on a fresh SQLite file, and prints the median of
``--runs`` runs (every run's figure in brackets):

* **raw**: one digest to 10,000 subscribers, no rate limit anywhere: messages a second as
  Telegram's side saw them (first to last), the worker's CPU microseconds per message (and
  the local Bot API server's, which shares the machine), the worker's peak memory;
* **paced**: the server enforcing Telegram's limits at 30/s (600 subscribers) and 1,000/s
  (10,000), the worker told the same limit: achieved rate as a fraction of it, 429s received;
* **reply**: ``/summary 1`` sent by a new user every 30 ms while a 10,000-chat fan-out runs
  at 1,000/s (``--reply-rate``; 0 for none): p50 and p99 from the user's message reaching
  "Telegram" to the reply reaching it;
* **enqueue**: recording a digest for 100,000 subscribers on SQLite (one transaction), in a
  process of its own: seconds and that process's peak memory.

Targets (issue 4): raw >= 1,500 msg/s; paced >= 97% with zero 429s; reply p99 < 300 ms;
enqueue < 10 s; worker memory < 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from delivery_common import (  # type: ignore[import-not-found]
    DIGEST_PART,
    ROOT,
    TOKEN,
    Worker,
    percentile,
    seed_outbox,
    seed_subscribers,
    wait_until,
    worker_env,
)

from bot.local.faults import FloodControl
from bot.local.server import BotAPIServer, SentMessage
from digests.ingest import SAMPLES_DIR

USERS_FROM = 5_000_000  # chat ids of the people asking /summary, apart from subscribers


@dataclass
class FanOut:
    """What the server saw of one fan-out."""

    expected: int
    times: list[float] = field(default_factory=list)
    cpu_at_first: float = 0.0
    cpu_at_last: float = 0.0
    server_cpu: list[float] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return len(self.times) >= self.expected

    @property
    def rate(self) -> float:
        return (len(self.times) - 1) / (self.times[-1] - self.times[0])


#: The worker's DELIVERY_CONCURRENCY (``--concurrency``).
CONCURRENCY = 32


async def fan_out(
    directory: Path, chats: int, *, rate: float, server_limit: int | None = None,
    users: bool = False,
) -> dict[str, float]:
    """Run one worker through one digest to ``chats`` subscribers; return its figures."""
    url = f"sqlite+aiosqlite:///{directory / 'bench.sqlite3'}"
    async with BotAPIServer(token=TOKEN) as server:
        for chat in range(1, chats + 1):
            server.add_chat(chat, type="private", first_name="Reader")
        if server_limit is not None:
            server.interceptors.append(FloodControl(overall=(server_limit, 1.0)))
        await seed_outbox(url, range(1, chats + 1), [DIGEST_PART])
        # This process stands in for Telegram: its set-up (imports, chats, seeding) is kept
        # out of the garbage collector's full passes, which otherwise stall the stand-in for
        # 100-200 ms at a time, a pause real Telegram does not take.
        gc.collect()
        gc.freeze()
        env = worker_env(server.base_url, url, rate=rate, concurrency=CONCURRENCY,
                         articles=SAMPLES_DIR if users else None)
        worker = Worker(env, directory / "worker.log")
        seen = FanOut(chats)
        replies: dict[int, float] = {}

        def on_message(message: SentMessage) -> None:
            if message.chat_id >= USERS_FROM:
                replies.setdefault(message.chat_id, time.monotonic())
                return
            seen.times.append(time.monotonic())
            if len(seen.times) == 1:
                seen.cpu_at_first = worker.cpu_seconds()
                seen.server_cpu.append(_own_cpu())
            elif len(seen.times) == chats:
                seen.cpu_at_last = worker.cpu_seconds()
                seen.server_cpu.append(_own_cpu())

        server.on_bot_message = on_message
        latencies: list[float] = []
        try:
            await wait_until(lambda: bool(seen.times), 60, "the first message")
            if users:
                latencies = await ask_while_running(server, seen, replies)
            await wait_until(lambda: seen.done, 600, f"{chats} messages")
            peak = worker.peak_rss_mb()
        finally:
            worker.stop()
        refused = sum(1 for r in server.failed_requests() if r.status == 429)
    gc.unfreeze()
    cpu = seen.cpu_at_last - seen.cpu_at_first
    figures = {
        "rate": seen.rate,
        "cpu_us": cpu / (chats - 1) * 1e6,
        "server_cpu_us": (seen.server_cpu[-1] - seen.server_cpu[0]) / (chats - 1) * 1e6,
        "peak_mb": peak,
        "refused": float(refused),
    }
    if latencies:
        figures["p50_ms"] = percentile(latencies, 0.50) * 1000
        figures["p99_ms"] = percentile(latencies, 0.99) * 1000
        figures["asked"] = float(len(latencies))
    return figures


async def ask_while_running(
    server: BotAPIServer, seen: FanOut, replies: dict[int, float]
) -> list[float]:
    """Send ``/summary`` from a new user every 30 ms until the fan-out ends; latencies."""
    asked: dict[int, float] = {}
    user = USERS_FROM
    while not seen.done:
        user += 1
        asked[user] = time.monotonic()
        server.user_sends(user, "/summary 1")
        await asyncio.sleep(0.03)
    await wait_until(lambda: all(u in replies for u in asked), 30, "every reply")
    return [replies[u] - asked[u] for u in asked]


async def enqueue(directory: Path, chats: int) -> dict[str, float]:
    url = f"sqlite+aiosqlite:///{directory / 'enqueue.sqlite3'}"
    await seed_subscribers(url, range(1, chats + 1))
    answer = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(Path(__file__).with_name("delivery_common.py")), "--enqueue", url],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )
    figures = json.loads(answer.stdout.strip().splitlines()[-1])
    assert figures["queued"] == chats, figures
    return {"seconds": figures["seconds"], "peak_mb": figures["peak_mb"]}


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def show(label: str, runs: list[dict[str, float]], key: str, fmt: str, unit: str = "") -> str:
    values = [run[key] for run in runs]
    each = ", ".join(format(v, fmt) for v in values)
    return f"{label}: {format(statistics.median(values), fmt)}{unit}  [{each}]"


async def main(options: argparse.Namespace) -> None:
    global CONCURRENCY
    CONCURRENCY = options.concurrency
    only = set(options.only.split(","))
    load = " ".join(os.getloadavg().__repr__().strip("()").split(", "))
    print(f"worker: DELIVERY_CONCURRENCY={CONCURRENCY}; load average before: {load}")
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
        base = Path(tmp)

        async def runs(name: str, scenario) -> list[dict[str, float]]:  # type: ignore[no-untyped-def]
            results = []
            for n in range(options.runs):
                directory = base / f"{name}-{n}"
                directory.mkdir()
                results.append(await scenario(directory))
            return results

        if "raw" in only:
            raw = await runs("raw", lambda d: fan_out(d, 10_000, rate=0))
            print("raw, 10,000 subscribers, no limit")
            print("  " + show("throughput", raw, "rate", ",.0f", " msg/s (target >= 1,500)"))
            print("  " + show("worker CPU", raw, "cpu_us", ".0f", " us/message"))
            print("  " + show("Bot API server CPU (this process)", raw, "server_cpu_us", ".0f",
                              " us/message"))
            print("  " + show("worker peak memory", raw, "peak_mb", ".0f",
                              " MB (target < 250)"))
        if "paced" in only:
            for limit, chats in ((30, 600), (1000, 10_000)):
                paced = await runs(f"paced{limit}", lambda d, limit=limit, chats=chats: fan_out(
                    d, chats, rate=limit, server_limit=limit))
                for run in paced:
                    run["fraction"] = run["rate"] / limit * 100
                print(f"paced at {limit}/s, {chats:,} subscribers (server enforcing {limit}/s)")
                print("  " + show("achieved", paced, "fraction", ".1f",
                                  "% of the limit (target >= 97%)"))
                print("  " + show("429 answers", paced, "refused", ".0f", " (target 0)"))
        if "reply" in only:
            rate = options.reply_rate
            reply = await runs("reply", lambda d: fan_out(d, 10_000, rate=rate, users=True))
            limit = f"DELIVERY_RATE={rate:g}" if rate else "no limit"
            print(f"reply latency of /summary during a 10,000-chat fan-out ({limit})")
            print("  " + show("p50", reply, "p50_ms", ".0f", " ms"))
            print("  " + show("p99", reply, "p99_ms", ".0f", " ms (target < 300)"))
            print("  " + show("fan-out meanwhile", reply, "rate", ",.0f", " msg/s"))
            print("  " + show("commands asked", reply, "asked", ".0f"))
        if "enqueue" in only:
            queued = await runs("enqueue", lambda d: enqueue(d, 100_000))
            print("enqueue of one digest to 100,000 subscribers (SQLite)")
            print("  " + show("time", queued, "seconds", ".2f", " s (target < 10)"))
            print("  " + show("peak memory of that process", queued, "peak_mb", ".0f", " MB"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="raw,paced,reply,enqueue")
    parser.add_argument("--reply-rate", type=float, default=1000,
                        help="DELIVERY_RATE of the reply scenario (0: no limit)")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY,
                        help="the worker's DELIVERY_CONCURRENCY (its in-flight window)")
    asyncio.run(main(parser.parse_args()))
