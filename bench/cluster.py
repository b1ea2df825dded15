"""Several worker processes, a Bot API server process and one PostgreSQL database.

Shared by ``tests/test_scale_workers.py`` and ``bench/scale.py``: real ``python -m bot``
workers (as an operator starts them) against the local Bot API server in its own process
(``python -m bot.local.serve``), whose log of answered calls is the judge of what Telegram would
have seen.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from digests.ingest import SAMPLES_DIR, ingest_paths  # noqa: E402
from digests.store import Store  # noqa: E402

TOKEN = "7001:scale-test-token-abcdefghijkl"
#: Subscriber chat ids start here (private chats have positive ids).
FIRST_CHAT = 1_000_000


def clean_env() -> dict[str, str]:
    """This process's environment without any bot setting that could leak into a worker."""
    prefixes = ("TELEGRAM", "DATABASE", "EDITIONS", "WORKER", "LOG_", "DELIVERY", "REDIS",
                "METRICS", "LEADER", "ARTICLES", "WEBHOOK", "SOURCES", "ADMIN")
    return {k: v for k, v in os.environ.items() if not k.upper().startswith(prefixes)}


@dataclass
class ApiServerProcess:
    """``python -m bot.local.serve`` running in a child process, logging the calls it answers."""

    log_path: Path
    limit: int = 0
    chats: tuple[int, int] = (0, 0)
    base_url: str = ""
    process: subprocess.Popen[str] | None = None

    def start(self) -> str:
        command = [sys.executable, "-m", "bot.local.serve", "--token", TOKEN,
                   "--log", str(self.log_path)]
        first, count = self.chats
        if count:
            command += ["--private", f"{first}-{first + count - 1}"]
        if self.limit:
            # Each chat gets one message in these runs: only Telegram's global limit matters.
            command += ["--rate", str(self.limit), "--no-chat-limits"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                                        env=clean_env(), cwd=ROOT)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the Bot API server did not start: {line!r}")
        self.base_url = line.split()[-1]
        return self.base_url

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(10)

    def sends(self) -> list[dict[str, Any]]:
        """Every ``sendMessage`` the server answered so far: ``t`` (Unix time), ``chat``,
        ``status``, ``text``."""
        if not self.log_path.exists():
            return []
        with self.log_path.open(encoding="utf-8") as log:
            calls = [json.loads(line) for line in log if line.endswith("\n")]
        return [{**call, "chat": call["chat_id"]} for call in calls
                if call["method"] == "sendMessage"]

    def accepted(self) -> list[dict[str, Any]]:
        """The sends answered with 200."""
        return [s for s in self.sends() if s["status"] == 200]


@dataclass
class WorkerProcess:
    """One ``python -m bot`` worker, logging JSON lines to a file."""

    name: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    _log: Any = field(default=None, repr=False)

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "bot"], env=self.env, cwd=ROOT,
                                        stdout=self._log, stderr=self._log)

    def kill(self) -> None:
        """``kill -9``: no clean-up at all, as when a machine dies."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self._log is not None:
            self._log.close()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def records(self) -> list[dict[str, Any]]:
        """The worker's log lines (JSON); other lines come back as ``{"message": line}``."""
        out = []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"message": line})
        return out

    def logged(self, message: str) -> bool:
        return any(r.get("message") == message for r in self.records())

    async def metrics(self) -> dict[str, float]:
        """This worker's ``/metrics`` (started with ``METRICS_PORT=0``), unlabelled samples."""
        import aiohttp
        from prometheus_client.parser import text_string_to_metric_families

        [url] = [str(r["message"]).split()[4] for r in self.records()
                 if str(r.get("message", "")).startswith("metrics and health on ")]
        async with aiohttp.ClientSession() as http, http.get(url) as answer:
            answer.raise_for_status()
            body = await answer.text()
        return {sample.name: sample.value
                for family in text_string_to_metric_families(body)
                for sample in family.samples if not sample.labels}


def workers_ready(workers: list[WorkerProcess]) -> bool:
    """Every worker started: it logged "ready", or that it waits for the poller lock (a
    standby poller sends while it waits). Raises if one exited."""
    for worker in workers:
        if not worker.alive:
            tail = worker.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"worker {worker.name} exited early:\n{tail}")
    return all(
        any(str(r.get("message", "")).startswith(("bot @", "another worker is polling"))
            for r in w.records())
        for w in workers
    )


def worker_env(base_url: str, database_url: str, **settings: str) -> dict[str, str]:
    env = clean_env()
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=base_url,
        DATABASE_URL=database_url,
        LOG_FORMAT="json",
        LEADER_RETRY="1",
        METRICS_PORT="0",
    )
    env.update({key.upper(): value for key, value in settings.items()})
    return env


async def prepare_database(url: str, chat_ids: Iterable[int]) -> None:
    """Migrate, store the sample articles and subscribe ``chat_ids`` (in bulk)."""
    store = await Store.open(url)
    try:
        await ingest_paths(store, [SAMPLES_DIR])
        ids = list(chat_ids)
        async with store.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO subscribers (chat_id, chat_type, active, subscribed_at)"
                    " SELECT id, 'private', true, now() FROM unnest(CAST(:ids AS bigint[])) AS id"
                ),
                {"ids": ids},
            )
    finally:
        await store.close()


async def wait_for(condition: Any, timeout: float, what: str, every: float = 0.2) -> None:  # noqa: ASYNC109
    """Poll ``condition()`` (sync or async) until true, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = condition()
        if asyncio.iscoroutine(outcome):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout}s")
        await asyncio.sleep(every)


def most_in_any_second(times: Iterable[float]) -> int:
    """The largest number of events within any window of one second (half-open)."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0
    )


def cron_at(moment: Any) -> str:
    """A six-field cron expression firing once a day at ``moment`` (UTC), to the second."""
    return f"{moment.second} {moment.minute} {moment.hour} * * *"
