"""Editions -> APScheduler jobs -> queued deliveries.

The database is the truth: every run is recorded under its edition and scheduled time, so on
start the worker rebuilds its jobs from the settings, catches up the one most recent run it
missed while it was down, and never queues a run twice.

Two kinds of jobs run:

* one cron job per edition, serving the chats on the editions' own schedule;
* one job every minute, serving chats that chose their own times. It asks the store which
  (time zone, local minute) slots exist, works out in Python which of them fell due since the
  last tick (:func:`digests.preferences.due_instants`, exact across daylight-saving changes),
  and serves the chats in those slots. Its cost depends on the number of distinct slots, not
  of subscribers, and a cursor in the store lets a restart catch up what it missed, once.
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
from digests.i18n import T_
from digests.preferences import Slot, latest_due
from digests.render import Renderer
from digests.runs import RunOutcome, serve_run
from digests.store import DigestRecord, Store
from digests.store.retention import PruneReport

log = logging.getLogger(__name__)
OnPublished = Callable[[DigestRecord], Awaitable[None] | None]
# How late a run may still start; later than this it is left to the start-up catch-up.
MISFIRE_GRACE = dt.timedelta(hours=1)
#: A worker down longer than this does not send personal digests older than this on return.
PERSONAL_CATCH_UP = dt.timedelta(hours=24)
#: The run ledger only needs to outlive every catch-up window.
LEDGER_RETENTION = dt.timedelta(days=8)
PERSONAL_CURSOR = "personal"


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
        retention: dt.timedelta | None = None,
    ) -> None:
        self.store = store
        self.renderer = renderer
        self.editions = {e.name: e for e in editions}
        self.timezone = timezone
        self.on_published = on_published
        #: Where "now" comes from; tests replace it to run the schedule on a controlled clock.
        self.clock: Callable[[], dt.datetime] = clock or (lambda: dt.datetime.now(dt.UTC))
        #: Finished deliveries of runs older than this, and spent digests, are deleted every
        #: hour (see :mod:`digests.store.retention`); ``None`` keeps everything.
        self.retention = retention
        self.scheduler = AsyncIOScheduler(timezone=ZoneInfo(timezone))
        self.triggers = {e.name: edition_trigger(e, timezone) for e in editions}
        #: The personal-times job fires at second 0 of every minute.
        self.tick_trigger = CronTrigger(second=0, timezone=dt.UTC)

    async def start(self) -> None:
        """Catch up missed runs, then schedule every edition and the personal-times tick."""
        for name in self.editions:
            await self.catch_up(name)
        await self.tick()
        for name, trigger in self.triggers.items():
            self.scheduler.add_job(
                self.run, trigger, args=[name], id=f"edition:{name}", name=f"edition {name}",
                coalesce=True, max_instances=1,
                misfire_grace_time=int(MISFIRE_GRACE.total_seconds()), replace_existing=True,
            )
        self.scheduler.add_job(
            self.tick, self.tick_trigger, id="personal", name="personal times",
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
        known = [await self.store.last_scheduled_for(name), await self.store.last_run(name)]
        last = max((t for t in known if t is not None), default=None)
        if last is None:
            return None
        missed = fire_times_between(self.triggers[name], last, self.clock())
        if not missed:
            return None
        log.info("edition %s missed %d run(s) while down; catching up the latest",
                 name, len(missed))
        return await self.publish(name, missed[-1], scheduled=True)

    async def run(self, name: str) -> DigestRecord | None:
        """The job body: publish the run that is due now."""
        now = self.clock()
        scheduled_for = latest_fire_time(self.triggers[name], now) or now
        return await self.publish(name, scheduled_for, scheduled=True)

    async def publish(
        self, name: str, scheduled_for: dt.datetime, *, scheduled: bool = False
    ) -> DigestRecord | None:
        """Serve one run of edition ``name``; the digest most chats got, or ``None``."""
        outcome = await self.serve(name, scheduled_for, scheduled=scheduled)
        return None if outcome is None else outcome.main

    async def serve(
        self, name: str, scheduled_for: dt.datetime, *, scheduled: bool = False
    ) -> RunOutcome | None:
        """Serve one run of edition ``name``; what it queued, or ``None`` if it failed.

        A ``scheduled`` run goes to the chats on the editions' own schedule; otherwise (an
        admin's "publish now") to every active subscriber following the edition.
        """
        scheduled_for = scheduled_for.astimezone(dt.UTC)
        try:
            chat_ids = await self.store.edition_chats() if scheduled else None
            outcome = await serve_run(
                self.store, self.renderer, self.editions[name], scheduled_for, chat_ids,
                personal=False, default_timezone=self.timezone,
            )
        except Exception:
            # One failed run must not take the scheduler down; the next run tries again.
            log.exception("edition %s at %s failed", name, scheduled_for)
            return None
        for record in outcome.digests:
            await self._published(record)
        return outcome

    async def tick(self) -> list[RunOutcome]:
        """The personal-times job: serve every slot that fell due since the last tick.

        The window runs from the stored cursor (at most :data:`PERSONAL_CATCH_UP` back; a
        fresh database starts at this minute) to the current minute; each slot is served at
        its latest due instant in it, so a restart catches up once and a repeat does nothing.
        On the hour it also prunes the run ledger and, given a :attr:`retention`, the outbox.
        """
        until = self.clock().astimezone(dt.UTC).replace(second=0, microsecond=0)
        cursor = await self.store.get_cursor(PERSONAL_CURSOR)
        after = until - dt.timedelta(minutes=1) if cursor is None else max(
            cursor, until - PERSONAL_CATCH_UP)
        if after >= until:
            return []
        outcomes: list[RunOutcome] = []
        try:
            due: dict[dt.datetime, list[Slot]] = {}
            for slot in await self.store.delivery_slots():
                instant = latest_due(slot, after, until)
                if instant is not None:
                    due.setdefault(instant, []).append(slot)
            for instant in sorted(due):
                chats = await self.store.chats_in_slots(due[instant])
                for edition in self.editions.values():
                    outcomes.append(await serve_run(
                        self.store, self.renderer, edition, instant, chats, personal=True,
                        default_timezone=self.timezone,
                    ))
            await self.store.advance_cursor(PERSONAL_CURSOR, until)
            if until.minute == 0:
                await self.store.prune_runs(until - LEDGER_RETENTION)
        except Exception:
            # The cursor stays put: the next tick retries the window, the ledger dedups.
            log.exception("personal run up to %s failed", until)
            return outcomes
        for outcome in outcomes:
            for record in outcome.digests:
                await self._published(record)
        if until.minute == 0:
            # After this minute's runs are queued and the sender woken: a long first prune
            # of a large backlog delays the next tick, never this one's deliveries.
            await self.prune_outbox(until)
        return outcomes

    async def prune_outbox(self, now: dt.datetime) -> PruneReport | None:
        """Delete the outbox's history older than :attr:`retention`; ``None`` if nothing ran.

        A failure is logged, not raised: the schedule goes on, and the next hour tries again.
        """
        if self.retention is None:
            return None
        older_than = now - self.retention
        try:
            report = await self.store.prune_outbox(older_than)
        except Exception:
            log.exception("pruning the outbox before %s failed", older_than)
            return None
        if report.deliveries or report.digests:
            log.info("pruned the outbox before %s: %s", older_than, report)
        return report

    async def _published(self, record: DigestRecord) -> None:
        if self.on_published is not None:
            result = self.on_published(record)
            if result is not None:
                await result

    def next_runs(self) -> dict[str, dt.datetime | None]:
        """When each edition runs next, for /settings and the start greeting."""
        now = self.clock()
        return {name: t.get_next_fire_time(None, now) for name, t in self.triggers.items()}


def describe_schedule(edition: Edition, default_timezone: str) -> str:
    """A human reading of a cron schedule for the common shapes, the cron text otherwise.

    The text is English; templates show it in the reader's language (it is a ``T_`` text).
    """
    tz = edition.timezone or default_timezone
    fields = edition.cron.split()
    if len(fields) == 6:
        fields = fields[1:]
    minute, hour, day, month, weekday = fields
    if minute.isdigit() and day == "*" and month == "*" and all(
        h.isdigit() for h in hour.split(",")
    ):
        times = ", ".join(f"{int(h):02d}:{int(minute):02d}" for h in hour.split(","))
        every_day = T_("every day at %(times)s (%(tz)s)", times=times, tz=tz)
        weekdays = T_("on weekdays at %(times)s (%(tz)s)", times=times, tz=tz)
        weekends = T_("at weekends at %(times)s (%(tz)s)", times=times, tz=tz)
        days = {"*": every_day, "1-5": weekdays, "mon-fri": weekdays,
                "0,6": weekends, "sat,sun": weekends}.get(weekday.lower())
        if days:
            return days
    return T_("cron “%(cron)s” (%(tz)s)", cron=edition.cron, tz=tz)
