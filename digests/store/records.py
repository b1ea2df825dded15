"""The values the store hands out: plain frozen records, detached from any session."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, TypeVar

R = TypeVar("R")


class DeliveryStatus(StrEnum):
    """Where one chat's copy of a digest stands. Members compare equal to their text."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"


#: Final states: a delivery in one of these is never claimed again.
FINAL_STATUSES = frozenset({DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.BLOCKED})


def from_row(record: type[R], row: object) -> R:
    """A ``record`` (one of these dataclasses) filled from the same-named attributes of ``row``."""
    return record(**{name: getattr(row, name) for name in _field_names(record)})


@functools.cache
def _field_names(record: Any) -> tuple[str, ...]:
    return tuple(f.name for f in fields(record))


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A chat that subscribed, now or in the past."""

    chat_id: int
    chat_type: str
    title: str | None
    language: str | None
    timezone: str | None
    active: bool
    subscribed_at: dt.datetime
    unsubscribed_at: dt.datetime | None
    inactive_reason: str | None = None


@dataclass(frozen=True, slots=True)
class DigestRecord:
    """One run of an edition, with the messages every subscriber receives."""

    id: int
    edition: str
    scheduled_for: dt.datetime
    created_at: dt.datetime
    parts: list[str]
    article_ids: list[str]
    #: How many deliveries were queued with it; ``None`` when the record was read back later.
    queued: int | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One chat's copy of a digest, with the parts to send so the sender needs no other query."""

    id: int
    digest_id: int
    chat_id: int
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    created_at: dt.datetime
    last_error: str | None = None
    message_ids: list[int] | None = None
    claimed_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    edition: str = ""
    parts: list[str] = field(default_factory=list)
    #: How many parts Telegram has confirmed; a resumed delivery starts at the next one.
    parts_sent: int = 0


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What a sender learned about one delivery, recorded with others in one transaction.

    ``status`` is where the delivery now stands: ``sending`` while parts remain (progress, or
    a failed attempt to be retried by the same sender), ``sent``, ``failed`` or ``blocked``
    (which also unsubscribes ``chat_id``), or ``pending`` to hand it back to the queue.
    ``message_ids`` are those of every part sent so far.
    """

    delivery_id: int
    chat_id: int
    status: DeliveryStatus
    parts_sent: int
    message_ids: list[int]
    attempts: int
    error: str | None = None
