"""The tables, as typed declarative models.

These classes describe the schema for queries and for ``alembic revision --autogenerate``; the
schema itself is only ever created or changed by the migrations in ``migrations/versions``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from digests.store.columns import BigIntKey, JSONType, UTCDateTime
from digests.store.records import DeliveryStatus

# Named constraints let later migrations drop or alter them by name on both engines.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ArticleRow(Base):
    """One article; ``data`` holds the whole :class:`~digests.models.Article` as JSON."""

    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    language: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    ingested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index(None, "published_at", "ingested_at"),)


class SubscriberRow(Base):
    """A chat that asked for digests; rows are kept after unsubscribing, with ``active`` false."""

    __tablename__ = "subscribers"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(server_default=true())
    inactive_reason: Mapped[str | None] = mapped_column(Text)
    subscribed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index(None, "active"),)


class DigestRow(Base):
    """One rendered run of an edition; the unique key makes each run happen at most once."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    edition: Mapped[str] = mapped_column(String(64))
    scheduled_for: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    parts: Mapped[list[str]] = mapped_column(JSONType)
    article_ids: Mapped[list[str]] = mapped_column(JSONType)

    __table_args__ = (UniqueConstraint("edition", "scheduled_for"),)


class DeliveryRow(Base):
    """The outbox: one digest for one chat, and how far its sending has got, part by part."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    digest_id: Mapped[int] = mapped_column(
        BigIntKey,
        ForeignKey("digests.id", ondelete="CASCADE"),
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The worker sending it while ``sending`` (see :mod:`digests.store.outbox`).
    claimed_by: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_ids: Mapped[list[int] | None] = mapped_column(JSONType)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: Parts Telegram confirmed (their ids are in ``message_ids``); sending resumes after them.
    parts_sent: Mapped[int] = mapped_column(Integer, server_default=text("0"))

    __table_args__ = (
        UniqueConstraint("digest_id", "chat_id"),
        CheckConstraint(
            "status IN ({})".format(", ".join(f"'{s}'" for s in DeliveryStatus)), name="status"
        ),
        Index(None, "status", "next_attempt_at", "id"),
        Index(
            "ix_deliveries_sending_chat",
            "chat_id",
            postgresql_where=text("status = 'sending'"),
            sqlite_where=text("status = 'sending'"),
        ),
    )


__all__ = ["ArticleRow", "Base", "DeliveryRow", "DigestRow", "SubscriberRow"]
