"""Personal delivery times: exact local times across daylight saving, filters, catch-up, ledger.

The scheduler runs on a controlled clock: tests set ``scheduler.clock`` and call the minute job
(``tick``) or an edition run directly, as APScheduler would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from hypothesis import given, settings
from hypothesis import strategies as st

from config import Edition
from digests.ingest import SAMPLES_DIR, ingest_paths
from digests.models import Article
from digests.preferences import (
    Filters,
    Slot,
    due_instants,
    find_timezones,
    parse_time_of_day,
    parse_utc_offset,
    quiet_hours_end,
    wall_to_utc,
)
from digests.render import Renderer
from digests.schedule import EditionScheduler
from digests.store import Store

UTC = dt.UTC
KYIV = "Europe/Kyiv"
MORNING = Edition(name="morning", cron="0 8 * * *")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


# -- pure rules ------------------------------------------------------------------------------


def test_local_time_stays_local_across_autumn_and_spring_changes() -> None:
    eight = Slot(KYIV, 8 * 60)
    autumn = due_instants(eight, at("2026-10-23T12:00+00:00"), at("2026-10-27T12:00+00:00"))
    # Kyiv leaves summer time on 25 October: 08:00 is 05:00 UTC before, 06:00 UTC after.
    assert [t.strftime("%d %H:%M") for t in autumn] == ["24 05:00", "25 06:00", "26 06:00",
                                                       "27 06:00"]
    spring = due_instants(eight, at("2026-03-27T12:00+00:00"), at("2026-03-30T12:00+00:00"))
    assert [t.strftime("%d %H:%M") for t in spring] == ["28 06:00", "29 05:00", "30 05:00"]
    assert {t.astimezone(ZoneInfo(KYIV)).hour for t in autumn + spring} == {8}


def test_a_repeated_hour_delivers_once_and_a_skipped_hour_is_not_lost() -> None:
    half_three = Slot(KYIV, 3 * 60 + 30)
    # 25 Oct 2026: 04:00 EEST becomes 03:00 EET, so 03:30 happens twice: only the first counts.
    autumn = due_instants(half_three, at("2026-10-24T12:00+00:00"), at("2026-10-25T12:00+00:00"))
    assert autumn == [at("2026-10-25T00:30+00:00")]
    # 29 Mar 2026: 03:00 EET becomes 04:00 EEST, so 03:30 does not exist: it comes at 04:30.
    spring = due_instants(half_three, at("2026-03-28T12:00+00:00"), at("2026-03-29T12:00+00:00"))
    assert spring == [at("2026-03-29T01:30+00:00")]
    assert spring[0].astimezone(ZoneInfo(KYIV)).strftime("%H:%M") == "04:30"


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from([KYIV, "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
                          "Europe/London", "America/Santiago", "UTC"]),
    minute=st.integers(0, 24 * 60 - 1),
    start=st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 1)),
)
def test_every_local_day_delivers_exactly_once(
    zone: str, minute: int, start: dt.datetime
) -> None:
    after = start.replace(tzinfo=UTC)
    until = after + dt.timedelta(days=10)
    instants = due_instants(Slot(zone, minute), after, until)
    local_days = [t.astimezone(ZoneInfo(zone)).date() for t in instants]
    assert len(local_days) == len(set(local_days))  # never twice on one local day
    assert 9 <= len(instants) <= 11
    for earlier, later in itertools.pairwise(instants):
        assert dt.timedelta(hours=22) <= later - earlier <= dt.timedelta(hours=26)
    # Minute-by-minute windows, as the job sees them, find the same instants.
    ticks = [t for t in instants if due_instants(Slot(zone, minute),
                                                 t - dt.timedelta(minutes=1), t) == [t]]
    assert ticks == instants


def test_weekdays_only_skips_local_weekends() -> None:
    slot = Slot("Pacific/Auckland", 7 * 60, weekdays_only=True)
    found = due_instants(slot, at("2026-11-27T00:00+00:00"), at("2026-12-04T00:00+00:00"))
    assert [t.astimezone(ZoneInfo("Pacific/Auckland")).strftime("%a") for t in found] == [
        "Mon", "Tue", "Wed", "Thu", "Fri"]


def test_quiet_hours_hold_until_they_end_in_local_time() -> None:
    quiet = (22 * 60, 7 * 60)
    assert quiet_hours_end(at("2026-11-26T10:00+00:00"), KYIV, quiet) is None  # 12:00 local
    assert quiet_hours_end(at("2026-11-26T19:59+00:00"), KYIV, quiet) is None  # 21:59 local
    assert quiet_hours_end(at("2026-11-26T20:00+00:00"), KYIV, quiet) == at(
        "2026-11-27T05:00+00:00")  # 22:00 local -> 07:00 local tomorrow
    assert quiet_hours_end(at("2026-11-27T03:00+00:00"), KYIV, quiet) == at(
        "2026-11-27T05:00+00:00")  # 05:00 local -> 07:00 local today


def test_time_zone_search_by_city_and_offset() -> None:
    assert find_timezones("Kyiv")[0] == KYIV
    assert find_timezones("kiev")[0] == KYIV
    assert find_timezones("new york")[0] == "America/New_York"
    assert find_timezones("são paulo")[0] == "America/Sao_Paulo"
    winter = at("2026-12-01T12:00+00:00")
    plus_two = find_timezones("UTC+2", winter)
    assert KYIV in plus_two and plus_two[-1] == "Etc/GMT-2"  # IANA flips the sign
    assert find_timezones("+05:30", winter)[0] == "Asia/Kolkata"
    assert find_timezones("Atlantis") == []
    assert parse_utc_offset("gmt-3") == dt.timedelta(hours=-3)
    assert parse_utc_offset("+15") is None
    assert parse_time_of_day("8") == 480 and parse_time_of_day("07:45") == 465
    assert wall_to_utc(dt.date(2026, 7, 1), 480, ZoneInfo(KYIV)) == at("2026-07-01T05:00+00:00")


def article(ident: str, topics: list[str], body: str = "") -> Article:
    return Article(id=ident, title=f"Story {ident}", topics=topics, body=body,
                   summary=f"Summary of {ident}.")


def test_filters_follow_topics_words_and_mutes() -> None:
    energy = article("a", ["Energy", "Kyiv"])
    culture = article("b", ["Culture"], body="Volodymyr Zelenskyy visited the museum.")
    assert Filters().matches(energy) and Filters().matches(culture)
    assert Filters(topics=("energy",)).matches(energy)
    assert not Filters(topics=("energy",)).matches(culture)
    assert Filters(topics=("energy",), words=("ZELENSKÝY",)).matches(culture)
    assert not Filters(words=("zelensk",)).matches(culture)  # whole words only
    assert not Filters(muted=("kyiv",)).matches(energy)
    assert not Filters(topics=("Energy",), muted=("Kyiv",)).matches(energy)


# -- the scheduler on a controlled clock ------------------------------------------------------


async def setup(store: Store) -> EditionScheduler:
    await ingest_paths(store, [SAMPLES_DIR])
    return EditionScheduler(store, Renderer(), [MORNING])


async def personal_chat(store: Store, chat_id: int, timezone: str, times: list[int],
                        **changes: object) -> None:
    await store.subscribe(chat_id, timezone=timezone)
    await store.set_timezone(chat_id, timezone)
    await store.update_preferences(chat_id, times=times, **changes)


async def delivered_to(store: Store, scheduler: EditionScheduler, now: str) -> list[int]:
    scheduler.clock = lambda: at(now)
    outcomes = await scheduler.tick()
    chats = []
    for record in (r for o in outcomes for r in o.digests):
        chats += [d.chat_id for d in await store.deliveries_for_digest(record.id)]
    return sorted(chats)


async def test_personal_time_is_served_at_local_time_once(store: Store) -> None:
    scheduler = await setup(store)
    await personal_chat(store, 1, KYIV, [8 * 60])
    await store.subscribe(2)  # on the edition's own schedule
    await scheduler.store.advance_cursor("personal", at("2026-11-27T05:58+00:00"))
    assert await delivered_to(store, scheduler, "2026-11-27T05:59:30+00:00") == []
    assert await delivered_to(store, scheduler, "2026-11-27T06:00:00+00:00") == [1]
    assert await delivered_to(store, scheduler, "2026-11-27T06:00:40+00:00") == []
    # The edition's own run at 08:00 UTC leaves the chat with its own times alone.
    scheduler.clock = lambda: at("2026-11-27T08:00:00+00:00")
    record = await scheduler.run("morning")
    assert record is not None
    assert [d.chat_id for d in await store.deliveries_for_digest(record.id)] == [2]


async def test_daylight_saving_change_moves_nothing_by_an_hour(store: Store) -> None:
    scheduler = await setup(store)
    await personal_chat(store, 1, KYIV, [8 * 60])
    await store.advance_cursor("personal", at("2026-10-24T04:58+00:00"))
    assert await delivered_to(store, scheduler, "2026-10-24T05:00+00:00") == [1]  # 08:00 EEST
    await store.advance_cursor("personal", at("2026-10-25T04:58+00:00"))
    # The first morning of winter time: 05:00 UTC is 07:00 in Kyiv now, too early.
    assert await delivered_to(store, scheduler, "2026-10-25T05:00+00:00") == []
    assert await delivered_to(store, scheduler, "2026-10-25T05:59+00:00") == []
    assert await delivered_to(store, scheduler, "2026-10-25T06:00+00:00") == [1]


async def test_restart_catches_up_the_latest_missed_time_once(store: Store) -> None:
    scheduler = await setup(store)
    await personal_chat(store, 1, KYIV, [8 * 60])
    await personal_chat(store, 2, "America/New_York", [7 * 60])
    await store.advance_cursor("personal", at("2026-11-27T05:00+00:00"))
    # Down from 05:00 to 14:00 UTC: Kyiv's 08:00 (06:00 UTC) and New York's 07:00 (12:00 UTC)
    # were missed; each is served once on return, and only once.
    assert await delivered_to(store, scheduler, "2026-11-27T14:00+00:00") == [1, 2]
    fresh = EditionScheduler(store, Renderer(), [MORNING], clock=lambda: at(
        "2026-11-27T14:01+00:00"))
    assert await fresh.tick() == []
    # Even a worker whose cursor was lost serves nobody twice: the ledger remembers.
    await store.advance_cursor("personal", at("2026-11-27T05:00+00:00"))
    assert await store.claim_runs("morning", at("2026-11-27T06:00+00:00"), [1],
                                  personal=True) == []


async def test_twice_daily_weekdays_and_fresh_install(store: Store) -> None:
    scheduler = await setup(store)
    # A fresh database starts at the current minute: nothing is backfilled.
    scheduler.clock = lambda: at("2026-11-27T10:00+00:00")
    await personal_chat(store, 1, "UTC", [8 * 60, 18 * 60], frequency="twice")
    await personal_chat(store, 2, "UTC", [8 * 60, 18 * 60], frequency="daily")
    await personal_chat(store, 3, "UTC", [18 * 60], frequency="weekdays")
    assert await scheduler.tick() == []
    # Friday 27 November, 18:00: twice-daily and weekdays chats; not the daily one.
    assert await delivered_to(store, scheduler, "2026-11-27T18:00+00:00") == [1, 3]
    # Saturday: the weekdays chat rests.
    await store.advance_cursor("personal", at("2026-11-28T17:59+00:00"))
    assert await delivered_to(store, scheduler, "2026-11-28T18:00+00:00") == [1]


async def test_filters_pick_articles_and_an_empty_digest_is_not_sent(store: Store) -> None:
    scheduler = await setup(store)
    await personal_chat(store, 1, "UTC", [8 * 60])
    await personal_chat(store, 2, "UTC", [8 * 60])
    await personal_chat(store, 3, "UTC", [8 * 60], length="brief")
    assert await store.follow(1, "topic", "Riverton")
    for article in await store.recent_articles(10):  # chat 2 mutes a topic of every article
        await store.follow(2, "mute", article.topics[-1])
    await store.advance_cursor("personal", at("2026-11-27T07:59+00:00"))
    scheduler.clock = lambda: at("2026-11-27T08:00+00:00")
    [outcome] = await scheduler.tick()
    assert outcome.queued == 2 and outcome.empty == 1  # chat 2 muted every article
    by_chat = {}
    for record in outcome.digests:
        by_chat.update({d.chat_id: d for d in await store.deliveries_for_digest(record.id)})
    assert sorted(by_chat) == [1, 3]
    riverton = "".join(by_chat[1].parts)
    assert "Harbour Bridge" in riverton and "Solar Farm" not in riverton
    brief, full = "".join(by_chat[3].parts), "".join(by_chat[1].parts)
    assert "Solar Farm" in brief and "<blockquote>" not in brief
    assert "<blockquote>" in full


async def test_quiet_hours_hold_a_delivery_until_they_end(store: Store) -> None:
    scheduler = await setup(store)
    await personal_chat(store, 1, KYIV, [6 * 60], quiet=(22 * 60, 7 * 60))
    await store.advance_cursor("personal", at("2026-11-27T03:59+00:00"))
    scheduler.clock = lambda: at("2026-11-27T04:00+00:00")  # 06:00 in Kyiv: still quiet
    [outcome] = await scheduler.tick()
    [delivery] = await store.deliveries_for_digest(outcome.digests[0].id)
    assert delivery.next_attempt_at == at("2026-11-27T05:00+00:00")  # 07:00 in Kyiv
    assert await store.claim_deliveries(10, now=at("2026-11-27T04:30+00:00")) == []


async def test_changing_time_zone_moves_the_slot(store: Store) -> None:
    scheduler = await setup(store)
    await personal_chat(store, 1, "UTC", [8 * 60])
    await store.set_timezone(1, KYIV)
    await store.advance_cursor("personal", at("2026-11-27T05:59+00:00"))
    assert await delivered_to(store, scheduler, "2026-11-27T06:00+00:00") == [1]
    assert await delivered_to(store, scheduler, "2026-11-27T08:00+00:00") == []
    prefs = await store.get_preferences(1)
    assert prefs.timezone == KYIV and prefs.times == (480,)


async def test_the_minute_job_is_a_real_apscheduler_trigger(store: Store) -> None:
    scheduler = await setup(store)
    await scheduler.start()
    try:
        job = scheduler.scheduler.get_job("personal")
        assert job is not None and job.next_run_time.second == 0
        assert job.next_run_time - dt.datetime.now(UTC) <= dt.timedelta(minutes=1)
        # start() ran the job once: the cursor stands at the current minute.
        cursor = await store.get_cursor("personal")
        assert cursor is not None and cursor.second == 0
    finally:
        await scheduler.stop()


async def test_the_real_job_serves_a_chat_when_its_local_minute_comes(store: Store) -> None:
    scheduler = await setup(store)
    await personal_chat(store, 1, KYIV, [8 * 60])
    # The clock runs at real speed from two seconds before 08:00 in Kyiv; the job fires every
    # second here (every minute in production) so the test need not wait for a minute.
    offset = at("2026-11-27T05:59:58+00:00") - dt.datetime.now(UTC)
    scheduler.clock = lambda: dt.datetime.now(UTC) + offset
    scheduler.tick_trigger = CronTrigger(second="*", timezone=UTC)
    published = asyncio.Event()
    scheduler.on_published = lambda _record: published.set()
    await scheduler.start()
    try:
        await asyncio.wait_for(published.wait(), 10)
    finally:
        await scheduler.stop()
    digest = await store.latest_digest()
    assert digest is not None and digest.scheduled_for == at("2026-11-27T06:00+00:00")
    assert [d.chat_id for d in await store.deliveries_for_digest(digest.id)] == [1]
