"""The delivery engine inside the running bot: replies beside a fan-out, /stats, the limit."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build_application, running
from bot.local.faults import FloodControl
from bot.local.server import BotAPIServer
from config import load_settings
from digests.ingest import SAMPLES_DIR
from digests.render import to_plain_text

TOKEN = "4747:delivery-app-token"
ADMIN = 900
RATE = 5


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(token=TOKEN) as api:
        yield api


async def test_replies_overtake_a_fan_out_and_both_share_the_limit(
    server: BotAPIServer, tmp_path: Path
) -> None:
    # Telegram's global limit at RATE a second, enforced by the server as Telegram would.
    server.interceptors.append(FloodControl(overall=(RATE, 1.0)))
    settings = load_settings(
        _env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        admin_ids=[ADMIN], delivery_rate=RATE, editions="morning=0 8 * * *",
    )
    app = build_application(settings, token=TOKEN, base_url=server.base_url,
                            ingest=[SAMPLES_DIR])
    async with running(app, poll_timeout=1) as services:
        chats = list(range(1, 41))
        for chat in chats:
            server.add_chat(chat, type="private", first_name=f"Reader {chat}")
            await services.store.subscribe(chat)
        server.block_chat(3)
        record = await services.store.record_digest(
            "morning", dt.datetime.now(dt.UTC), ["<b>Morning digest</b>"], [], None
        )
        assert record is not None and record.queued == 40
        assert services.sender is not None
        services.sender.wake()
        await server.wait_for_messages(5, 1, timeout=5)  # the fan-out is under way, past 3

        asked = time.monotonic()
        server.user_sends(ADMIN, "/stats")
        [stats] = await server.wait_for_messages(ADMIN, 1, timeout=5)
        # Eight seconds of outbox ahead of it, yet answered within about one turn.
        assert time.monotonic() - asked < 1.5
        shown = to_plain_text(stats.text)
        assert "queued:" in shown and "sent:" in shown
        assert "failed: 0" in shown and "blocked: 1" in shown
        lines = shown.splitlines()
        labels = [line.split(":")[0].strip("• ") for line in lines if line.startswith("•")]
        assert labels[-4:] == ["queued", "sent", "failed", "blocked"]

    sends = [r for r in server.requests if r.method == "sendMessage"]
    assert [r for r in sends if r.status == 429] == []  # replies were counted too
    answered = [r.at for r in sends]
    assert max(sum(1 for t in answered if start <= t < start + 1.0) for start in answered) <= RATE
    # Stopping the bot handed the rest of the fan-out back to the outbox, none lost.
    counts = await _counts(tmp_path)
    assert counts["sending"] == 0
    assert counts["pending"] + counts["sent"] + counts["blocked"] == 40


async def _counts(tmp_path: Path) -> dict[str, int]:
    from digests.store import Store

    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    try:
        return await store.delivery_counts()
    finally:
        await store.close()
