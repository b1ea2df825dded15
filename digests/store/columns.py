"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

UTC = dt.UTC

#: JSON everywhere, stored as ``jsonb`` on PostgreSQL so it can be indexed later.
JSONType: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")

#: A 64-bit key on PostgreSQL; on SQLite only ``INTEGER PRIMARY KEY`` is the auto-numbered rowid.
BigIntKey: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")


def as_utc(value: dt.datetime) -> dt.datetime:
    """Return ``value`` as an aware UTC datetime; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that always comes back as an aware UTC datetime.

    PostgreSQL stores it as ``timestamptz``. SQLite has no time zones, so the value is written
    as naive UTC text in one fixed format, which also keeps text comparison in time order.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        return None if value is None else as_utc(value)
