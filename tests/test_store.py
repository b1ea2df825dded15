"""The store, on an SQLite file and on PostgreSQL (see the database fixtures in conftest.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import digests.store.__main__ as store_cli
from digests.models import Article, Figure, Quote, QuoteKind
from digests.store import (
    NotFound,
    Store,
    StoreError,
    create_engine,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from digests.store.tables import Base

UTC = dt.UTC
KYIV = ZoneInfo("Europe/Kyiv")
T0 = dt.datetime(2026, 5, 16, 8, 0, tzinfo=UTC)
TABLES = {"articles", "subscribers", "digests", "deliveries"}


class Clock:
    """Stands in for the store's clock so "now" is whatever the test says."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(store: Store) -> Clock:
    store.clock = fake = Clock(T0)
    return fake


def article(article_id: str, published_at: dt.datetime | None = None, **fields: object) -> Article:
    return Article(
        id=article_id, title=f"Headline {article_id}", published_at=published_at, **fields
    )


async def digest_with_chats(
    store: Store, chat_ids: list[int], edition: str = "morning", when: dt.datetime = T0
) -> int:
    record = await store.record_digest(edition, when, ["<b>part 1</b>", "part 2"], ["a"], chat_ids)
    assert record is not None
    return record.id


# -- migrations and connection settings ---------------------------------------------------------


