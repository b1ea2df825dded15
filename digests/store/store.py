"""The :class:`Store`: every query the product runs, one short transaction per call.

Articles, subscribers, and digests with their outbox of deliveries live in one database: SQLite
by default, PostgreSQL when the URL says so. The queries are grouped by concern in
:mod:`~digests.store.articles`, :mod:`~digests.store.subscribers` and
:mod:`~digests.store.outbox`, whose history :mod:`~digests.store.retention` prunes, and
:mod:`~digests.store.pending` holds what conversations wait for; this class
puts them behind one object with a lifecycle.
"""

from __future__ import annotations

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from digests.store.articles import ArticleQueries
from digests.store.base import Clock
from digests.store.columns import utcnow
from digests.store.engine import DEFAULT_URL, create_engine, safe_url
from digests.store.errors import StoreError
from digests.store.migrate import upgrade
from digests.store.outbox import OutboxQueries
from digests.store.pending import PendingQueries
from digests.store.preferences import PreferenceQueries
from digests.store.retention import RetentionQueries
from digests.store.sources import SourceQueries
from digests.store.subscribers import SubscriberQueries


class Store(
    ArticleQueries,
    SubscriberQueries,
    OutboxQueries,
    SourceQueries,
    PreferenceQueries,
    RetentionQueries,
    PendingQueries,
):
    """Access to the database behind one async engine.

    Open with :meth:`open`, which also brings the schema up to date, and :meth:`close` when
    done (or use ``async with``). Methods are safe to call from concurrent tasks and from
    several processes on the same database.
    """

    def __init__(self, engine: AsyncEngine, *, clock: Clock = utcnow) -> None:
        super().__init__(engine, clock=clock)

    @classmethod
    async def open(
        cls, url: str | URL = DEFAULT_URL, *, migrate: bool = True, clock: Clock = utcnow
    ) -> Store:
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
        return cls(engine, clock=clock)

    async def close(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<Store {safe_url(self.engine.url)}>"
