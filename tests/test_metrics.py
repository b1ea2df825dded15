"""``/healthz`` and ``/metrics`` as an operator's scraper sees them, on a running bot."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
from conftest import database_url_for_run
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_application, running
from bot.local.server import BotAPIServer
from bot.metrics import Metrics
from bot.roles import WORKER_KEY
from bot.services import Services
from config import load_settings
from digests.ingest import SAMPLES_DIR
from digests.render import Renderer
from digests.store import Store

TOKEN = "4343:metrics-test-token"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


async def test_metrics_and_health_of_a_worker_that_published(tmp_path: Path) -> None:
    settings = load_settings(
        _env_file=None, database_url=database_url_for_run(tmp_path), metrics_port=0,
        admin_ids=[1], delivery_rate=0,
    )
    async with BotAPIServer(token=TOKEN) as server:
        app = build_application(settings, token=TOKEN, base_url=server.base_url,
                                ingest=[SAMPLES_DIR])
        async with running(app, poll_timeout=1) as services:
            port = app.bot_data[WORKER_KEY].metrics.port
            for chat in (2, 3, 4):
                server.user_sends(chat, "/start")
                await server.wait_for_messages(chat, 1, 10)
            server.block_chat(4)
            server.user_sends(1, "/publish morning")
            await server.wait_for_messages(1, 1, 10)
            await wait_until_sent(services)
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{port}/metrics") as answer:
                    assert answer.status == 200
                    assert answer.headers["Content-Type"].startswith("text/plain")
                    scraped = samples(await answer.text())
                async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    assert answer.status == 200
                    health = json.loads(await answer.text())
            published = await services.store.latest_digest("morning")

    # On PostgreSQL the polling worker also holds the poller lock; SQLite has no locks to share.
    leads = ["poller", "scheduler"] if settings.database_url_value.startswith("postgresql") else [
        "scheduler"
    ]
    assert health == {"status": "ok", "role": "all", "leads": leads, "database": "ok"}
    # Two digests sent and one refused send to the blocked chat, each timed.
    expected = {
        ("digestbot_outbox_queue_depth", ()): 0,
        ("digestbot_deliveries", (("status", "sent"),)): 2,
        ("digestbot_deliveries", (("status", "blocked"),)): 1,
        ("digestbot_delivered_total", ()): 2,
        ("digestbot_blocked_total", ()): 1,
        ("digestbot_send_seconds_count", ()): 3,
        ("digestbot_leader", (("lock", "scheduler"),)): 1,
    }
    assert {key: scraped.get(key) for key in expected} == expected
    assert published is not None
    last = scraped[("digestbot_last_edition_timestamp_seconds", (("edition", "morning"),))]
    assert abs(last - published.created_at.timestamp()) < 0.01


async def wait_until_sent(services: Services) -> None:
    async with asyncio.timeout(10):
        while True:
            counts = await services.store.delivery_counts()
            if counts["sent"] + counts["blocked"] == 3 and not counts["pending"]:
                return
            await asyncio.sleep(0.05)


async def test_health_is_503_when_the_database_is_unreachable() -> None:
    settings = load_settings(_env_file=None)
    store = await Store.open("postgresql://bot:s3cret@127.0.0.1:1/nowhere", migrate=False)
    try:
        services = Services(settings=settings, store=store, renderer=Renderer(None))
        status, body = await Metrics(services, lambda: {"scheduler": False}).health()
    finally:
        await store.close()
    assert status == 503 and body["status"] == "unhealthy"
    assert "unreachable" in body["database"] and "s3cret" not in json.dumps(body)
