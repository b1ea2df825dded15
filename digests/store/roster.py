"""Subscriber listings for operators: counts by kind of chat, and pages of the newest subscribers.

Functions taking a :class:`~digests.store.Store` rather than methods, so the admin screens add
no surface to the store everyone else uses.

    >>> counts = await chat_type_counts(store)          # {"private": 12, "channel": 1}
    >>> page = await newest_subscribers(store, offset=0, limit=10, chat_type="channel")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Select, func, select

from digests.store.records import Subscriber
from digests.store.subscribers import _subscriber
from digests.store.tables import SubscriberRow

if TYPE_CHECKING:
    from digests.store.store import Store

__all__ = ["chat_type_counts", "count_subscribers", "newest_subscribers"]


async def chat_type_counts(store: Store) -> dict[str, int]:
    """Active subscribers by chat type (``private``, ``group``, ``supergroup``, ``channel``)."""
    query = (
        select(SubscriberRow.chat_type, func.count())
        .where(SubscriberRow.active)
        .group_by(SubscriberRow.chat_type)
        .order_by(SubscriberRow.chat_type)
    )
    async with store._sessions() as session:
        return {chat_type: count for chat_type, count in await session.execute(query)}


async def count_subscribers(
    store: Store, *, chat_type: str | None = None, active_only: bool = True
) -> int:
    """How many subscribers :func:`newest_subscribers` pages through with the same filters."""
    query = select(func.count()).select_from(SubscriberRow)
    query = _filtered(query, chat_type=chat_type, active_only=active_only)
    async with store._sessions() as session:
        return int(await session.scalar(query) or 0)


async def newest_subscribers(
    store: Store,
    *,
    offset: int = 0,
    limit: int = 10,
    chat_type: str | None = None,
    active_only: bool = True,
) -> list[Subscriber]:
    """Subscribers, most recently subscribed first; ``offset``/``limit`` pick one page."""
    query = select(SubscriberRow)
    query = _filtered(query, chat_type=chat_type, active_only=active_only)
    # chat_id breaks ties so pages never overlap or skip rows subscribed in the same instant.
    query = query.order_by(SubscriberRow.subscribed_at.desc(), SubscriberRow.chat_id.desc())
    query = query.offset(max(offset, 0)).limit(max(limit, 0))
    async with store._sessions() as session:
        return [_subscriber(row) for row in await session.scalars(query)]


_Query = TypeVar("_Query", bound=Select[Any])


def _filtered(query: _Query, *, chat_type: str | None, active_only: bool) -> _Query:
    if active_only:
        query = query.where(SubscriberRow.active)
    if chat_type is not None:
        query = query.where(SubscriberRow.chat_type == chat_type)
    return query
