"""Tables for coordinating several workers on one database.

``rate_limits`` holds one row per shared rate limit (one per bot token): the *theoretical
arrival time* of the next free send slot, in seconds since the epoch by the database's clock.
Workers reserve slots by moving it forward atomically (see :mod:`bot.shared_limit`).

``rate_leases`` holds the send credits workers have taken and not yet given back: a lease
counts against the limit until one second after Telegram answered the last of its messages.
"""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from digests.store.columns import BigIntKey
from digests.store.tables import Base


class RateLimitRow(Base):
    """The next free send slot of one shared rate limit."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: When the next slot starts (database clock, seconds since the epoch).
    tat: Mapped[float] = mapped_column(Float(53))
    #: The database clock at the last reservation.
    checked_at: Mapped[float] = mapped_column(Float(53))


class RateLeaseRow(Base):
    """Send credits one worker holds under a shared rate limit."""

    __tablename__ = "rate_leases"
    __table_args__ = (Index(None, "key", "expires_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    credits: Mapped[int] = mapped_column(Integer)
    #: When the credits stop counting (database clock, seconds since the epoch): far ahead
    #: while messages are in flight, one second after the last answer once they are not.
    expires_at: Mapped[float] = mapped_column(Float(53))
