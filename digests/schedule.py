"""Editions -> APScheduler jobs -> queued deliveries.

The database is the truth: every run is recorded under its edition and scheduled time, so on
start the worker rebuilds its jobs from the settings, catches up the one most recent run it
missed while it was down, and never queues a run twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from config import Edition
from config.cron import cron_trigger
from digests.editions import publish
from digests.render import Renderer
from digests.store import DigestRecord, Store

log = logging.getLogger(__name__)
OnPublished = Callable[[DigestRecord], Awaitable[None] | None]
# How late a run may still start; later than this it is left to the start-up catch-up.
MISFIRE_GRACE = dt.timedelta(hours=1)


def edition_trigger(edition: Edition, default_timezone: str) -> CronTrigger:
    """A cron trigger for ``edition`` in its own time zone (or the bot's)."""
    return cron_trigger(edition.cron, ZoneInfo(edition.timezone or default_timezone))


def fire_times_between(
    trigger: CronTrigger, after: dt.datetime, until: dt.datetime, limit: int = 100_000
) -> list[dt.datetime]:
    """Fire times of ``trigger`` in the half-open interval ``(after, until]``."""
    times: list[dt.datetime] = []
    previous: dt.datetime | None = None
    cursor = after + dt.timedelta(microseconds=1)
    while len(times) < limit:
        fire = trigger.get_next_fire_time(previous, cursor)
        if fire is None or fire > until:
            break
        times.append(fire)
        previous, cursor = fire, fire + dt.timedelta(microseconds=1)
    return times


def latest_fire_time(trigger: CronTrigger, now: dt.datetime) -> dt.datetime | None:
    """The most recent fire time at or before ``now`` (looking back at most a week)."""
    for window in (dt.timedelta(seconds=2), dt.timedelta(minutes=2), dt.timedelta(hours=2),
                   dt.timedelta(days=2), dt.timedelta(days=8)):
        times = fire_times_between(trigger, now - window, now, limit=10_000)
        if times:
            return times[-1]
    return None


class EditionScheduler:
    """Runs every edition on its cron schedule inside the bot's event loop."""

    def __init__(
        self,
        store: Store,
        renderer: Renderer,
        editions: list[Edition],
        *,
        timezone: str = "UTC",
        on_published: OnPublished | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.store = store
        self.renderer = renderer
        self.editions = {e.name: e for e in editions}
        self.timezone = timezone
        self.on_published = on_published
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.scheduler = AsyncIOScheduler(timezone=ZoneInfo(timezone))
        self.triggers = {e.name: edition_trigger(e, timezone) for e in editions}

    async def start(self) -> None:
        """Catch up missed runs, then schedule every edition."""
        for name in self.editions:
            await self.catch_up(name)
        for name, trigger in self.triggers.items():
            self.scheduler.add_job(
                self.run, trigger, args=[name], id=f"edition:{name}", name=f"edition {name}",
                coalesce=True, max_instances=1,
                misfire_grace_time=int(MISFIRE_GRACE.total_seconds()), replace_existing=True,
            )
        self.scheduler.start()
        for job in self.scheduler.get_jobs():
            log.info("scheduled %s, next run %s", job.name, job.next_run_time)

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def catch_up(self, name: str) -> DigestRecord | None:
        """Publish the newest run missed since the last recorded one, once.

        A bot that has never published anything has missed nothing: its first edition is the
        next scheduled one.
        """
        last = await self.store.last_scheduled_for(name)
        if last is None:
            return None
        missed = fire_times_between(self.triggers[name], last, self._clock())
        if not missed:
            return None
        log.info("edition %s missed %d run(s) while down; catching up the latest",
                 name, len(missed))
        return await self.publish(name, missed[-1])

    async def run(self, name: str) -> DigestRecord | None:
        """The job body: publish the run that is due now."""
        now = self._clock()
        scheduled_for = latest_fire_time(self.triggers[name], now) or now
        return await self.publish(name, scheduled_for)

    async def publish(self, name: str, scheduled_for: dt.datetime) -> DigestRecord | None:
        scheduled_for = scheduled_for.astimezone(dt.UTC)
        try:
            record = await publish(self.store, self.renderer, self.editions[name], scheduled_for)
        except Exception:
            # One failed run must not take the scheduler down; the next run tries again.
            log.exception("edition %s at %s failed", name, scheduled_for)
            return None
        if record is not None and self.on_published is not None:
            result = self.on_published(record)
            if result is not None:
                await result
        return record

    def next_runs(self) -> dict[str, dt.datetime | None]:
        """When each edition runs next, for /settings and the start greeting."""
        now = self._clock()
        return {name: t.get_next_fire_time(None, now) for name, t in self.triggers.items()}


def describe_schedule(edition: Edition, default_timezone: str) -> str:
    """A human reading of a cron schedule for the common shapes, the cron text otherwise."""
    tz = edition.timezone or default_timezone
    fields = edition.cron.split()
    if len(fields) == 6:
        fields = fields[1:]
    minute, hour, day, month, weekday = fields
    if minute.isdigit() and day == "*" and month == "*" and all(
        h.isdigit() for h in hour.split(",")
    ):
        times = ", ".join(f"{int(h):02d}:{int(minute):02d}" for h in hour.split(","))
        days = {"*": "every day", "1-5": "on weekdays", "mon-fri": "on weekdays",
                "0,6": "at weekends", "sat,sun": "at weekends"}.get(weekday.lower())
        if days:
            return f"{days} at {times} ({tz})"
    return f"cron “{edition.cron}” ({tz})"
