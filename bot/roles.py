"""What each worker does when several share one database: ``WORKER_ROLE`` and leaderships.

Every worker can answer updates, drain the outbox and run the schedule; ``WORKER_ROLE`` narrows
that down, and advisory locks (:mod:`bot.leader`) make sure the jobs Telegram or the schedule
allow only once run in one worker at a time:

=========  ===================  ================  ====================================
role       answers updates      drains outbox     runs the edition schedule
=========  ===================  ================  ====================================
``all``    yes (see below)      yes               while it holds the ``scheduler`` lock
``poller`` yes (see below)      no                while it holds the ``scheduler`` lock
``sender`` no                   yes               while it holds the ``scheduler`` lock
=========  ===================  ================  ====================================

Telegram allows one ``getUpdates`` poller per bot, so a polling worker first takes the
``poller`` lock: a second one waits (draining the outbox meanwhile, if its role says so) and
takes over when the first dies. Webhook workers need no such lock: a load balancer spreads
updates between them. On SQLite, with its single worker, every lock is held at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import Application

from bot.leader import Callback, Leadership
from bot.services import Services

if TYPE_CHECKING:
    from bot.metrics import MetricsServer

log = logging.getLogger(__name__)

#: Where the running :class:`WorkerJobs` is kept in ``application.bot_data``.
WORKER_KEY = "worker"


def answers_updates(role: str) -> bool:
    """Whether a worker of ``role`` polls Telegram (or serves its webhook)."""
    return role in ("all", "poller")


def drains_outbox(role: str) -> bool:
    """Whether a worker of ``role`` sends queued deliveries."""
    return role in ("all", "sender")


@dataclass
class WorkerJobs:
    """The leaderships (and the metrics endpoint) a worker runs next to its handlers."""

    scheduler: Leadership
    poller: Leadership | None = None
    metrics: MetricsServer | None = None

    def leads(self) -> dict[str, bool]:
        """Which locks this worker holds now."""
        held = {"scheduler": self.scheduler.held}
        if self.poller is not None:
            held["poller"] = self.poller.held
        return held

    async def stop(self) -> None:
        """Close the metrics endpoint and give up every lock, so other workers take over at
        once."""
        if self.metrics is not None:
            await self.metrics.stop()
        if self.poller is not None:
            await self.poller.stop()
        await self.scheduler.stop()


async def start_worker_jobs(application: Application, services: Services) -> WorkerJobs:
    """Compete for the schedule and, for a polling worker, for polling; in ``post_init``.

    Returns once this worker may start answering updates: a second polling worker waits here
    until the first one is gone.
    """
    settings = services.settings
    scheduler = services.scheduler
    assert scheduler is not None
    jobs = WorkerJobs(
        scheduler=Leadership(
            services.store.engine, "scheduler", retry=settings.leader_retry,
            on_acquired=scheduler.start, on_lost=_stopper(scheduler.stop),
        ),
    )
    application.bot_data[WORKER_KEY] = jobs
    if settings.metrics_port is not None:
        await _serve_metrics(jobs, services)
    await jobs.scheduler.start()
    if not jobs.scheduler.held:
        log.info("another worker runs the edition schedule; this one takes over if it stops")

    polling = answers_updates(settings.worker_role) and not settings.webhook_url
    if polling and jobs.scheduler.shared:
        jobs.poller = Leadership(
            services.store.engine, "poller", retry=settings.leader_retry,
            on_acquired=_resume_polling(application), on_lost=_pause_polling(application),
        )
        await jobs.poller.start()
        if not jobs.poller.held:
            log.warning(
                "another worker is polling Telegram (only one may); this one waits to take "
                "over. Run extra workers with WORKER_ROLE=sender to avoid waiting."
            )
            await jobs.poller.wait_held()
    return jobs


async def _serve_metrics(jobs: WorkerJobs, services: Services) -> None:
    from bot.metrics import Metrics, MetricsServer

    metrics = Metrics(services, jobs.leads)
    metrics.instrument_sender()
    settings = services.settings
    assert settings.metrics_port is not None
    server = MetricsServer(metrics, settings.metrics_host, settings.metrics_port)
    try:
        await server.start()
    except OSError as exc:
        # Metrics are for operators; a taken port must not keep the bot from its subscribers.
        log.error("cannot serve metrics on %s:%d (%s); running without them",
                  settings.metrics_host, settings.metrics_port, exc.strerror or exc)
        await server.stop()
        return
    jobs.metrics = server


def _stopper(stop: Callback) -> Callback:
    async def stop_and_settle() -> None:
        await stop()
        # APScheduler's asyncio scheduler shuts down on the loop's next turn; let it, so that
        # a later stop or start sees it stopped.
        await asyncio.sleep(0)

    return stop_and_settle


def _resume_polling(application: Application) -> Callback:
    async def resume() -> None:
        updater = application.updater
        # At start-up polling begins after post_init; afterwards this restarts it.
        if updater is not None and application.running and not updater.running:
            await updater.start_polling(drop_pending_updates=False,
                                        allowed_updates=Update.ALL_TYPES)
            log.info("polling Telegram again")

    return resume


def _pause_polling(application: Application) -> Callback:
    async def pause() -> None:
        updater = application.updater
        if updater is not None and updater.running:
            log.warning("stopped polling Telegram: the poller lock was lost")
            await updater.stop()

    return pause


def run_without_updates(application: Application) -> None:
    """Run a worker that answers no updates (``WORKER_ROLE=sender``) until SIGINT/SIGTERM.

    The counterpart of ``run_polling``: initialise, ``post_init`` (outbox, schedule), wait for
    a stop signal, then ``post_shutdown``.
    """
    asyncio.run(_serve_without_updates(application))


async def _serve_without_updates(application: Application) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopping.set)
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        log.info("worker running without updates (WORKER_ROLE=sender)")
        await stopping.wait()
        await application.stop()
    finally:
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
        await application.shutdown()
