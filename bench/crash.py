"""Crash safety: kill -9 the worker mid-fan-out again and again; nothing may be lost.

    python bench/crash.py [--subscribers 2000] [--kills 10] [--rate 300] [--seed N]

A local Bot API server runs as a process of its own (``python -m bot.local.serve``), logging
every call it answers. A two-part digest is queued for ``--subscribers`` chats, then the real
worker (``python -m bot``) is started, SIGKILLed at a random moment while it sends, and started
again, ``--kills`` times; a last run finishes the job. The verdict comes from the server's log,
not from the worker's own records:

* **lost**: a chat missing a part (must be 0);
* **out of order**: a chat that got part 2 before part 1 (must be 0);
* **duplicates**: extra copies of a part; at most the in-flight window (``DELIVERY_CONCURRENCY``,
  32 by default) per kill, see the README's "Delivery" section.

Exits with status 1 when a check fails. ``tests/test_delivery_crash.py`` runs it with 5 kills.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from delivery_common import (  # type: ignore[import-not-found]
    ROOT,
    TOKEN,
    Worker,
    seed_outbox,
    wait_until,
    worker_env,
)

from digests.store import Store

PARTS = [
    "Part 1 of the digest: <b>Harbour Bridge reopens</b> after a two-year repair.",
    "Part 2 of the digest: <i>figures</i> — USD 2 billion, 7,000 kilometres.",
]


class CallLog:
    """The server's JSON-lines log, read incrementally."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sends: list[dict] = []  # type: ignore[type-arg]
        self._offset = 0

    def refresh(self) -> int:
        """Read new complete lines; returns how many successful sends were logged so far."""
        if self.path.exists():
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            self._offset += len(complete)
            for line in complete.splitlines():
                call = json.loads(line)
                if call["method"] == "sendMessage" and call["status"] == 200:
                    self.sends.append(call)
        return len(self.sends)


def start_server(directory: Path, subscribers: int) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "bot.local.serve", "--token", TOKEN,
         "--log", str(directory / "calls.jsonl"), "--private", f"1-{subscribers}"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    if not line.startswith("listening on "):
        server.kill()
        raise RuntimeError(f"the Bot API server did not start: {line!r}")
    return server, line.split()[-1]


async def outbox_left(url: str) -> int:
    store = await Store.open(url, migrate=False)
    try:
        counts = await store.delivery_counts()
    finally:
        await store.close()
    return counts["pending"] + counts["sending"]


async def run(options: argparse.Namespace) -> int:
    rng = random.Random(options.seed)
    window = options.concurrency
    with tempfile.TemporaryDirectory(prefix="crash-") as tmp:
        directory = Path(tmp)
        url = f"sqlite+aiosqlite:///{directory / 'crash.sqlite3'}"
        server, base_url = start_server(directory, options.subscribers)
        try:
            await seed_outbox(url, range(1, options.subscribers + 1), PARTS)
            env = worker_env(base_url, url, rate=options.rate, concurrency=window)
            log = CallLog(directory / "calls.jsonl")
            expected = options.subscribers * len(PARTS)
            started = time.monotonic()
            kills: list[tuple[float, int]] = []
            for _ in range(options.kills):
                before = log.refresh()
                worker = Worker(env, directory / "worker.log")
                # Kill while it sends: after its first message, at a random moment.
                await wait_until(lambda before=before: log.refresh() > before, 60,
                                 "the restarted worker to send")
                await asyncio.sleep(rng.uniform(0.0, options.max_delay))
                worker.kill()
                kills.append((time.time(), log.refresh()))
                if log.refresh() >= expected:
                    break
            worker = Worker(env, directory / "worker.log")
            last_run = time.monotonic()
            deadline = last_run + options.timeout
            while await outbox_left(url) and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
            left = await outbox_left(url)
            print(f"  the last run finished the outbox in {time.monotonic() - last_run:.1f}s")
            worker.stop()
            log.refresh()
        finally:
            server.terminate()
            server.wait(10)
        return report(options, log, kills, window, left, time.monotonic() - started)


def report(
    options: argparse.Namespace, log: CallLog, kills: list[tuple[float, int]], window: int,
    left: int, elapsed: float,
) -> int:
    copies: Counter[tuple[int, int]] = Counter()
    order: dict[int, list[int]] = {}
    per_kill = [0] * len(kills)
    for send in log.sends:
        part = next(n for n, text in enumerate(PARTS) if send["text"][:6] == text[:6])
        chat = int(send["chat_id"])
        copies[(chat, part)] += 1
        order.setdefault(chat, []).append(part)
        if copies[(chat, part)] > 1:
            # A copy sent again is owed to the last kill before it.
            owed = [n for n, (killed_at, _) in enumerate(kills) if killed_at < send["t"]]
            if owed:
                per_kill[owed[-1]] += 1
    chats = range(1, options.subscribers + 1)
    lost = [(chat, part) for chat in chats for part in range(len(PARTS))
            if not copies[(chat, part)]]
    duplicates = sum(count - 1 for count in copies.values())
    disordered = [chat for chat, parts in order.items()
                  if [p for i, p in enumerate(parts) if p not in parts[:i]] != sorted(set(parts))]
    bound = window * len(kills)
    print(f"crash test: {options.subscribers:,} subscribers x {len(PARTS)} parts, "
          f"{len(kills)} kill -9s, in-flight window {window}, {elapsed:.1f}s")
    print("  killed after: " + ", ".join(f"{sent:,} messages" for _, sent in kills))
    print(f"  messages logged by the server: {len(log.sends):,}")
    print(f"  lost: {len(lost)} (must be 0)")
    print(f"  out of order: {len(disordered)} (must be 0)")
    print(f"  duplicates: {duplicates} (at most {window} per kill: {bound})")
    print("  duplicates after each kill: " + ", ".join(map(str, per_kill)))
    print(f"  deliveries left unfinished in the outbox: {left} (must be 0)")
    ok = (not lost and not disordered and duplicates <= bound and left == 0
          and max(per_kill, default=0) <= window)
    print("  PASS" if ok else "  FAIL")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--rate", type=float, default=300.0,
                        help="the worker's DELIVERY_RATE (messages a second)")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="the worker's DELIVERY_CONCURRENCY (the in-flight window)")
    parser.add_argument("--max-delay", type=float, default=0.6,
                        help="longest wait after a restarted worker's first send before a kill")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=None)
    options = parser.parse_args()
    raise SystemExit(asyncio.run(run(options)))


if __name__ == "__main__":
    main()
