"""What every group of queries shares: the engine, its sessions, the clock, the dialect."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import BigInteger, FromClause, Text, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from digests.store.columns import utcnow

Clock = Callable[[], dt.datetime]


def clip(text: str | None, limit: int) -> str | None:
    """``text`` cut to at most ``limit`` characters, the last one an ellipsis if cut."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


class StoreBase:
    """Holds the engine; each query opens a short session of its own on it."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock = utcnow) -> None:
        self.engine = engine
        #: Where "now" comes from for the times the store stamps; tests may replace it.
        self.clock = clock
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    async def _sqlite_autocommit(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any]
    ) -> list[Any]:
        """Run one statement on SQLite in autocommit mode; the rows it returns.

        SQLite has one writer at a time, and a transaction holds its lock for every round trip
        to the driver's thread (BEGIN, the statement, COMMIT), each waiting for a busy event
        loop; meanwhile readers queue in SQLite's busy handler, which sleeps in steps of up to
        100 ms. One statement in autocommit mode holds the lock only while it runs.
        """
        async with self.engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            return list(await driver.execute_fetchall(sql, params))

    def _chat_rows(self, chat_ids: list[int]) -> FromClause:
        """``chat_ids`` as rows of one ``chat_id`` column, for INSERT ... SELECT.

        The whole list travels as one parameter (an array, or JSON text for SQLite) that the
        database unpacks into rows: one cached statement and one round trip, however many.
        """
        if self.dialect == "postgresql":
            array = bindparam("chat_ids", chat_ids, type_=postgresql.ARRAY(BigInteger()))
            return func.unnest(array).table_valued("chat_id").render_derived()
        values = func.json_each(bindparam("chat_ids", json.dumps(chat_ids), type_=Text()))
        return select(values.table_valued("value").c.value.label("chat_id")).subquery()

    def _insert(self, entity: Any) -> Any:
        # Both dialects' INSERT constructs offer ON CONFLICT; the generic one does not.
        module = postgresql if self.dialect == "postgresql" else sqlite
        return module.insert(entity)
