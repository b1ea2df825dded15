"""How long the personal-times minute job takes with many subscribers.

Fills a database with N subscribers (default 100,000) spread over 40 time zones and the 96
quarter hours of the day, about a fifth of them following a topic, then times:

* an idle tick (a minute at which nobody is due): the floor cost every minute;
* a busy tick: the minute at which the most subscribers are due, fully served (ledger,
  variants rendered, deliveries queued); ``--one-slot`` puts everyone in the same minute.

    python bench/personal_schedule.py                      # SQLite file in a temp folder
    python bench/personal_schedule.py --url postgresql+asyncpg://postgres@127.0.0.1/bench -n 20000

Prints medians over a few runs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config import Edition  # noqa: E402
from digests.ingest import SAMPLES_DIR, ingest_paths  # noqa: E402
from digests.preferences import Slot, latest_due  # noqa: E402
from digests.render import Renderer  # noqa: E402
from digests.schedule import PERSONAL_CURSOR, EditionScheduler  # noqa: E402
from digests.store import Store  # noqa: E402
from digests.store.preferences import DeliverySlotRow, FollowRow, PreferenceRow  # noqa: E402
from digests.store.tables import SubscriberRow  # noqa: E402

ZONES = [
    "UTC", "Europe/London", "Europe/Lisbon", "Europe/Berlin", "Europe/Paris", "Europe/Warsaw",
    "Europe/Kyiv", "Europe/Istanbul", "Europe/Moscow", "Asia/Dubai", "Asia/Karachi",
    "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Asia/Seoul",
    "Australia/Sydney", "Australia/Perth", "Pacific/Auckland", "America/New_York",
    "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Sao_Paulo",
    "America/Mexico_City", "America/Toronto", "America/Bogota", "America/Lima",
    "America/Santiago", "Africa/Lagos", "Africa/Cairo", "Africa/Nairobi", "Africa/Johannesburg",
    "Asia/Jakarta", "Asia/Manila", "Asia/Tehran", "Asia/Kathmandu", "Atlantic/Reykjavik",
    "Pacific/Honolulu",
]


async def fill(store: Store, count: int, one_slot: bool = False) -> None:
    rng = random.Random(7)
    now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    subscribers, prefs, slots, follows = [], [], [], []
    for chat_id in range(1, count + 1):
        zone = "Europe/Kyiv" if one_slot else rng.choice(ZONES)
        minute = 8 * 60 if one_slot else rng.randrange(96) * 15
        subscribers.append(dict(chat_id=chat_id, chat_type="private", timezone=zone,
                                active=True, subscribed_at=now))
        prefs.append(dict(chat_id=chat_id, times=[minute], frequency="daily", editions=[],
                          length=rng.choice(["full", "brief"]), quote_of_the_day=False,
                          updated_at=now))
        slots.append(dict(chat_id=chat_id, minute=minute, timezone=zone, weekdays_only=False))
        if rng.random() < 0.2:
            follows.append(dict(chat_id=chat_id, kind="topic", key="riverton", value="Riverton"))
    async with store.engine.begin() as connection:
        for table, rows in ((SubscriberRow, subscribers), (PreferenceRow, prefs),
                            (DeliverySlotRow, slots), (FollowRow, follows)):
            for start in range(0, len(rows), 5000):
                await connection.execute(insert(table), rows[start:start + 5000])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("-n", "--subscribers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--one-slot", action="store_true",
                        help="everyone at 08:00 Kyiv time: the worst minute there can be")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
        store = await Store.open(url)
        try:
            await ingest_paths(store, [SAMPLES_DIR])
            started = time.perf_counter()
            await fill(store, args.subscribers, args.one_slot)
            print(f"filled {args.subscribers} subscribers in {time.perf_counter() - started:.1f}s")
            scheduler = EditionScheduler(store, Renderer(),
                                         [Edition(name="morning", cron="0 8 * * *")])
            slots = await store.delivery_slots()
            print(f"distinct slots: {len(slots)}")

            base = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
            busiest = max(
                (base + dt.timedelta(minutes=m) for m in range(0, 24 * 60, 15)),
                key=lambda t: sum(
                    latest_due(Slot(s.timezone, s.minute), t - dt.timedelta(minutes=1), t) == t
                    for s in slots),
            )
            idle, busy, served = [], [], []
            for run in range(args.runs):
                # The cursor only moves forward: each run is a day later than the last.
                moment = busiest + dt.timedelta(days=run)
                await store.advance_cursor(PERSONAL_CURSOR, moment - dt.timedelta(minutes=1))
                scheduler.clock = lambda t=moment: t
                started = time.perf_counter()
                outcomes = await scheduler.tick()
                busy.append(time.perf_counter() - started)
                served.append(sum(o.queued + o.empty for o in outcomes))

                quiet = moment + dt.timedelta(minutes=7)  # no slot falls at :07 or :52
                await store.advance_cursor(PERSONAL_CURSOR, quiet - dt.timedelta(minutes=1))
                scheduler.clock = lambda t=quiet: t
                started = time.perf_counter()
                await scheduler.tick()
                idle.append(time.perf_counter() - started)
            # The editions' own schedule for the same chats, once they drop their own times.
            async with store.engine.begin() as connection:
                await connection.execute(DeliverySlotRow.__table__.delete())
            edition_runs, queued = [], []
            for run in range(args.runs):
                moment = dt.datetime(2026, 12, 10, 8, tzinfo=dt.UTC) + dt.timedelta(days=run)
                scheduler.clock = lambda t=moment: t
                started = time.perf_counter()
                record = await scheduler.run("morning")
                edition_runs.append(time.perf_counter() - started)
                queued.append(len(await store.deliveries_for_digest(record.id)) if record else 0)
            print(f"edition run to {args.subscribers} chats (largest variant "
                  f"{statistics.median(queued):.0f}): median "
                  f"{statistics.median(edition_runs) * 1000:.0f} ms")
            print(f"idle tick: median {statistics.median(idle) * 1000:.0f} ms")
            print(f"busy tick ({statistics.median(served):.0f} chats due at "
                  f"{busiest:%H:%M} UTC): median {statistics.median(busy) * 1000:.0f} ms, "
                  f"{statistics.median(busy) / max(statistics.median(served), 1) * 1e6:.0f} µs "
                  "per chat")
        finally:
            await store.close()


if __name__ == "__main__":
    asyncio.run(main())
