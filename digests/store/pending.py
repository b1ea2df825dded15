"""State a conversation leaves between two updates, kept where every worker can see it.

A broadcast preview waits for its Send button; a chat that pressed 🌍 in /settings waits to
type a city. The next update of that chat may reach another worker (webhooks behind a load
balancer) or a worker that restarted in between, so such state lives in the database, each
entry with a time after which it no longer counts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from digests.store.base import StoreBase
from digests.store.columns import JSONType, UTCDateTime
from digests.store.tables import Base


class PendingRow(Base):
    """One waiting step of a conversation, by a key its handler chooses."""

    __tablename__ = "pending_actions"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class PendingQueries(StoreBase):
    async def put_pending(self, key: str, value: Any, ttl: dt.timedelta) -> None:
        """Remember ``value`` (JSON) under ``key`` for ``ttl``, replacing what was there."""
        now = self.clock()
        insert = self._insert(PendingRow).values(key=key, value=value, expires_at=now + ttl)
        async with self._sessions.begin() as session:
            # Expired entries go here: the table stays as small as the conversations open now.
            await session.execute(delete(PendingRow).where(PendingRow.expires_at <= now))
            await session.execute(insert.on_conflict_do_update(
                index_elements=[PendingRow.key],
                set_={"value": insert.excluded.value, "expires_at": insert.excluded.expires_at},
            ))

    async def peek_pending(self, key: str) -> Any | None:
        """The value under ``key`` if it has not expired; it stays."""
        query = select(PendingRow.value).where(*self._live(key))
        async with self._sessions() as session:
            return await session.scalar(query)

    async def take_pending(self, key: str) -> Any | None:
        """Remove ``key`` and return its value if it had not expired.

        Of several workers taking one key at once exactly one gets the value: a Send button
        pressed twice, or on two devices, queues one broadcast.
        """
        statement = delete(PendingRow).where(*self._live(key)).returning(PendingRow.value)
        async with self._sessions.begin() as session:
            return (await session.execute(statement)).scalar()

    async def drop_pending(self, key: str) -> None:
        """Forget ``key``, whatever it held."""
        async with self._sessions.begin() as session:
            await session.execute(delete(PendingRow).where(PendingRow.key == key))

    def _live(self, key: str) -> tuple[ColumnElement[bool], ...]:
        """The row of ``key``, if it has not expired."""
        return PendingRow.key == key, PendingRow.expires_at > self.clock()
