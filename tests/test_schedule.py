"""Editions on real APScheduler cron triggers, with the store as the truth about past runs."""

from __future__ import annotations

import asyncio
import datetime as dt

from config import Edition
from config.cron import crontab_weekdays
from digests.ingest import SAMPLES_DIR, ingest_paths
from digests.render import Renderer
from digests.schedule import (
    EditionScheduler,
    describe_schedule,
    edition_trigger,
    fire_times_between,
    latest_fire_time,
)
from digests.store import Store

UTC = dt.UTC
MORNING = Edition(name="morning", cron="0 8 * * *", timezone="Europe/Kyiv")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def test_cron_fires_at_local_time_across_dst() -> None:
    trigger = edition_trigger(MORNING, "UTC")
    # Kyiv leaves summer time at 04:00 on 25 October 2026: 08:00 local is 05:00 UTC on the
    # 24th and 06:00 UTC from the 25th on; every run stays at 08:00 on the local clock.
    times = fire_times_between(trigger, at("2026-10-23T12:00:00+00:00"),
                               at("2026-10-27T12:00:00+00:00"))
    assert [(t.day, t.astimezone(UTC).hour) for t in times] == [(24, 5), (25, 6), (26, 6), (27, 6)]
    assert all(t.hour == 8 for t in times)


def test_latest_fire_time_looks_back() -> None:
    trigger = edition_trigger(Edition(name="n", cron="30 18 * * 1-5"), "UTC")
    # Sunday evening: the latest weekday run was Friday 18:30.
    assert latest_fire_time(trigger, at("2026-11-29T20:00:00+00:00")) == at(
        "2026-11-27T18:30:00+00:00")


def test_crontab_weekday_numbers_mean_what_cron_means() -> None:
    assert crontab_weekdays("1-5") == "mon,tue,wed,thu,fri"
    assert crontab_weekdays("0,6") == "sun,sat"
    assert crontab_weekdays("7") == "sun"
    assert crontab_weekdays("5-7") == "sun,fri,sat"
    assert crontab_weekdays("*/3") == "sun,wed,sat"
    assert crontab_weekdays("mon-fri") == "mon-fri"


def test_human_schedules() -> None:
    assert describe_schedule(MORNING, "UTC") == "every day at 08:00 (Europe/Kyiv)"
    assert describe_schedule(Edition(name="w", cron="0 7,19 * * 1-5"), "UTC") == (
        "on weekdays at 07:00, 19:00 (UTC)")


async def test_missed_run_is_caught_up_once(store: Store) -> None:
    await ingest_paths(store, [SAMPLES_DIR])
    await store.subscribe(1)
    renderer = Renderer()
    down_at = at("2026-11-20T06:00:00+00:00")
    first = await EditionScheduler(store, renderer, [MORNING]).publish("morning", down_at)
    assert first is not None

    # The worker was down for three mornings; on start it publishes the latest one only.
    now = at("2026-11-23T07:00:00+00:00")
    scheduler = EditionScheduler(store, renderer, [MORNING], clock=lambda: now)
    caught = await scheduler.catch_up("morning")
    assert caught is not None and caught.scheduled_for == at("2026-11-23T06:00:00+00:00")
    # A second start (or a second worker) finds nothing left to catch up.
    assert await scheduler.catch_up("morning") is None
    assert await scheduler.publish("morning", caught.scheduled_for) is None
    assert len(await store.deliveries_for_digest(caught.id)) == 1


async def test_fresh_install_does_not_backfill(store: Store) -> None:
    await ingest_paths(store, [SAMPLES_DIR])
    scheduler = EditionScheduler(store, Renderer(), [MORNING])
    assert await scheduler.catch_up("morning") is None
    assert await store.latest_digest() is None


async def test_real_trigger_fires_and_records_one_digest(store: Store) -> None:
    await ingest_paths(store, [SAMPLES_DIR])
    await store.subscribe(1)
    await store.subscribe(2)
    published = asyncio.Event()
    fire = dt.datetime.now(UTC).replace(microsecond=0) + dt.timedelta(seconds=2)
    edition = Edition(name="flash", cron=f"{fire.second} {fire.minute} {fire.hour} * * *")
    scheduler = EditionScheduler(store, Renderer(), [edition],
                                 on_published=lambda _record: published.set())
    await scheduler.start()
    try:
        await asyncio.wait_for(published.wait(), 10)
    finally:
        await scheduler.stop()
    digest = await store.latest_digest("flash")
    assert digest is not None and digest.scheduled_for == fire
    assert sorted(d.chat_id for d in await store.deliveries_for_digest(digest.id)) == [1, 2]


async def test_empty_store_publishes_nothing(store: Store) -> None:
    scheduler = EditionScheduler(store, Renderer(), [MORNING])
    assert await scheduler.publish("morning", at("2026-11-20T06:00:00+00:00")) is None
    assert await store.latest_digest() is None
