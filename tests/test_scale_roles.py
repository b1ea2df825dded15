"""Worker roles on one PostgreSQL database: one poller at a time, senders that never poll."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import postgres_only

from bot.app import build_application, running
from bot.local.server import BotAPIServer
from bot.roles import WORKER_KEY, WorkerJobs
from config import load_settings
from digests.ingest import SAMPLES_DIR
from digests.render import to_plain_text

TOKEN = "4444:roles-test-token"
pytestmark = postgres_only


async def test_a_second_poller_waits_and_takes_over_when_the_first_stops(
    database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL")
    settings = load_settings(_env_file=None, database_url=database_url, leader_retry=0.2)
    async with BotAPIServer(token=TOKEN) as server:
        first = build_application(settings, token=TOKEN, base_url=server.base_url,
                                  ingest=[SAMPLES_DIR])
        second = build_application(settings, token=TOKEN, base_url=server.base_url)
        entered = asyncio.Event()
        leave = asyncio.Event()

        async def run_second() -> None:
            async with running(second, poll_timeout=1):
                entered.set()
                await leave.wait()

        async with running(first, poll_timeout=1):
            standby = asyncio.create_task(run_second())
            await asyncio.sleep(1.0)
            # The second worker is up (its sender runs) but does not poll.
            jobs: WorkerJobs = second.bot_data[WORKER_KEY]
            assert jobs.poller is not None and not jobs.poller.held
            assert not entered.is_set()
            server.user_sends(5, "/start")
            [greeting] = await server.wait_for_messages(5, 1, 10)
            assert to_plain_text(greeting.text).strip()
        # The first worker stopped: the second takes over polling within a few retries.
        async with asyncio.timeout(10):
            await entered.wait()
        assert jobs.poller.held
        # The schedule is handed over on its own lock's timer, as quickly.
        for _ in range(100):
            if jobs.scheduler.held:
                break
            await asyncio.sleep(0.05)
        assert jobs.scheduler.held
        server.user_sends(5, "/latest")
        [latest] = await server.wait_for_messages(5, 1, 10)
        assert "Harbour Bridge" in to_plain_text(latest.text)
        leave.set()
        await standby
    # Telegram would have answered a second concurrent getUpdates with 409 Conflict.
    assert not [r for r in server.requests if r.method == "getUpdates" and not r.ok]
