"""The :class:`Store`: every query the product runs, one short transaction per call.

Articles, subscribers, and digests with their outbox of deliveries live in one database: SQLite
by default, PostgreSQL when the URL says so. The outbox is what makes sending safe to retry and
to spread over workers: a digest run is recorded once with one ``pending`` delivery per chat,
senders *claim* due deliveries (``pending`` to ``sending``), then mark each one sent, due for
retry, failed or blocked.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    FromClause,
    Select,
    Text,
    bindparam,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from digests.models import Article
from digests.store.columns import UTCDateTime, as_utc, utcnow
from digests.store.engine import DEFAULT_URL, create_engine, safe_url
from digests.store.errors import NotFound, StoreError
from digests.store.migrate import upgrade
from digests.store.records import (
    Delivery,
    DeliveryStatus,
    DigestRecord,
    Subscriber,
)
from digests.store.tables import ArticleRow, DeliveryRow, DigestRow, SubscriberRow

UpsertOutcome = Literal["added", "updated", "unchanged"]

#: Longer error texts are cut: they are for a person skimming ``/stats``, not a log archive.
MAX_ERROR_LENGTH = 1000

# Digest parts never change once recorded, so claimed deliveries reuse them from memory; a few
# recent digests are all a sender works through at a time.
_PARTS_CACHE_SIZE = 32


class Store:
    """Access to the database behind one async engine.

    Open with :meth:`open`, which also brings the schema up to date, and :meth:`close` when
    done (or use ``async with``). Methods are safe to call from concurrent tasks and from
    several processes on the same database.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._parts: OrderedDict[int, tuple[str, list[str]]] = OrderedDict()

    @classmethod
    async def open(cls, url: str | URL = DEFAULT_URL, *, migrate: bool = True) -> Store:
        """Connect to ``url`` and, unless ``migrate`` is false, run the migrations to head."""
        engine = create_engine(url)
        if migrate:
            try:
                await upgrade(engine)
            except Exception as exc:
                await engine.dispose()
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise StoreError(
                    f"cannot prepare the database {safe_url(engine.url)}: {reason}"
                ) from exc
        return cls(engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<Store {safe_url(self.engine.url)}>"

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    def _insert(self, entity: Any) -> Any:
        # Both dialects' INSERT constructs offer ON CONFLICT; the generic one does not.
        module = postgresql if self.dialect == "postgresql" else sqlite
        return module.insert(entity)

    # -- articles ---------------------------------------------------------------------------

    async def upsert_article(self, article: Article) -> UpsertOutcome:
        """Save ``article`` by id: ``"added"`` if new, ``"updated"`` if its content changed."""
        now = utcnow()
        content_hash = article.content_hash()
        values = {
            "title": article.title,
            "url": article.url,
            "source": article.source,
            "published_at": article.published_at,
            "language": article.language,
            "content_hash": content_hash,
            "data": article.model_dump(mode="json"),
            "updated_at": now,
        }
        async with self._sessions.begin() as session:
            added = await session.execute(
                self._insert(ArticleRow)
                .values(id=article.id, ingested_at=now, **values)
                .on_conflict_do_nothing(index_elements=[ArticleRow.id])
                .returning(ArticleRow.id)
            )
            if added.first() is not None:
                return "added"
            changed = await session.execute(
                update(ArticleRow)
                .where(ArticleRow.id == article.id, ArticleRow.content_hash != content_hash)
                .values(**values)
                .returning(ArticleRow.id),
                execution_options={"synchronize_session": False},
            )
            return "updated" if changed.first() is not None else "unchanged"

    async def get_article(self, article_id: str) -> Article | None:
        async with self._sessions() as session:
            data = await session.scalar(select(ArticleRow.data).where(ArticleRow.id == article_id))
        return None if data is None else Article.model_validate(data)

    async def recent_articles(self, limit: int = 10) -> list[Article]:
        """The newest articles: latest published first, undated ones last by ingestion time."""
        query = (
            select(ArticleRow.data)
            .order_by(
                ArticleRow.published_at.desc().nulls_last(),
                ArticleRow.ingested_at.desc(),
                ArticleRow.id,
            )
            .limit(max(limit, 0))
        )
        async with self._sessions() as session:
            rows = await session.scalars(query)
            return [Article.model_validate(data) for data in rows]

    async def count_articles(self) -> int:
        async with self._sessions() as session:
            return await session.scalar(select(func.count()).select_from(ArticleRow)) or 0

    # -- subscribers ------------------------------------------------------------------------

    async def subscribe(
        self,
        chat_id: int,
        *,
        chat_type: str = "private",
        language: str | None = None,
        timezone: str | None = None,
        title: str | None = None,
    ) -> bool:
        """Make ``chat_id`` an active subscriber; ``True`` if it was not one a moment ago.

        Details given as ``None`` leave what is stored alone, so subscribing again does not
        forget a language or time zone the chat chose earlier.
        """
        now = utcnow()
        details: dict[str, Any] = {"chat_type": chat_type}
        for name, value in (("language", language), ("timezone", timezone), ("title", title)):
            if value is not None:
                details[name] = value
        async with self._sessions.begin() as session:
            inserted = await session.execute(
                self._insert(SubscriberRow)
                .values(chat_id=chat_id, active=True, subscribed_at=now, **details)
                .on_conflict_do_nothing(index_elements=[SubscriberRow.chat_id])
                .returning(SubscriberRow.chat_id)
            )
            if inserted.first() is not None:
                return True
            # One conditional UPDATE tells "came back" from "was already here" without a race.
            returned = await session.execute(
                update(SubscriberRow)
                .where(SubscriberRow.chat_id == chat_id, ~SubscriberRow.active)
                .values(
                    active=True,
                    subscribed_at=now,
                    unsubscribed_at=None,
                    inactive_reason=None,
                    **details,
                )
                .returning(SubscriberRow.chat_id),
                execution_options={"synchronize_session": False},
            )
            if returned.first() is not None:
                return True
            await session.execute(
                update(SubscriberRow).where(SubscriberRow.chat_id == chat_id).values(**details),
                execution_options={"synchronize_session": False},
            )
            return False

    async def unsubscribe(self, chat_id: int) -> bool:
        """Stop digests for ``chat_id``; ``True`` if it was subscribed."""
        return await self._deactivate(chat_id, "unsubscribed")

    async def deactivate(self, chat_id: int, reason: str) -> None:
        """Stop digests for a chat Telegram no longer lets us reach (blocked, kicked, deleted)."""
        await self._deactivate(chat_id, reason)

    async def _deactivate(self, chat_id: int, reason: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(SubscriberRow)
                .where(SubscriberRow.chat_id == chat_id, SubscriberRow.active)
                .values(active=False, unsubscribed_at=utcnow(), inactive_reason=reason)
                .returning(SubscriberRow.chat_id),
                execution_options={"synchronize_session": False},
            )
            return result.first() is not None

    async def get_subscriber(self, chat_id: int) -> Subscriber | None:
        async with self._sessions() as session:
            row = await session.get(SubscriberRow, chat_id)
            return None if row is None else _subscriber(row)

    async def active_subscribers(self) -> list[Subscriber]:
        query = select(SubscriberRow).where(SubscriberRow.active).order_by(SubscriberRow.chat_id)
        async with self._sessions() as session:
            return [_subscriber(row) for row in await session.scalars(query)]

    async def subscriber_counts(self) -> dict[str, int]:
        """``{"active": n, "inactive": m, "total": n + m}``."""
        query = select(SubscriberRow.active, func.count()).group_by(SubscriberRow.active)
        async with self._sessions() as session:
            by_state = {bool(active): count for active, count in await session.execute(query)}
        active, inactive = by_state.get(True, 0), by_state.get(False, 0)
        return {"active": active, "inactive": inactive, "total": active + inactive}

    # -- digests and the outbox -------------------------------------------------------------

    async def record_digest(
        self,
        edition: str,
        scheduled_for: dt.datetime,
        parts: list[str],
        article_ids: list[str],
        chat_ids: Iterable[int] | None,
    ) -> DigestRecord | None:
        """Record one run of ``edition`` and queue a delivery of it to every chat.

        ``chat_ids=None`` queues it for the chats subscribed at this moment, read in the same
        transaction. Returns ``None``, writing nothing, if this run (edition and
        ``scheduled_for``) was recorded before: a restarted or duplicated scheduler never
        sends a digest twice.
        """
        if not parts:
            raise ValueError("a digest needs at least one message part")
        scheduled_for = as_utc(scheduled_for)
        now = utcnow()
        async with self._sessions.begin() as session:
            digest_id = await session.scalar(
                self._insert(DigestRow)
                .values(
                    edition=edition,
                    scheduled_for=scheduled_for,
                    created_at=now,
                    parts=list(parts),
                    article_ids=list(article_ids),
                )
                .on_conflict_do_nothing(index_elements=[DigestRow.edition, DigestRow.scheduled_for])
                .returning(DigestRow.id)
            )
            if digest_id is None:
                return None
            if chat_ids is None:
                queued = await self._queue_for_subscribers(session, digest_id, now)
            else:
                queued = await self._queue_for_chats(session, digest_id, chat_ids, now)
        self._remember_parts(digest_id, edition, list(parts))
        return DigestRecord(
            id=digest_id,
            edition=edition,
            scheduled_for=scheduled_for,
            created_at=now,
            parts=list(parts),
            article_ids=list(article_ids),
            queued=queued,
        )

    async def _queue_for_subscribers(
        self, session: AsyncSession, digest_id: int, now: dt.datetime
    ) -> int:
        active = select(SubscriberRow.chat_id.label("chat_id")).where(SubscriberRow.active)
        return await self._queue(session, digest_id, active.subquery(), now)

    async def _queue_for_chats(
        self, session: AsyncSession, digest_id: int, chat_ids: Iterable[int], now: dt.datetime
    ) -> int:
        unique = list(dict.fromkeys(int(chat_id) for chat_id in chat_ids))
        if not unique:
            return 0
        # The whole list travels as one parameter (an array, or JSON text for SQLite) that the
        # database unpacks into rows: one round trip instead of one row at a time.
        if self.dialect == "postgresql":
            ids = func.unnest(bindparam("chat_ids", unique, type_=ARRAY(BigInteger())))
            chats = ids.table_valued("chat_id").render_derived()
        else:
            values = func.json_each(bindparam("chat_ids", json.dumps(unique), type_=Text()))
            chats = select(values.table_valued("value").c.value.label("chat_id")).subquery()
        return await self._queue(session, digest_id, chats, now)

    async def _queue(
        self, session: AsyncSession, digest_id: int, chats: FromClause, now: dt.datetime
    ) -> int:
        # INSERT ... SELECT: the chat ids never come back through Python, however many.
        source = select(
            literal(digest_id, BigInteger()),
            chats.c.chat_id,
            literal(DeliveryStatus.PENDING.value),
            literal(0),
            literal(now, UTCDateTime()),
            literal(now, UTCDateTime()),
        )
        columns = ["digest_id", "chat_id", "status", "attempts", "next_attempt_at", "created_at"]
        result = await session.execute(insert(DeliveryRow).from_select(columns, source))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def latest_digest(self, edition: str | None = None) -> DigestRecord | None:
        """The most recently scheduled digest, of ``edition`` or of any edition."""
        query = select(DigestRow).order_by(DigestRow.scheduled_for.desc(), DigestRow.id.desc())
        if edition is not None:
            query = query.where(DigestRow.edition == edition)
        async with self._sessions() as session:
            row = await session.scalar(query.limit(1))
            return None if row is None else _digest(row)

    async def last_scheduled_for(self, edition: str) -> dt.datetime | None:
        """When the latest recorded run of ``edition`` was due, to catch up after downtime."""
        query = select(func.max(DigestRow.scheduled_for)).where(DigestRow.edition == edition)
        async with self._sessions() as session:
            value = await session.scalar(query)
        return value

    async def claim_deliveries(self, limit: int, now: dt.datetime | None = None) -> list[Delivery]:
        """Take up to ``limit`` due ``pending`` deliveries for sending, oldest due first.

        Claimed rows become ``sending`` with one more attempt counted. Concurrent claimers,
        in this process or others, never get the same row: PostgreSQL skips rows another
        transaction has locked, SQLite runs one writer at a time.
        """
        if limit <= 0:
            return []
        now = utcnow() if now is None else as_utc(now)
        due: Select[tuple[int]] = (
            select(DeliveryRow.id)
            .where(
                DeliveryRow.status == DeliveryStatus.PENDING.value,
                DeliveryRow.next_attempt_at <= now,
            )
            .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        claim = (
            update(DeliveryRow)
            # The status test is repeated so that a row changed since the subquery read it
            # (PostgreSQL re-checks the outer WHERE after waiting on a lock) is left alone.
            .where(
                DeliveryRow.id.in_(due.scalar_subquery()),
                DeliveryRow.status == DeliveryStatus.PENDING.value,
            )
            .values(
                status=DeliveryStatus.SENDING.value,
                attempts=DeliveryRow.attempts + 1,
                claimed_at=now,
            )
            .returning(DeliveryRow)
        )
        async with self._sessions.begin() as session:
            rows = list(
                await session.scalars(claim, execution_options={"synchronize_session": False})
            )
            parts = await self._parts_for(session, {row.digest_id for row in rows})
        rows.sort(key=lambda row: (row.next_attempt_at, row.id))
        return [_delivery(row, *parts[row.digest_id]) for row in rows]

    async def mark_sent(self, delivery_id: int, message_ids: list[int]) -> None:
        """Record that the delivery reached the chat as the given Telegram messages."""
        await self._set_outcome(
            delivery_id,
            allow_after_sent=True,
            status=DeliveryStatus.SENT.value,
            message_ids=list(message_ids),
            sent_at=utcnow(),
        )

    async def mark_retry(self, delivery_id: int, error: str, next_attempt_at: dt.datetime) -> None:
        """Put the delivery back in the queue, due again at ``next_attempt_at``."""
        await self._set_outcome(
            delivery_id,
            status=DeliveryStatus.PENDING.value,
            last_error=_clip(error),
            next_attempt_at=as_utc(next_attempt_at),
        )

    async def mark_failed(
        self, delivery_id: int, error: str, status: str = DeliveryStatus.FAILED.value
    ) -> None:
        """Give up on the delivery: ``status`` is ``"failed"`` or ``"blocked"``."""
        if status not in (DeliveryStatus.FAILED, DeliveryStatus.BLOCKED):
            raise ValueError(f"a delivery can fail as 'failed' or 'blocked', not {status!r}")
        await self._set_outcome(delivery_id, status=str(status), last_error=_clip(error))

    async def _set_outcome(
        self, delivery_id: int, *, allow_after_sent: bool = False, **values: Any
    ) -> None:
        condition = [DeliveryRow.id == delivery_id]
        if not allow_after_sent:
            # A late retry or failure report must not turn a sent message back into work.
            condition.append(DeliveryRow.status != DeliveryStatus.SENT.value)
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(DeliveryRow).where(*condition).values(**values).returning(DeliveryRow.id),
                execution_options={"synchronize_session": False},
            )
            if result.first() is None and await session.get(DeliveryRow, delivery_id) is None:
                raise NotFound(f"no delivery with id {delivery_id}")

    async def requeue_stale(self, older_than: dt.datetime) -> int:
        """Return to ``pending`` the ``sending`` rows claimed before ``older_than``.

        A worker that crashed mid-send leaves such rows; call this on start, with a cut-off
        well beyond the longest send. Returns how many rows were requeued.
        """
        now = utcnow()
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.status == DeliveryStatus.SENDING.value,
                    DeliveryRow.claimed_at < as_utc(older_than),
                )
                .values(status=DeliveryStatus.PENDING.value, next_attempt_at=now)
                .returning(DeliveryRow.id),
                execution_options={"synchronize_session": False},
            )
            return len(result.all())

    async def delivery_counts(self) -> dict[str, int]:
        """How many deliveries are in each status; every status is present, maybe as 0."""
        query = select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
        async with self._sessions() as session:
            found = {status: count for status, count in await session.execute(query)}
        return {status.value: found.get(status.value, 0) for status in DeliveryStatus}

    async def deliveries_for_digest(self, digest_id: int) -> list[Delivery]:
        query = select(DeliveryRow).where(DeliveryRow.digest_id == digest_id)
        async with self._sessions() as session:
            rows = list(await session.scalars(query.order_by(DeliveryRow.id)))
            parts = await self._parts_for(session, {digest_id}) if rows else {}
        return [_delivery(row, *parts[row.digest_id]) for row in rows]

    async def _parts_for(
        self, session: AsyncSession, digest_ids: set[int]
    ) -> dict[int, tuple[str, list[str]]]:
        missing = [i for i in digest_ids if i not in self._parts]
        if missing:
            query = select(DigestRow.id, DigestRow.edition, DigestRow.parts)
            for digest_id, edition, parts in await session.execute(
                query.where(DigestRow.id.in_(missing))
            ):
                self._remember_parts(digest_id, edition, parts)
        found = {}
        for digest_id in digest_ids:
            self._parts.move_to_end(digest_id)
            found[digest_id] = self._parts[digest_id]
        return found

    def _remember_parts(self, digest_id: int, edition: str, parts: list[str]) -> None:
        self._parts[digest_id] = (edition, parts)
        self._parts.move_to_end(digest_id)
        while len(self._parts) > _PARTS_CACHE_SIZE:
            self._parts.popitem(last=False)


def _clip(error: str) -> str:
    return error if len(error) <= MAX_ERROR_LENGTH else error[: MAX_ERROR_LENGTH - 1] + "…"


def _subscriber(row: SubscriberRow) -> Subscriber:
    return Subscriber(
        chat_id=row.chat_id,
        chat_type=row.chat_type,
        title=row.title,
        language=row.language,
        timezone=row.timezone,
        active=row.active,
        subscribed_at=row.subscribed_at,
        unsubscribed_at=row.unsubscribed_at,
        inactive_reason=row.inactive_reason,
    )


def _digest(row: DigestRow) -> DigestRecord:
    return DigestRecord(
        id=row.id,
        edition=row.edition,
        scheduled_for=row.scheduled_for,
        created_at=row.created_at,
        parts=list(row.parts),
        article_ids=list(row.article_ids),
    )


def _delivery(row: DeliveryRow, edition: str, parts: Sequence[str]) -> Delivery:
    return Delivery(
        id=row.id,
        digest_id=row.digest_id,
        chat_id=row.chat_id,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        last_error=row.last_error,
        message_ids=None if row.message_ids is None else list(row.message_ids),
        claimed_at=row.claimed_at,
        sent_at=row.sent_at,
        edition=edition,
        parts=list(parts),
    )
