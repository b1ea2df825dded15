"""Polling news sources inside the worker, in one worker at a time.

Sources are polled by the worker that leads ``sources`` (an advisory lock on PostgreSQL, as for
the edition schedule; always this worker on SQLite), so several workers never fetch the same
feeds twice over.
"""

from __future__ import annotations

import logging

from telegram.ext import Application

from bot.leader import Leadership
from bot.services import Services
from digests.sources.poller import SourcePoller, poller_from_settings

log = logging.getLogger(__name__)

#: Where the running :class:`SourceJobs` is kept in ``application.bot_data``.
SOURCES_KEY = "sources"


class SourceJobs:
    """The source poller and the leadership that decides whether it runs here."""

    def __init__(self, poller: SourcePoller, leadership: Leadership) -> None:
        self.poller = poller
        self.leadership = leadership

    async def stop(self) -> None:
        await self.leadership.stop()
        await self.poller.aclose()


async def start_sources(application: Application, services: Services) -> SourceJobs | None:
    """Start polling the configured sources (in ``post_init``); ``None`` if there are none."""
    poller = poller_from_settings(services.settings, services.store)
    if poller is None:
        return None
    leadership = Leadership(
        services.store.engine, "sources", retry=services.settings.leader_retry,
        on_acquired=poller.start, on_lost=poller.stop,
    )
    await leadership.start()
    if not leadership.held:
        log.info("another worker polls the sources; this one takes over if it stops")
    jobs = SourceJobs(poller, leadership)
    application.bot_data[SOURCES_KEY] = jobs
    return jobs


async def stop_sources(application: Application) -> None:
    jobs: SourceJobs | None = application.bot_data.pop(SOURCES_KEY, None)
    if jobs is not None:
        await jobs.stop()
