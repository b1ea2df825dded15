"""What every group of queries shares: the engine, its sessions, the clock, the dialect."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from digests.store.columns import utcnow

Clock = Callable[[], dt.datetime]


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

    def _insert(self, entity: Any) -> Any:
        # Both dialects' INSERT constructs offer ON CONFLICT; the generic one does not.
        module = postgresql if self.dialect == "postgresql" else sqlite
        return module.insert(entity)
