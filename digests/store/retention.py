"""Retention: deleting the outbox's history so the database does not grow forever.

Every digest leaves one delivery row per chat behind. :meth:`RetentionQueries.prune_outbox`
deletes the *finished* ones (sent, failed, blocked) of digests scheduled before a cut-off, then
the digests left with no deliveries at all, keeping the ones still read:

* a digest with deliveries still ``pending`` or ``sending`` keeps them and stays;
* the newest digest of each edition stays, however old: the schedule's catch-up reads its time
  (``last_scheduled_for``) and the metrics its age (``latest_digest``). Variant digests
  (``morning~3fa2c1d0e9``, ``morning@…``: see :mod:`digests.runs`) are never read back by name,
  so they get no such exemption, or every personal run would leave one behind for ever;
* the newest digest of all stays. SQLite numbers rows from the largest id left, so deleting it
  would hand its id to the next digest, and senders cache digest parts by id.

The work is cut into short statements, each its own transaction: old digest ids are read
``batch`` at a time, and each digest's deliveries are deleted at most ``batch`` at once, found
through the unique index on ``(digest_id, chat_id)`` and walked in ``chat_id`` order so that no
row is read twice. A large backlog therefore never holds a lock for long, on PostgreSQL or
SQLite, and a run can stop at any point and resume on the next call.

No other table refers to digests: the subscribers' run ledger is keyed by edition and time, not
by digest, and is pruned on its own schedule (``prune_runs``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from digests.store.base import StoreBase
from digests.store.columns import as_utc
from digests.store.records import FINAL_STATUSES
from digests.store.tables import DigestRow

#: Below every chat id: where the walk through one digest's deliveries starts.
_FIRST_CHAT = -(2**63)

_FINISHED = ", ".join(f"'{status}'" for status in sorted(FINAL_STATUSES))

# The same text runs on both engines: named parameters, integers only, and RETURNING (SQLite
# 3.35+). Parameters: digest, low (the smallest chat id left to look at), batch.
_DELETE_DELIVERIES = f"""
DELETE FROM deliveries WHERE id IN (
    SELECT id FROM deliveries
    WHERE digest_id = :digest AND chat_id >= :low AND status IN ({_FINISHED})
    ORDER BY chat_id
    LIMIT :batch
)
RETURNING chat_id
"""

# Variant keys carry a separator edition names cannot contain (see config.settings.Edition).
# Parameters: digest, variant, personal (the LIKE patterns of the two kinds of variant).
_DELETE_DIGEST = """
DELETE FROM digests
WHERE id = :digest
    AND NOT EXISTS (SELECT 1 FROM deliveries WHERE deliveries.digest_id = :digest)
    AND id < (SELECT max(newest.id) FROM digests AS newest)
    AND (
        edition LIKE :variant OR edition LIKE :personal
        OR scheduled_for < (
            SELECT max(later.scheduled_for) FROM digests AS later
            WHERE later.edition = digests.edition
        )
    )
RETURNING id
"""
_VARIANT_PATTERNS = {"variant": "%~%", "personal": "%@%"}


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What one :meth:`~RetentionQueries.prune_outbox` call deleted."""

    deliveries: int = 0
    digests: int = 0

    def __str__(self) -> str:
        deliveries = "delivery" if self.deliveries == 1 else "deliveries"
        digests = "digest" if self.digests == 1 else "digests"
        return f"{self.deliveries} {deliveries} and {self.digests} {digests} deleted"


class RetentionQueries(StoreBase):
    """Deleting history nobody reads any more."""

    async def prune_outbox(self, older_than: dt.datetime, *, batch: int = 5000) -> PruneReport:
        """Delete finished deliveries, then spent digests, of runs scheduled before ``older_than``.

        Deliveries still ``pending`` or ``sending`` stay, and so do their digests, the newest
        digest of each edition and the newest digest of all (see the module's text). Each
        statement deletes at most ``batch`` deliveries or one digest and commits on its own;
        safe to run beside senders and schedulers, and from several processes.
        """
        if batch < 1:
            raise ValueError(f"a batch is at least one row, not {batch}")
        cutoff = as_utc(older_than)
        deliveries = digests = 0
        after = 0
        while page := await self._old_digests(cutoff, after, batch):
            for digest_id in page:
                deliveries += await self._prune_deliveries(digest_id, batch)
                digests += len(await self._write(
                    _DELETE_DIGEST, {"digest": digest_id, **_VARIANT_PATTERNS}
                ))
            after = page[-1]
        return PruneReport(deliveries=deliveries, digests=digests)

    async def _old_digests(self, cutoff: dt.datetime, after: int, limit: int) -> list[int]:
        query = (
            select(DigestRow.id)
            .where(DigestRow.scheduled_for < cutoff, DigestRow.id > after)
            .order_by(DigestRow.id)
            .limit(limit)
        )
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def _prune_deliveries(self, digest_id: int, batch: int) -> int:
        deleted, low = 0, _FIRST_CHAT
        while True:
            chats = await self._write(
                _DELETE_DELIVERIES, {"digest": digest_id, "low": low, "batch": batch}
            )
            deleted += len(chats)
            if len(chats) < batch:
                return deleted
            # Unfinished rows below this point were passed over; the next batch starts after.
            low = max(chat_id for (chat_id,) in chats) + 1

    async def _write(self, sql: str, params: dict[str, Any]) -> list[Any]:
        """Run one statement as a transaction of its own; the rows it returns."""
        if self.dialect == "sqlite":
            return await self._sqlite_autocommit(sql, params)
        async with self.engine.begin() as connection:
            return list(await connection.execute(text(sql), params))


__all__ = ["PruneReport", "RetentionQueries"]