async def test_migrations_build_the_schema_from_an_empty_database(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        assert await current_revision(engine) is None
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()

        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            # The models and the migrations describe the same schema, so autogenerate is quiet.
            differences = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
        assert tables >= TABLES
        assert differences == []

        await upgrade(engine)  # running it again changes nothing
        await downgrade(engine, "base")
        async with engine.connect() as connection:
            left = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert not (TABLES & left)
    finally:
        await engine.dispose()


async def test_open_applies_migrations(empty_database_url: str) -> None:
    store = await Store.open(empty_database_url)
    try:
        assert await current_revision(store.engine) == head_revision()
        assert await store.count_articles() == 0
    finally:
        await store.close()


async def test_processes_starting_together_migrate_once(empty_database_url: str) -> None:
    # The worker and the CLI may both open a brand-new database at the same moment.
    stores = await asyncio.gather(*(Store.open(empty_database_url) for _ in range(3)))
    try:
        assert await current_revision(stores[0].engine) == head_revision()
        assert await stores[1].subscribe(1) is True
        assert await stores[2].subscribe(1) is False
    finally:
        for store in stores:
            await store.close()


async def test_sqlite_file_and_its_directory_are_created_with_wal_and_foreign_keys(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nested" / "dir" / "bot.sqlite3"
    store = await Store.open(f"sqlite:///{path}")
    try:
        assert path.is_file()
        async with store.engine.connect() as connection:
            journal = await connection.scalar(text("PRAGMA journal_mode"))
            foreign_keys = await connection.scalar(text("PRAGMA foreign_keys"))
            busy_timeout = await connection.scalar(text("PRAGMA busy_timeout"))
        assert (journal, foreign_keys) == ("wal", 1)
        assert busy_timeout > 0
    finally:
        await store.close()


async def test_password_stays_out_of_repr_and_errors() -> None:
    url = "postgresql://bot:s3cret-pw@127.0.0.1:1/nowhere"
    engine = create_engine(url)
    assert "s3cret-pw" not in repr(Store(engine))
    await engine.dispose()
    with pytest.raises(StoreError) as caught:
        await Store.open(url)  # nothing listens on port 1
    assert "s3cret-pw" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


def test_release_command_upgrades_and_reports(
    empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert store_cli.main(["--url", empty_database_url, "upgrade"]) == 0
    assert store_cli.main(["--url", empty_database_url, "current"]) == 0
    assert f"{head_revision()} (head)" in capsys.readouterr().out
    assert store_cli.main(["--url", empty_database_url, "downgrade", "base"]) == 0
    assert store_cli.main(["--url", empty_database_url, "current"]) == 0
    assert "(head)" not in capsys.readouterr().out


def test_release_command_fails_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://bot:s3cret-pw@127.0.0.1:1/nowhere"
    assert store_cli.main(["--url", url, "upgrade"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "s3cret-pw" not in err


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(StoreError, match="unsupported database 'mysql'"):
        create_engine("mysql://root:pw@localhost/db")


# -- articles -----------------------------------------------------------------------------------


async def test_upsert_is_idempotent_and_detects_changes(store: Store) -> None:
    original = article(
        "a1",
        T0,
        body="First paragraph.\nSecond.",
        quotes=[Quote(text="We will talk", speaker="Rustem Umerov", kind=QuoteKind.PARTIAL)],
        figures=[Figure(text="USD 2 billion", number=2e9, unit="USD")],
    )
    assert await store.upsert_article(original) == "added"
    assert await store.upsert_article(original) == "unchanged"
    assert await store.count_articles() == 1
    assert await store.get_article("a1") == original

    changed = original.model_copy(update={"summary": "Talks resume."})
    assert await store.upsert_article(changed) == "updated"
    assert await store.upsert_article(changed) == "unchanged"
    assert await store.count_articles() == 1
    assert await store.get_article("a1") == changed
    assert await store.get_article("missing") is None


async def test_recent_articles_newest_first_undated_last(store: Store, clock: Clock) -> None:
    # 10:00 in Kyiv is 07:00 UTC: older than 07:30 UTC, though "10" sorts after "07".
    await store.upsert_article(article("kyiv-0700z", dt.datetime(2026, 5, 16, 10, tzinfo=KYIV)))
    await store.upsert_article(article("utc-0730z", dt.datetime(2026, 5, 16, 7, 30, tzinfo=UTC)))
    await store.upsert_article(article("undated-early"))
    clock.advance(minutes=1)
    await store.upsert_article(article("undated-late"))
    await store.upsert_article(article("oldest", dt.datetime(2025, 1, 1, tzinfo=UTC)))

    recent = [a.id for a in await store.recent_articles(limit=10)]
    assert recent == ["utc-0730z", "kyiv-0700z", "oldest", "undated-late", "undated-early"]
    assert [a.id for a in await store.recent_articles(limit=2)] == ["utc-0730z", "kyiv-0700z"]


# -- subscribers --------------------------------------------------------------------------------


async def test_subscribe_unsubscribe_and_come_back(store: Store) -> None:
    assert await store.subscribe(42, language="uk", timezone="Europe/Kyiv") is True
    assert await store.subscribe(42, title="Newsroom") is False  # already there
    subscriber = await store.get_subscriber(42)
    assert subscriber is not None
    assert (subscriber.active, subscriber.language, subscriber.title) == (True, "uk", "Newsroom")

    assert await store.unsubscribe(42) is True
    assert await store.unsubscribe(42) is False
    gone = await store.get_subscriber(42)
    assert gone is not None and not gone.active and gone.unsubscribed_at is not None

    assert await store.subscribe(42) is True  # re-activated, preferences kept
    back = await store.get_subscriber(42)
    assert back is not None and back.active and back.unsubscribed_at is None
    assert (back.language, back.timezone) == ("uk", "Europe/Kyiv")
    assert await store.unsubscribe(7) is False
    assert await store.get_subscriber(7) is None


async def test_deactivate_and_counts(store: Store) -> None:
    for chat_id in (1, 2, 3):
        await store.subscribe(chat_id, chat_type="group" if chat_id == 3 else "private")
    await store.deactivate(2, "blocked by user")

    assert [s.chat_id for s in await store.active_subscribers()] == [1, 3]
    blocked = await store.get_subscriber(2)
    assert blocked is not None and blocked.inactive_reason == "blocked by user"
    assert await store.subscriber_counts() == {"active": 2, "inactive": 1, "total": 3}
    group = await store.get_subscriber(3)
    assert group is not None and group.chat_type == "group"


# -- digests and the outbox ---------------------------------------------------------------------


async def test_a_run_is_recorded_once(store: Store) -> None:
    await store.subscribe(1)
    first = await store.record_digest("morning", T0, ["<b>hi</b>"], ["a1", "a2"], None)
    assert first is not None and first.queued == 1

    # The same instant spelled in another zone is the same run.
    again = await store.record_digest("morning", T0.astimezone(KYIV), ["<b>x</b>"], [], None)
    assert again is None
    assert await store.record_digest("morning", T0, ["<b>x</b>"], [], [1, 2, 3]) is None
    assert len(await store.deliveries_for_digest(first.id)) == 1
    assert (await store.delivery_counts())["pending"] == 1

    evening = await store.record_digest("evening", T0, ["<b>e</b>"], [], None)
    assert evening is not None and evening.id != first.id
    latest = await store.latest_digest("morning")
    assert latest is not None and latest.parts == ["<b>hi</b>"]
    assert latest.article_ids == ["a1", "a2"]


async def test_deliveries_go_to_active_subscribers_only(store: Store) -> None:
    for chat_id in (10, 20, 30, 40, -100123):
        await store.subscribe(chat_id)
    await store.unsubscribe(20)
    await store.deactivate(30, "kicked")

    record = await store.record_digest("morning", T0, ["p"], [], None)
    assert record is not None and record.queued == 3
    deliveries = await store.deliveries_for_digest(record.id)
    assert sorted(d.chat_id for d in deliveries) == [-100123, 10, 40]
    assert {d.status for d in deliveries} == {"pending"}


async def test_explicit_chats_are_deduplicated_in_bulk(store: Store) -> None:
    chat_ids = [*range(20_000), 5, 6, 7]
    record = await store.record_digest("bulk", T0, ["p"], [], iter(chat_ids))
    assert record is not None and record.queued == 20_000
    assert (await store.delivery_counts())["pending"] == 20_000


async def test_record_digest_writes_nothing_when_it_fails(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.record_digest("morning", T0, ["p"], [], [1, "not a chat"])  # type: ignore[list-item]
    assert await store.latest_digest() is None
    assert await store.record_digest("morning", T0, ["p"], [], [1]) is not None


async def test_claim_send_retry_fail(store: Store) -> None:
    digest_id = await digest_with_chats(store, [1, 2, 3])
    now = dt.datetime.now(UTC)

    claimed = await store.claim_deliveries(2, now=now)
    assert len(claimed) == 2
    assert all(d.status == "sending" and d.attempts == 1 for d in claimed)
    assert all(d.parts == ["<b>part 1</b>", "part 2"] and d.edition == "morning" for d in claimed)
    assert all(d.digest_id == digest_id for d in claimed)
    rest = await store.claim_deliveries(10, now=now)
    assert len(rest) == 1
    assert await store.claim_deliveries(10, now=now) == []  # everything is being sent

    sent, retried, blocked = claimed[0], claimed[1], rest[0]
    await store.mark_sent(sent.id, [501, 502])
    later = now + dt.timedelta(minutes=5)
    await store.mark_retry(retried.id, "429 Too Many Requests", later)
    await store.mark_failed(blocked.id, "Forbidden: bot was blocked by the user", "blocked")

    assert await store.claim_deliveries(10, now=now) == []  # the retry is not due yet
    again = await store.claim_deliveries(10, now=later)
    assert [(d.id, d.attempts, d.last_error) for d in again] == [
        (retried.id, 2, "429 Too Many Requests")
    ]
    await store.mark_failed(retried.id, "gave up")

    by_id = {d.id: d for d in await store.deliveries_for_digest(digest_id)}
    assert by_id[sent.id].status == "sent" and by_id[sent.id].message_ids == [501, 502]
    assert by_id[sent.id].sent_at is not None
    assert by_id[blocked.id].status == "blocked"
    assert (by_id[retried.id].status, by_id[retried.id].last_error) == ("failed", "gave up")
    assert await store.delivery_counts() == {
        "pending": 0,
        "sending": 0,
        "sent": 1,
        "failed": 1,
        "blocked": 1,
    }


async def test_outcome_reports_cannot_undo_a_sent_message(store: Store) -> None:
    await digest_with_chats(store, [1])
    (delivery,) = await store.claim_deliveries(1)
    await store.mark_sent(delivery.id, [9])
    await store.mark_retry(delivery.id, "late timeout", dt.datetime.now(UTC))
    await store.mark_failed(delivery.id, "late error")
    (after,) = await store.deliveries_for_digest(delivery.digest_id)
    assert (after.status, after.message_ids) == ("sent", [9])


async def test_outcome_checks(store: Store) -> None:
    await digest_with_chats(store, [1])
    (delivery,) = await store.claim_deliveries(1)
    with pytest.raises(ValueError):
        await store.mark_failed(delivery.id, "x", status="sent")
    with pytest.raises(NotFound):
        await store.mark_sent(delivery.id + 1000, [1])
    with pytest.raises(NotFound):
        await store.mark_retry(delivery.id + 1000, "x", dt.datetime.now(UTC))


async def test_claim_order_is_oldest_due_first(store: Store) -> None:
    first = await digest_with_chats(store, [1, 2], edition="morning", when=T0)
    second = await digest_with_chats(store, [1, 2], edition="evening", when=T0)
    now = dt.datetime.now(UTC)
    claimed = await store.claim_deliveries(10, now=now)
    assert [d.digest_id for d in claimed] == [first, first, second, second]
    # Each delivery carries its own digest's text, not a neighbour's.
    assert {d.edition for d in claimed if d.digest_id == second} == {"evening"}


async def test_concurrent_claimers_never_share_a_row(database_url: str) -> None:
    stores = [await Store.open(database_url) for _ in range(2)]
    try:
        await digest_with_chats(stores[0], list(range(300)))

        async def drain(store: Store) -> list[int]:
            taken: list[int] = []
            while batch := await store.claim_deliveries(7):
                taken.extend(d.id for d in batch)
                await asyncio.sleep(0)
            return taken

        # Four claimers over two engines: rivals within a process and across connections.
        results = await asyncio.gather(*(drain(s) for s in stores for _ in range(2)))
        claimed = list(itertools.chain.from_iterable(results))
        assert len(claimed) == 300
        assert len(set(claimed)) == 300
        assert sum(1 for r in results if r) >= 2  # the work was actually shared
        assert (await stores[0].delivery_counts())["sending"] == 300
    finally:
        for store in stores:
            await store.close()


async def test_requeue_stale_returns_abandoned_sends(store: Store, clock: Clock) -> None:
    await digest_with_chats(store, [1, 2, 3])
    abandoned = await store.claim_deliveries(2, now=T0)  # then the worker crashed
    (in_flight,) = await store.claim_deliveries(5, now=T0 + dt.timedelta(minutes=30))

    restart = clock.advance(minutes=31)
    cutoff = restart - dt.timedelta(minutes=10)
    assert await store.requeue_stale(cutoff) == 2
    assert await store.requeue_stale(cutoff) == 0
    counts = await store.delivery_counts()
    assert (counts["pending"], counts["sending"]) == (2, 1)

    reclaimed = await store.claim_deliveries(10, now=restart)
    assert sorted(d.id for d in reclaimed) == sorted(d.id for d in abandoned)
    assert in_flight.id not in {d.id for d in reclaimed}
    assert all(d.attempts == 2 for d in reclaimed)


async def test_datetimes_come_back_aware_utc(store: Store) -> None:
    kyiv_morning = dt.datetime(2026, 3, 29, 9, 15, 30, 123456, tzinfo=KYIV)
    record = await store.record_digest("morning", kyiv_morning, ["p"], [], [1])
    assert record is not None

    latest = await store.latest_digest()
    assert latest is not None
    assert latest.scheduled_for == kyiv_morning
    assert latest.scheduled_for.tzinfo == UTC and latest.created_at.tzinfo == UTC
    last = await store.last_scheduled_for("morning")
    assert last == kyiv_morning and last is not None and last.tzinfo == UTC
    assert await store.last_scheduled_for("evening") is None

    # A naive value is taken as UTC.
    naive = dt.datetime(2026, 3, 29, 12, 0)
    assert await store.record_digest("noon", naive, ["p"], [], []) is not None
    assert await store.last_scheduled_for("noon") == naive.replace(tzinfo=UTC)

    (delivery,) = await store.claim_deliveries(1)
    assert delivery.claimed_at is not None and delivery.claimed_at.tzinfo == UTC
    assert delivery.next_attempt_at.tzinfo == UTC

    await store.subscribe(5)
    subscriber = await store.get_subscriber(5)
    assert subscriber is not None and subscriber.subscribed_at.tzinfo == UTC
