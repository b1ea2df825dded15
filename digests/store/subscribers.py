"""Subscriber queries: who receives digests, and who asked to stop or can no longer be reached."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from digests.store.base import StoreBase
from digests.store.records import Subscriber, from_row
from digests.store.tables import SubscriberRow


class SubscriberQueries(StoreBase):
    """Chats that subscribed; rows stay after unsubscribing so preferences survive a return."""

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
        now = self.clock()
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
                .values(active=False, unsubscribed_at=self.clock(), inactive_reason=reason)
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


def _subscriber(row: SubscriberRow) -> Subscriber:
    return from_row(Subscriber, row)
