"""Tables for coordinating several workers on one database.

``rate_limits`` holds one row per shared rate limit (one per bot token): the *theoretical
arrival time* of the next free send slot, in seconds since the epoch by the database's clock.
Workers reserve slots by moving it forward atomically (see :mod:`bot.shared_limit`).
"""

from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from digests.store.tables import Base


class RateLimitRow(Base):
    """The next free send slot of one shared rate limit."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: When the next slot starts (database clock, seconds since the epoch).
    tat: Mapped[float] = mapped_column(Float(53))
    #: The database clock at the last reservation.
    checked_at: Mapped[float] = mapped_column(Float(53))
