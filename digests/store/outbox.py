"""Digest runs and their outbox of deliveries, one per chat.

A run is recorded once, with one ``pending`` delivery per chat, in a single transaction. Senders
*claim* due deliveries (``pending`` to ``sending``), then report each one sent, due for retry,
failed or blocked.

**Owners.** Each sender claims under an *owner* number and holds, for as long as it lives, the
PostgreSQL advisory lock :func:`owner_lock_key` of that number. A row is only written back by
its owner, and any sender may requeue the ``sending`` rows whose owner's lock is gone
(:meth:`OutboxQueries.requeue_orphans`): a worker that died, however it died, has its work taken
over, while the rows a live worker is sending are never touched. A claim also skips chats another
owner is sending to, so one chat is served by one worker at a time and its pacing holds. On
SQLite, with its single worker, every owner but the caller counts as gone.

A digest longer than one message has several parts; ``parts_sent`` counts those Telegram has
confirmed, so a resumed delivery sends only the rest. A busy sender reports many outcomes in one
transaction (:meth:`OutboxQueries.record_outcomes`) rather than one row at a time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Select,
    bindparam,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from digests.store.base import Clock, StoreBase, clip
from digests.store.columns import UTCDateTime, as_utc, utcnow
from digests.store.errors import NotFound
from digests.store.records import Delivery, DeliveryOutcome, DeliveryStatus, DigestRecord
from digests.store.tables import DeliveryRow, DigestRow, SubscriberRow

#: Longer error texts are cut: they are for a person skimming ``/stats``, not a log archive.
MAX_ERROR_LENGTH = 1000

#: The high half of every owner's advisory lock key, so that the owners' locks can be told
#: apart from other advisory locks in ``pg_locks`` (whose ``classid`` shows this half).
OWNER_LOCK_SPACE = 0x44_47_53_54

#: Claims take this transaction-level lock, one claim at a time across workers: a claim then
#: sees every chat the others have taken, so no chat is claimed by two workers at once.
_CLAIM_LOCK_KEY = (OWNER_LOCK_SPACE << 32) | 0


def owner_lock_key(owner: int) -> int:
    """The advisory lock key a sender claiming as ``owner`` holds while it lives."""
    if not 0 < owner < 2**31:
        raise ValueError(f"an owner is a number from 1 to 2**31 - 1, not {owner}")
    return (OWNER_LOCK_SPACE << 32) | owner


# The owners alive now: those whose lock some session of this database holds.
_LIVE_OWNERS = text(
    "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND classid = CAST(:space AS oid) AND objsubid = 1"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
).bindparams(space=OWNER_LOCK_SPACE).columns(objid=BigInteger())

# Digest parts never change once recorded, so claimed deliveries reuse them from memory; a few
# recent digests are all a sender works through at a time.
_PARTS_CACHE_SIZE = 32


class OutboxQueries(StoreBase):
    """Digest runs and the deliveries queued with them."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock = utcnow) -> None:
        super().__init__(engine, clock=clock)
        self._parts: OrderedDict[int, tuple[str, list[str]]] = OrderedDict()

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
        now = self.clock()
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
        return await self._queue(session, digest_id, self._chat_rows(unique), now)

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

    async def claim_deliveries(
        self, limit: int, now: dt.datetime | None = None, *, owner: int | None = None
    ) -> list[Delivery]:
        """Take up to ``limit`` due ``pending`` deliveries for sending, oldest due first.

        Claimed rows become ``sending``, held by ``owner``, with one more attempt counted.
        Concurrent claimers, in this process or others, never get the same row: PostgreSQL
        skips rows another transaction has locked, SQLite runs one writer at a time. Given an
        ``owner``, rows for chats another owner is sending to are left for that owner.
        """
        if limit <= 0:
            return []
        now = self.clock() if now is None else as_utc(now)
        if self.dialect == "sqlite":
            return await self._claim_sqlite(limit, now, owner)
        table = DeliveryRow.__table__
        free_chat: ColumnElement[bool] = true()
        if owner is not None:
            held = table.alias("held")
            free_chat = ~(
                select(held.c.id)
                .where(
                    held.c.chat_id == table.c.chat_id,
                    # Written out, not a parameter: the partial index on sending rows serves
                    # only a query whose text says 'sending', even in a cached generic plan.
                    held.c.status == literal_column(f"'{DeliveryStatus.SENDING.value}'"),
                    held.c.claimed_by != owner,
                )
                .exists()
            )
        due: Select[tuple[int]] = (
            select(table.c.id)
            .where(
                table.c.status == DeliveryStatus.PENDING.value,
                table.c.next_attempt_at <= now,
                free_chat,
            )
            .order_by(table.c.next_attempt_at, table.c.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        claim = (
            update(table)
            # The status test is repeated so that a row changed since the subquery read it
            # (PostgreSQL re-checks the outer WHERE after waiting on a lock) is left alone.
            .where(
                table.c.id.in_(due.scalar_subquery()),
                table.c.status == DeliveryStatus.PENDING.value,
            )
            .values(
                status=DeliveryStatus.SENDING.value,
                attempts=table.c.attempts + 1,
                claimed_at=now,
                claimed_by=owner,
            )
            # Plain rows, not ORM objects: a sender claims hundreds at a time.
            .returning(*table.c)
        )
        async with self._sessions.begin() as session:
            if owner is not None and self.dialect == "postgresql":
                # Released at commit. The claim's statement starts after the lock is granted,
                # so it sees the chats every earlier claim took.
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIM_LOCK_KEY}
                )
            rows = list((await session.execute(claim)).mappings())
            parts = await self._parts_for(session, {row["digest_id"] for row in rows})
        rows.sort(key=lambda row: (row["next_attempt_at"], row["id"]))
        return [_delivery_from(row, *parts[row["digest_id"]]) for row in rows]

    async def _claim_sqlite(
        self, limit: int, now: dt.datetime, owner: int | None
    ) -> list[Delivery]:
        stamp = _sqlite_time(now)
        found = await self._sqlite_autocommit(_SQLITE_CLAIM, (stamp, owner, stamp, limit))
        rows = [dict(zip(_CLAIMED_COLUMNS, values, strict=True)) for values in found]
        for row in rows:
            for name in ("next_attempt_at", "created_at", "claimed_at", "sent_at"):
                if row[name] is not None:
                    row[name] = dt.datetime.fromisoformat(row[name]).replace(tzinfo=dt.UTC)
            if row["message_ids"] is not None:
                row["message_ids"] = json.loads(row["message_ids"])
        if not rows:
            return []
        async with self._sessions() as session:
            parts = await self._parts_for(session, {row["digest_id"] for row in rows})
        rows.sort(key=lambda row: (row["next_attempt_at"], row["id"]))
        return [_delivery_from(row, *parts[row["digest_id"]]) for row in rows]

    async def record_outcomes(
        self, outcomes: Sequence[DeliveryOutcome], *, owner: int | None = None
    ) -> None:
        """Record what a sender learned about many deliveries, in one transaction.

        Each outcome sets its delivery's status, part cursor, message ids, attempts and error;
        ``blocked`` ones also unsubscribe their chat; ``pending`` ones (handed back) keep their
        place in the queue. A delivery already ``sent`` is left alone, so a late report cannot
        turn it back into work; given an ``owner``, so is a delivery that owner no longer
        holds (requeued after its lock was lost, and maybe claimed by another worker since).
        On SQLite the deliveries and the unsubscriptions are written by two statements, each
        atomic.
        """
        if not outcomes:
            return
        if self.dialect == "sqlite":
            await self._record_outcomes_sqlite(outcomes, owner)
            return
        now = self.clock()
        table = DeliveryRow.__table__
        sent = DeliveryStatus.SENT.value
        held: ColumnElement[bool] = true() if owner is None else table.c.claimed_by == owner
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.status != sent, held)
            .values(
                status=bindparam("b_status"),
                parts_sent=bindparam("b_parts_sent"),
                message_ids=bindparam("b_message_ids", type_=table.c.message_ids.type),
                attempts=bindparam("b_attempts"),
                last_error=bindparam("b_error"),
                sent_at=func.coalesce(
                    bindparam("b_sent_at", type_=UTCDateTime()), table.c.sent_at
                ),
            )
        )
        # Bound parameters may not share a column's name, hence the prefix.
        values, unsubscribe = _outcome_values(outcomes)
        rows = [
            {f"b_{key}": value for key, value in row.items()}
            | {"b_sent_at": now if row["status"] == sent else None}
            for row in values
        ]
        blocked = [{f"b_{key}": value for key, value in row.items()} for row in unsubscribe]
        async with self._sessions.begin() as session:
            await session.execute(statement, rows)
            if blocked:
                subscribers = SubscriberRow.__table__
                await session.execute(
                    update(subscribers)
                    .where(subscribers.c.chat_id == bindparam("b_chat"), subscribers.c.active)
                    .values(
                        active=False,
                        unsubscribed_at=now,
                        inactive_reason=bindparam("b_reason"),
                    ),
                    blocked,
                )

    async def _record_outcomes_sqlite(
        self, outcomes: Sequence[DeliveryOutcome], owner: int | None
    ) -> None:
        now = _sqlite_time(self.clock())
        rows, blocked = _outcome_values(outcomes)
        await self._sqlite_autocommit(_SQLITE_RECORD, (now, json.dumps(rows), owner, owner))
        if blocked:
            await self._sqlite_autocommit(_SQLITE_UNSUBSCRIBE, (now, json.dumps(blocked)))

    async def move_chat(self, old_chat_id: int, new_chat_id: int, reason: str) -> set[int]:
        """Follow a group that became a supergroup: subscribe the new id, move unsent work.

        The new chat inherits the old one's subscription (type ``supergroup``, same title,
        language and time zone); the old one ends inactive with ``reason``. Unfinished
        deliveries move to the new id, except where the new chat already has its own copy of
        that digest: those end ``failed``, as a second copy would be a duplicate. Returns the
        ids of the deliveries that moved.
        """
        now = self.clock()
        subscribers = SubscriberRow.__table__
        deliveries = DeliveryRow.__table__
        unfinished = (DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)
        async with self._sessions.begin() as session:
            old = (
                await session.execute(
                    select(subscribers).where(subscribers.c.chat_id == old_chat_id)
                )
            ).mappings().first()
            if old is not None:
                values = {
                    "chat_id": new_chat_id,
                    "chat_type": "supergroup",
                    "title": old["title"],
                    "language": old["language"],
                    "timezone": old["timezone"],
                    "active": True,
                    "subscribed_at": now,
                }
                await session.execute(
                    self._insert(SubscriberRow)
                    .values(**values)
                    .on_conflict_do_update(
                        index_elements=[SubscriberRow.chat_id],
                        set_={"active": True, "unsubscribed_at": None, "inactive_reason": None},
                    )
                )
                await session.execute(
                    update(subscribers)
                    .where(subscribers.c.chat_id == old_chat_id)
                    .values(active=False, unsubscribed_at=now, inactive_reason=_clip(reason))
                )
            taken = select(deliveries.c.digest_id).where(deliveries.c.chat_id == new_chat_id)
            await session.execute(
                update(deliveries)
                .where(
                    deliveries.c.chat_id == old_chat_id,
                    deliveries.c.status.in_(unfinished),
                    deliveries.c.digest_id.in_(taken.scalar_subquery()),
                )
                .values(
                    status=DeliveryStatus.FAILED.value,
                    last_error=_clip(f"{reason}; the new chat has its own copy"),
                )
            )
            moved = await session.execute(
                update(deliveries)
                .where(
                    deliveries.c.chat_id == old_chat_id,
                    deliveries.c.status.in_(unfinished),
                )
                .values(chat_id=new_chat_id)
                .returning(deliveries.c.id)
            )
            return set(moved.scalars())

    async def mark_sent(self, delivery_id: int, message_ids: list[int]) -> None:
        """Record that the delivery reached the chat as the given Telegram messages."""
        await self._set_outcome(
            delivery_id,
            allow_after_sent=True,
            status=DeliveryStatus.SENT.value,
            message_ids=list(message_ids),
            parts_sent=len(message_ids),
            sent_at=self.clock(),
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
        well beyond the longest send. They keep their place in the queue (their due time), so
        interrupted deliveries resume before others. Returns how many rows were requeued.
        """
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.status == DeliveryStatus.SENDING.value,
                    DeliveryRow.claimed_at < as_utc(older_than),
                )
                .values(status=DeliveryStatus.PENDING.value)
                .returning(DeliveryRow.id),
                execution_options={"synchronize_session": False},
            )
            return len(result.all())

    async def requeue_orphans(self, owner: int, *, own: bool = False) -> int:
        """Return to ``pending`` the ``sending`` rows whose owner is gone.

        On PostgreSQL an owner is gone when no session holds its :func:`owner_lock_key`: its
        process died, or its connection did (and its sender stopped). On SQLite every owner
        but ``owner`` is gone. With ``own``, ``owner``'s rows are requeued too, for a sender
        that lost its lock and with it the rows it held. Rows keep their place in the queue.
        Returns how many were requeued.
        """
        table = DeliveryRow.__table__
        if self.dialect == "postgresql":
            live = select(_LIVE_OWNERS.subquery().c.objid)
            gone = table.c.claimed_by.is_(None) | table.c.claimed_by.not_in(live)
        else:
            gone = table.c.claimed_by.is_(None) | (table.c.claimed_by != owner)
        orphaned = gone | (table.c.claimed_by == owner) if own else gone
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(table)
                .where(table.c.status == DeliveryStatus.SENDING.value, orphaned)
                .values(status=DeliveryStatus.PENDING.value, claimed_by=None)
                .returning(table.c.id)
            )
            return len(result.all())

    async def delivery_counts(self) -> dict[str, int]:
        """How many deliveries are in each status; every status is present, maybe as 0."""
        query = select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
        async with self._sessions() as session:
            found = {status: count for status, count in await session.execute(query)}
        return {status.value: found.get(status.value, 0) for status in DeliveryStatus}

    async def delivery_summary(self) -> dict[str, int]:
        """``queued`` (pending or being sent), ``sent``, ``failed`` and ``blocked``, in order."""
        counts = await self.delivery_counts()
        return {
            "queued": counts[DeliveryStatus.PENDING] + counts[DeliveryStatus.SENDING],
            "sent": counts[DeliveryStatus.SENT],
            "failed": counts[DeliveryStatus.FAILED],
            "blocked": counts[DeliveryStatus.BLOCKED],
        }

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


#: How :class:`~digests.store.columns.UTCDateTime` stores times in SQLite (text in UTC).
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"

# The statements behind ``record_outcomes`` on SQLite: every outcome travels in one JSON
# parameter that ``json_each`` unpacks. Parameters: now, outcomes (a JSON list), owner, owner.
_SQLITE_RECORD = """
UPDATE deliveries SET
    status = json_extract(o.value, '$.status'),
    parts_sent = json_extract(o.value, '$.parts_sent'),
    message_ids = json_extract(o.value, '$.message_ids'),
    attempts = json_extract(o.value, '$.attempts'),
    last_error = json_extract(o.value, '$.error'),
    sent_at = CASE WHEN json_extract(o.value, '$.status') = 'sent' THEN ?
                   ELSE deliveries.sent_at END
FROM json_each(?) AS o
WHERE deliveries.id = json_extract(o.value, '$.id') AND deliveries.status != 'sent'
    AND (? IS NULL OR deliveries.claimed_by = ?)
"""
_CLAIMED_COLUMNS = (
    "id", "digest_id", "chat_id", "status", "attempts", "next_attempt_at", "created_at",
    "last_error", "message_ids", "claimed_at", "sent_at", "parts_sent",
)
# Parameters: now (claimed_at), owner, now (due by), limit. No test of other owners' chats:
# SQLite has one worker.
_SQLITE_CLAIM = f"""
UPDATE deliveries SET status = 'sending', attempts = attempts + 1, claimed_at = ?,
    claimed_by = ?
WHERE status = 'pending' AND id IN (
    SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?
    ORDER BY next_attempt_at, id LIMIT ?
)
RETURNING {", ".join(_CLAIMED_COLUMNS)}
"""
# Parameters: now, blocked chats (a JSON list of {chat, reason}).
_SQLITE_UNSUBSCRIBE = """
UPDATE subscribers SET active = 0, unsubscribed_at = ?,
    inactive_reason = json_extract(b.value, '$.reason')
FROM json_each(?) AS b
WHERE subscribers.chat_id = json_extract(b.value, '$.chat') AND subscribers.active
"""


def _outcome_values(
    outcomes: Sequence[DeliveryOutcome],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What each outcome writes to its delivery, and the chats to unsubscribe (with why)."""
    rows = [
        {
            "id": o.delivery_id,
            "status": str(o.status),
            "parts_sent": o.parts_sent,
            "message_ids": list(o.message_ids),
            "attempts": o.attempts,
            "error": _clip(o.error),
        }
        for o in outcomes
    ]
    blocked = [
        {"chat": o.chat_id, "reason": _clip(o.error or "blocked")}
        for o in outcomes
        if o.status == DeliveryStatus.BLOCKED
    ]
    return rows, blocked


def _clip(error: str | None) -> str | None:
    return clip(error, MAX_ERROR_LENGTH)


def _sqlite_time(moment: dt.datetime) -> str:
    return as_utc(moment).replace(tzinfo=None).strftime(_SQLITE_TIME)


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
    columns = DeliveryRow.__table__.c.keys()
    return _delivery_from({name: getattr(row, name) for name in columns}, edition, parts)


def _delivery_from(row: Mapping[str, Any], edition: str, parts: Sequence[str]) -> Delivery:
    message_ids = row["message_ids"]
    return Delivery(
        id=row["id"],
        digest_id=row["digest_id"],
        chat_id=row["chat_id"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
        last_error=row["last_error"],
        message_ids=None if message_ids is None else list(message_ids),
        claimed_at=row["claimed_at"],
        sent_at=row["sent_at"],
        edition=edition,
        parts=list(parts),
        parts_sent=row["parts_sent"],
    )
