"""``/healthz`` and Prometheus ``/metrics`` on ``METRICS_PORT``, served in the bot's loop.

Exposed (all prefixed ``digestbot_``):

* ``outbox_queue_depth`` — deliveries waiting or being sent, in the whole database;
* ``deliveries{status}`` — deliveries by status, in the whole database;
* ``sent_messages_total``, ``delivered_total``, ``failed_total``, ``blocked_total``,
  ``flood_waits_total``, ``retries_total`` — this worker's sender since it started;
* ``send_seconds`` — histogram of the time Telegram took to accept one message;
* ``last_edition_timestamp_seconds{edition}`` — when each edition was last published;
* ``leader{lock}`` — 1 while this worker holds the ``scheduler`` / ``poller`` lock.

Database figures are read when scraped, so they are right whichever worker sent what; a scrape
costs two small queries. ``/healthz`` answers 200 with a short JSON status while the database
answers, 503 otherwise, for load balancers and orchestrators.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy import text

from bot.services import Services

log = logging.getLogger(__name__)

#: Seconds a health check waits for the database.
HEALTH_TIMEOUT = 2.0
_SENDER_COUNTERS = {
    "sent": ("sent_messages", "Messages Telegram accepted from this worker's outbox"),
    "delivered": ("delivered", "Deliveries this worker finished with every part sent"),
    "failed": ("failed", "Deliveries this worker parked as failed"),
    "blocked": ("blocked", "Deliveries to chats that blocked the bot or vanished"),
    "flood_waits": ("flood_waits", "429 answers from Telegram (flood control)"),
    "retries": ("retries", "Transient send failures retried"),
}


class _SenderCollector(Collector):
    """This worker's sender counters, read from ``sender.stats`` when scraped."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[CounterMetricFamily]:
        stats = getattr(self.services.sender, "stats", None)
        for attribute, (name, documentation) in _SENDER_COUNTERS.items():
            family = CounterMetricFamily(f"digestbot_{name}", documentation)
            family.add_metric([], float(getattr(stats, attribute, 0) or 0))
            yield family


class Metrics:
    """The worker's metrics in a registry of their own (several workers may share a process
    in tests)."""

    def __init__(self, services: Services, leaderships: Callable[[], dict[str, bool]]) -> None:
        self.services = services
        self.leaderships = leaderships
        self.registry = CollectorRegistry(auto_describe=True)
        self.queue_depth = Gauge(
            "digestbot_outbox_queue_depth", "Deliveries waiting or being sent (whole database)",
            registry=self.registry,
        )
        self.deliveries = Gauge(
            "digestbot_deliveries", "Deliveries by status (whole database)", ["status"],
            registry=self.registry,
        )
        self.last_edition = Gauge(
            "digestbot_last_edition_timestamp_seconds",
            "When each edition was last published (Unix time)", ["edition"],
            registry=self.registry,
        )
        self.leader = Gauge(
            "digestbot_leader", "1 while this worker holds the lock", ["lock"],
            registry=self.registry,
        )
        self.send_seconds = Histogram(
            "digestbot_send_seconds", "Time Telegram took to accept one message",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.registry.register(_SenderCollector(services))

    def instrument_sender(self) -> None:
        """Time the sender's calls to Telegram."""
        if self.services.sender is not None:
            self.services.sender.on_send_time = self.send_seconds.observe

    async def refresh(self) -> None:
        """Read the database figures into the gauges."""
        store = self.services.store
        counts = await store.delivery_counts()
        for status, count in counts.items():
            self.deliveries.labels(status=status).set(count)
        self.queue_depth.set(counts.get("pending", 0) + counts.get("sending", 0))
        for edition in self.services.settings.editions:
            latest = await store.latest_digest(edition.name)
            if latest is not None:
                self.last_edition.labels(edition=edition.name).set(latest.created_at.timestamp())
        for lock, held in self.leaderships().items():
            self.leader.labels(lock=lock).set(1 if held else 0)

    async def render(self) -> bytes:
        await self.refresh()
        return generate_latest(self.registry)

    async def health(self) -> tuple[int, dict[str, Any]]:
        """``(http_status, body)``: 200 while the database answers, else 503."""
        body: dict[str, Any] = {
            "status": "ok",
            "role": self.services.settings.worker_role,
            "leads": sorted(lock for lock, held in self.leaderships().items() if held),
        }
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                async with self.services.store.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except Exception as exc:
            body.update(status="unhealthy", database=f"unreachable ({type(exc).__name__})")
            return 503, body
        body["database"] = "ok"
        return 200, body


class MetricsServer:
    """Serves ``/metrics`` and ``/healthz`` with aiohttp inside the bot's event loop."""

    def __init__(self, metrics: Metrics, host: str, port: int) -> None:
        self.metrics = metrics
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._health)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info("metrics and health on http://%s:%d/metrics and /healthz", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, request: web.Request) -> web.Response:
        try:
            payload = await self.metrics.render()
        except Exception as exc:
            log.warning("metrics unavailable: %s", type(exc).__name__)
            return web.Response(status=503, text="metrics unavailable: database unreachable\n")
        return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _health(self, request: web.Request) -> web.Response:
        status, body = await self.metrics.health()
        return web.Response(status=status, text=json.dumps(body),
                            content_type="application/json")
