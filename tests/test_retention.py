"""Retention: old finished deliveries and spent digests go; what is still read or sent stays."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import database_url_for_run
from sqlalchemy import text

from config import ConfigError, Edition, load_settings
from digests.render import Renderer
from digests.schedule import EditionScheduler
from digests.store import DeliveryStatus, Store
from digests.store.retention import PruneReport

UTC = dt.UTC
# Tomorrow, so that rows the store stamps with the real time are already due at NOW.
NOW = dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time(10), UTC)
CUTOFF = NOW - dt.timedelta(days=30)
MORNING = Edition(name="morning", cron="0 8 * * *")


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


async def digest(
    store: Store, edition: str, when: dt.datetime, outcomes: dict[int, str]
) -> int:
    """Record a digest for the chats in ``outcomes`` and bring each delivery to its status.

    A ``sending`` row is claimed as a sender claims, with every other due row: record such a
    digest before any with ``pending`` rows.
    """
    record = await store.record_digest(edition, when, ["<b>news</b>"], ["a"], list(outcomes))
    assert record is not None
    for delivery in await store.deliveries_for_digest(record.id):
        status = outcomes[delivery.chat_id]
        if status == DeliveryStatus.SENT:
            await store.mark_sent(delivery.id, [7])
        elif status in (DeliveryStatus.FAILED, DeliveryStatus.BLOCKED):
            await store.mark_failed(delivery.id, "Forbidden: bot was blocked", status)
    if DeliveryStatus.SENDING in outcomes.values():
        claimed = await store.claim_deliveries(1000, now=NOW)
        assert {d.chat_id for d in claimed if d.digest_id == record.id} == {
            chat for chat, status in outcomes.items() if status == DeliveryStatus.SENDING}
    return record.id


async def statuses(store: Store, digest_id: int) -> dict[int, str]:
    return {d.chat_id: str(d.status) for d in await store.deliveries_for_digest(digest_id)}


async def digest_ids(store: Store) -> set[int]:
    async with store.engine.connect() as connection:
        return set((await connection.execute(text("SELECT id FROM digests"))).scalars())


async def test_old_finished_deliveries_go_and_unfinished_ones_stay(store: Store) -> None:
    # A digest mid-send or parked in quiet hours keeps its unfinished rows, not its sent ones.
    sending = await digest(store, "morning", days_ago(38), {6: "sent", 7: "sending"})
    mixed = await digest(store, "morning", days_ago(40), {
        1: "sent", 2: "failed", 3: "blocked", 4: "pending"})
    spent = await digest(store, "morning", days_ago(35), {1: "sent", 2: "failed"})
    await digest(store, "morning", days_ago(45), {5: "pending"})
    recent = await digest(store, "morning", days_ago(29), {1: "sent", 2: "blocked"})
    await digest(store, "evening", days_ago(1), {1: "pending"})

    report = await store.prune_outbox(CUTOFF)

    assert report == PruneReport(deliveries=2 + 3 + 1, digests=1)
    assert str(report) == "6 deliveries and 1 digest deleted"
    assert await statuses(store, mixed) == {4: "pending"}
    assert await statuses(store, sending) == {7: "sending"}
    assert await statuses(store, recent) == {1: "sent", 2: "blocked"}
    assert spent not in await digest_ids(store)
    assert await store.delivery_counts() == {
        "pending": 3, "sending": 1, "sent": 1, "failed": 0, "blocked": 1}
    # Nothing left to do: a second run deletes nothing.
    assert await store.prune_outbox(CUTOFF) == PruneReport()


async def test_the_newest_digest_of_each_edition_stays_even_when_old(store: Store) -> None:
    await digest(store, "morning", days_ago(60), {1: "sent"})
    last_morning = await digest(store, "morning", days_ago(50), {1: "sent", 2: "sent"})
    last_evening = await digest(store, "evening", days_ago(45), {1: "failed"})
    # Variants of a run are never read back by name: they get no exemption.
    variant = await digest(store, "morning~0123456789", days_ago(50), {3: "sent"})
    personal = await digest(store, "morning@abcdef0123", days_ago(49), {4: "sent"})
    newest = await digest(store, "noon", days_ago(0.5), {1: "sent"})

    report = await store.prune_outbox(CUTOFF)

    assert report == PruneReport(deliveries=6, digests=3)
    assert await digest_ids(store) == {last_morning, last_evening, newest}
    assert await statuses(store, last_morning) == {}
    assert variant not in await digest_ids(store) and personal not in await digest_ids(store)
    # What the schedule's catch-up and the metrics read is still there.
    assert await store.last_scheduled_for("morning") == days_ago(50)
    latest = await store.latest_digest("evening")
    assert latest is not None and latest.id == last_evening


async def test_the_newest_digest_of_all_keeps_its_id(store: Store) -> None:
    # SQLite numbers a new row after the largest id left: were the newest digest deleted, the
    # next one would take its id, and a sender's cache of parts by id would send the old text.
    old = await digest(store, "morning~0123456789", days_ago(40), {1: "sent"})
    assert await store.prune_outbox(CUTOFF) == PruneReport(deliveries=1, digests=0)
    assert await digest_ids(store) == {old}
    later = await digest(store, "morning~9876543210", days_ago(0), {1: "pending"})
    assert later != old
    # With a newer digest recorded, the old variant is no longer the newest, and goes.
    assert await store.prune_outbox(CUTOFF) == PruneReport(deliveries=0, digests=1)
    assert await digest_ids(store) == {later}


async def test_batches_smaller_than_the_work(store: Store) -> None:
    # Groups and channels have negative ids; the walk through a digest starts below them all.
    chats = [-1001234567890, -42, *range(1, 24)]
    outcomes = {chat: "pending" if chat % 4 == 0 else "sent" for chat in chats}
    big = await digest(store, "morning", days_ago(40), outcomes)
    small = [
        await digest(store, f"morning~{n:010d}", days_ago(40 - n / 24), {n: "failed"})
        for n in range(7)
    ]
    await digest(store, "evening", days_ago(1), {1: "sent"})
    pending = {chat for chat, status in outcomes.items() if status == "pending"}

    report = await store.prune_outbox(CUTOFF, batch=3)

    assert report == PruneReport(deliveries=len(chats) - len(pending) + len(small), digests=7)
    assert await statuses(store, big) == {chat: "pending" for chat in pending}
    assert not set(small) & await digest_ids(store)
    with pytest.raises(ValueError, match="at least one"):
        await store.prune_outbox(CUTOFF, batch=0)


async def test_the_hourly_tick_prunes(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    old = await digest(store, "morning", days_ago(40), {1: "sent", 2: "pending"})
    await digest(store, "morning", days_ago(39), {1: "sent"})
    scheduler = EditionScheduler(store, Renderer(), [MORNING],
                                 retention=dt.timedelta(days=30))
    keeping = EditionScheduler(store, Renderer(), [MORNING])

    # Between the hours nothing is pruned, and a scheduler without retention never prunes.
    scheduler.clock = lambda: NOW - dt.timedelta(minutes=30)
    assert await scheduler.tick() == []
    keeping.clock = lambda: NOW
    assert await keeping.tick() == []
    assert await statuses(store, old) == {1: "sent", 2: "pending"}

    scheduler.clock = lambda: NOW + dt.timedelta(hours=1, seconds=5)
    with caplog.at_level(logging.INFO, logger="digests.schedule"):
        assert await scheduler.tick() == []
    assert await statuses(store, old) == {2: "pending"}
    assert await store.delivery_counts() == {
        "pending": 1, "sending": 0, "sent": 0, "failed": 0, "blocked": 0}
    assert "2 deliveries and 0 digests deleted" in caplog.text


async def test_a_failed_prune_is_logged_and_the_schedule_goes_on(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    old = await digest(store, "morning", days_ago(40), {1: "sent", 2: "pending"})
    scheduler = EditionScheduler(store, Renderer(), [MORNING], clock=lambda: NOW,
                                 retention=dt.timedelta(days=30))
    # The outbox table is briefly out of reach: the prune fails for real, nothing else does.
    async with store.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE deliveries RENAME TO deliveries_away"))
    try:
        with caplog.at_level(logging.INFO, logger="digests.schedule"):
            assert await scheduler.tick() == []
    finally:
        async with store.engine.begin() as connection:
            await connection.execute(text("ALTER TABLE deliveries_away RENAME TO deliveries"))
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failures] == [
        f"pruning the outbox before {CUTOFF} failed"]
    assert failures[0].exc_info is not None
    assert await store.get_cursor("personal") == NOW

    # The next hour tries again, and succeeds.
    scheduler.clock = lambda: NOW + dt.timedelta(hours=1)
    assert await scheduler.tick() == []
    assert await statuses(store, old) == {2: "pending"}


def test_retention_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("RETENTION_DAYS", raising=False)
    assert load_settings().retention == dt.timedelta(days=30)
    monkeypatch.setenv("RETENTION_DAYS", "0")
    assert load_settings().retention is None
    monkeypatch.setenv("RETENTION_DAYS", "3651")
    with pytest.raises(ConfigError, match=r"^RETENTION_DAYS: "):
        load_settings()


def prune_command(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("DATABASE_URL", "EDITIONS", "RETENTION_DAYS")}
    environment.update(DATABASE_URL=database_url_for_run(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-m", "digests", "prune", *args], cwd=tmp_path, env=environment,
        capture_output=True, text=True, timeout=120,
    )


async def test_prune_command(tmp_path: Path) -> None:
    now = dt.datetime.now(UTC)
    async with await Store.open(database_url_for_run(tmp_path)) as store:
        for days, chat in ((20, 1), (12, 2), (5, 3), (1, 4)):
            await digest(store, "morning", now - dt.timedelta(days=days), {chat: "sent"})

    off = prune_command(tmp_path, RETENTION_DAYS="0")
    assert off.returncode == 0, off.stderr
    assert off.stdout.startswith("RETENTION_DAYS is 0: keeping everything")

    by_setting = prune_command(tmp_path, RETENTION_DAYS="10")
    assert by_setting.returncode == 0, by_setting.stderr
    assert by_setting.stdout.startswith("2 deliveries and 2 digests deleted (runs before ")

    by_option = prune_command(tmp_path, "--days", "3", RETENTION_DAYS="10")
    assert by_option.stdout.startswith("1 delivery and 1 digest deleted (runs before ")

    refused = prune_command(tmp_path, "--days", "0")
    assert refused.returncode == 2
    assert "--days" in refused.stderr and "Traceback" not in refused.stderr

    async with await Store.open(database_url_for_run(tmp_path)) as store:
        latest = await store.latest_digest("morning")
        assert latest is not None and await statuses(store, latest.id) == {4: "sent"}
