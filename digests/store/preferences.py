"""Subscriber preferences: times and time zone, filters, and the ledger of personal runs.

Four tables, all keyed by chat:

``subscriber_preferences``
    one row per chat that opened /settings: times, frequency, editions, quiet hours, length.
``subscriber_follows``
    followed and muted topics and followed words, one row each.
``delivery_slots``
    the *active* local delivery minutes of chats with their own times, with the time zone
    copied in, so the scheduler finds who is due with one indexed lookup per slot.
``subscriber_runs``
    one row per chat, edition and scheduled instant that was served: the at-most-once
    guarantee for deliveries whose digests differ from chat to chat.

The time zone and language themselves stay in ``subscribers`` where /start put them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    delete,
    false,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from digests.preferences import (
    FREQUENCIES,
    LENGTHS,
    MAX_FOLLOW_CHARS,
    MAX_FOLLOWS,
    Filters,
    Preferences,
    Slot,
    fold,
)
from digests.store.base import StoreBase
from digests.store.columns import JSONType, UTCDateTime, as_utc
from digests.store.tables import Base, DeliveryRow, SubscriberRow

FOLLOW_KINDS = ("topic", "mute", "word")
_ID_BATCH = 10_000


class PreferenceRow(Base):
    """What one chat chose in /settings; chats without a row have the defaults."""

    __tablename__ = "subscriber_preferences"

    chat_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("subscribers.chat_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    times: Mapped[list[int]] = mapped_column(JSONType)
    frequency: Mapped[str] = mapped_column(String(16))
    editions: Mapped[list[str]] = mapped_column(JSONType)
    quiet_start: Mapped[int | None] = mapped_column(Integer)
    quiet_end: Mapped[int | None] = mapped_column(Integer)
    length: Mapped[str] = mapped_column(String(8))
    quote_of_the_day: Mapped[bool] = mapped_column(server_default=false())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class FollowRow(Base):
    """A followed topic, a muted topic or a followed word; ``key`` is the folded value."""

    __tablename__ = "subscriber_follows"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("subscribers.chat_id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class DeliverySlotRow(Base):
    """A local minute at which a chat with its own times is due."""

    __tablename__ = "delivery_slots"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("subscribers.chat_id", ondelete="CASCADE"), primary_key=True
    )
    minute: Mapped[int] = mapped_column(Integer, primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    weekdays_only: Mapped[bool] = mapped_column(server_default=false())

    __table_args__ = (Index(None, "timezone", "minute", "weekdays_only"),)


class RunRow(Base):
    """One chat served one run (edition, instant): never serve it again."""

    __tablename__ = "subscriber_runs"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    edition: Mapped[str] = mapped_column(String(64), primary_key=True)
    scheduled_for: Mapped[dt.datetime] = mapped_column(UTCDateTime(), primary_key=True)
    personal: Mapped[bool] = mapped_column(server_default=false())

    __table_args__ = (Index(None, "edition", "personal", "scheduled_for"),)


class CursorRow(Base):
    """How far a periodic job has got, so a restart resumes rather than repeats or skips."""

    __tablename__ = "schedule_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class PreferenceQueries(StoreBase):
    """Reading and changing preferences, finding who is due, and the run ledger."""

    # -- reading ---------------------------------------------------------------------------

    async def get_preferences(self, chat_id: int, default_timezone: str = "UTC") -> Preferences:
        """The chat's preferences, defaults filled in (also for chats never seen)."""
        found = await self.preferences_for([chat_id], default_timezone)
        return found.get(chat_id) or Preferences(chat_id=chat_id, timezone=default_timezone)

    async def preferences_for(
        self, chat_ids: Iterable[int] | None, default_timezone: str = "UTC"
    ) -> dict[int, Preferences]:
        """Preferences of the given chats, or of every active subscriber when ``None``."""
        people: dict[int, tuple[str | None, str | None]] = {}
        rows: dict[int, PreferenceRow] = {}
        chosen: dict[int, dict[str, list[str]]] = {}
        if chat_ids is None:
            active = select(SubscriberRow.chat_id).where(SubscriberRow.active)
            batches = [(SubscriberRow.active, PreferenceRow.chat_id.in_(active),
                        FollowRow.chat_id.in_(active))]
        else:
            ids = list(dict.fromkeys(int(c) for c in chat_ids))
            # Databases cap bound parameters per statement (32,767 for PostgreSQL): batches.
            batches = [
                (SubscriberRow.chat_id.in_(chunk), PreferenceRow.chat_id.in_(chunk),
                 FollowRow.chat_id.in_(chunk))
                for chunk in (ids[i:i + _ID_BATCH] for i in range(0, len(ids), _ID_BATCH))
            ]
        async with self._sessions() as session:
            for by_subscriber, by_preference, by_follow in batches:
                subscribers = select(
                    SubscriberRow.chat_id, SubscriberRow.timezone, SubscriberRow.language
                ).where(by_subscriber)
                people.update(
                    (c, (tz, lang)) for c, tz, lang in await session.execute(subscribers)
                )
                prefs = select(PreferenceRow).where(by_preference)
                rows.update((row.chat_id, row) for row in await session.scalars(prefs))
                follows = select(FollowRow).where(by_follow).order_by(
                    FollowRow.chat_id, FollowRow.kind, FollowRow.value)
                for follow in await session.scalars(follows):
                    chosen.setdefault(follow.chat_id, {}).setdefault(follow.kind, []).append(
                        follow.value
                    )
        wanted = people if chat_ids is None else {c: people.get(c, (None, None)) for c in ids}
        return {
            chat_id: _preferences(
                chat_id, tz or default_timezone, lang, rows.get(chat_id), chosen.get(chat_id, {})
            )
            for chat_id, (tz, lang) in wanted.items()
        }

    # -- changing --------------------------------------------------------------------------

    async def ensure_chat(self, chat_id: int, *, chat_type: str, timezone: str) -> None:
        """Make sure the chat has a subscriber row (inactive if new) to hang preferences on.

        Someone may open /settings or /follow before /start; their choices are kept and apply
        once they subscribe.
        """
        async with self._sessions.begin() as session:
            await session.execute(
                self._insert(SubscriberRow)
                .values(chat_id=chat_id, chat_type=chat_type, timezone=timezone, active=False,
                        subscribed_at=self.clock(), inactive_reason="not subscribed yet")
                .on_conflict_do_nothing(index_elements=[SubscriberRow.chat_id])
            )

    async def update_preferences(
        self, chat_id: int, *, default_timezone: str = "UTC", **changes: Any
    ) -> Preferences:
        """Change some of ``times``, ``frequency``, ``editions``, ``quiet``, ``length``,
        ``quote_of_the_day``; the delivery slots follow in the same transaction, in the chat's
        time zone (``default_timezone`` for a chat that has none).

        Raises ValueError for a value out of range, changing nothing.
        """
        values = _validated(changes)
        async with self._sessions.begin() as session:
            row = await session.get(PreferenceRow, chat_id)
            if row is None:
                row = PreferenceRow(
                    chat_id=chat_id, times=[], frequency="daily", editions=[], length="full",
                    quote_of_the_day=False, updated_at=self.clock(),
                )
                session.add(row)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = self.clock()
            await session.flush()
            await self._rewrite_slots(session, chat_id, default_timezone)
        return await self.get_preferences(chat_id, default_timezone)

    async def set_timezone(self, chat_id: int, timezone: str) -> None:
        """Store the chat's IANA time zone (validated by the caller) and move its slots."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(SubscriberRow).where(SubscriberRow.chat_id == chat_id)
                .values(timezone=timezone),
                execution_options={"synchronize_session": False},
            )
            await session.execute(
                update(DeliverySlotRow).where(DeliverySlotRow.chat_id == chat_id)
                .values(timezone=timezone),
                execution_options={"synchronize_session": False},
            )

    async def set_language(self, chat_id: int, language: str) -> None:
        """Store the language code the chat chose for the bot's texts."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(SubscriberRow).where(SubscriberRow.chat_id == chat_id)
                .values(language=language[:16]),
                execution_options={"synchronize_session": False},
            )

    async def _rewrite_slots(self, session: Any, chat_id: int, default_timezone: str) -> None:
        row = await session.get(PreferenceRow, chat_id)
        timezone = await session.scalar(
            select(SubscriberRow.timezone).where(SubscriberRow.chat_id == chat_id)
        )
        await session.execute(delete(DeliverySlotRow).where(DeliverySlotRow.chat_id == chat_id))
        chosen = Preferences(chat_id=chat_id, times=tuple(row.times or ()), frequency=row.frequency)
        for minute in dict.fromkeys(chosen.active_times):
            session.add(DeliverySlotRow(
                chat_id=chat_id, minute=minute, timezone=timezone or default_timezone,
                weekdays_only=chosen.weekdays_only,
            ))

    async def follow(self, chat_id: int, kind: str, value: str) -> bool:
        """Add a follow (``topic``, ``mute`` or ``word``); ``False`` if it was there already.

        Following a topic unmutes it and muting unfollows it: a topic is one or the other.
        Raises ValueError past :data:`~digests.preferences.MAX_FOLLOWS` or for an empty value.
        """
        if kind not in FOLLOW_KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        value = _follow_text(value)
        key = fold(value)
        if not key:
            raise ValueError("nothing to follow")
        async with self._sessions.begin() as session:
            if kind in ("topic", "mute"):
                other = "mute" if kind == "topic" else "topic"
                await session.execute(delete(FollowRow).where(
                    FollowRow.chat_id == chat_id, FollowRow.kind == other, FollowRow.key == key
                ))
            if await session.get(FollowRow, (chat_id, kind, key)) is not None:
                return False
            count = await session.scalar(
                select(func.count()).select_from(FollowRow).where(FollowRow.chat_id == chat_id)
            )
            if (count or 0) >= MAX_FOLLOWS:
                raise ValueError(f"at most {MAX_FOLLOWS} topics and words")
            session.add(FollowRow(chat_id=chat_id, kind=kind, key=key, value=value))
        return True

    async def unfollow(self, chat_id: int, kinds: Sequence[str], value: str) -> bool:
        """Remove ``value`` from the given kinds of follows; ``True`` if anything was removed."""
        key = fold(_follow_text(value))
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(FollowRow)
                .where(FollowRow.chat_id == chat_id, FollowRow.kind.in_(list(kinds)),
                       FollowRow.key == key)
                .returning(FollowRow.key)
            )
            return bool(result.all())

    # -- scheduling --------------------------------------------------------------------------

    async def delivery_slots(self) -> list[Slot]:
        """Every distinct (time zone, minute, weekdays rule) some chat is due at."""
        query = (
            select(DeliverySlotRow.timezone, DeliverySlotRow.minute, DeliverySlotRow.weekdays_only)
            .group_by(DeliverySlotRow.timezone, DeliverySlotRow.minute,
                      DeliverySlotRow.weekdays_only)
        )
        async with self._sessions() as session:
            return sorted(Slot(tz, minute, bool(wd)) for tz, minute, wd in
                          await session.execute(query))

    async def chats_in_slots(self, slots: Sequence[Slot]) -> list[int]:
        """Active subscribers due in any of ``slots``."""
        if not slots:
            return []
        conditions = [
            and_(DeliverySlotRow.timezone == s.timezone, DeliverySlotRow.minute == s.minute,
                 DeliverySlotRow.weekdays_only == s.weekdays_only)
            for s in slots
        ]
        query = (
            select(DeliverySlotRow.chat_id).distinct()
            .join(SubscriberRow, SubscriberRow.chat_id == DeliverySlotRow.chat_id)
            .where(SubscriberRow.active, or_(*conditions))
            .order_by(DeliverySlotRow.chat_id)
        )
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def edition_chats(self) -> list[int]:
        """Active subscribers on the editions' own schedule (no delivery times of their own)."""
        personal = select(DeliverySlotRow.chat_id)
        query = (
            select(SubscriberRow.chat_id)
            .where(SubscriberRow.active, SubscriberRow.chat_id.not_in(personal))
            .order_by(SubscriberRow.chat_id)
        )
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def claim_runs(
        self, edition: str, scheduled_for: dt.datetime, chat_ids: Iterable[int], *,
        personal: bool,
    ) -> list[int]:
        """Record that these chats are served this run; returns those not served before.

        Concurrent or repeated runs claim each chat once: the primary key decides.
        """
        scheduled_for = as_utc(scheduled_for)
        ids = list(dict.fromkeys(int(c) for c in chat_ids))
        if not ids:
            return []
        source = select(
            self._chat_rows(ids).c.chat_id,
            literal(edition, String()),
            literal(scheduled_for, UTCDateTime()),
            literal(personal, Boolean()),
        ).where(true())  # SQLite parses INSERT ... SELECT ... ON CONFLICT only with a WHERE
        claim = (
            self._insert(RunRow)
            .from_select(["chat_id", "edition", "scheduled_for", "personal"], source)
            .on_conflict_do_nothing()
            .returning(RunRow.chat_id)
        )
        async with self._sessions.begin() as session:
            return sorted(await session.scalars(claim))

    async def last_run(self, edition: str, *, personal: bool = False) -> dt.datetime | None:
        """When the latest run of ``edition`` recorded in the ledger was due."""
        query = select(func.max(RunRow.scheduled_for)).where(
            RunRow.edition == edition, RunRow.personal == personal
        )
        async with self._sessions() as session:
            value = await session.scalar(query)
        return None if value is None else as_utc(value)

    async def prune_runs(self, older_than: dt.datetime) -> int:
        """Forget ledger rows for runs due before ``older_than``; they can never come back."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(RunRow).where(RunRow.scheduled_for < as_utc(older_than))
                .returning(RunRow.chat_id)
            )
            return len(result.all())

    async def hold_deliveries(self, digest_id: int, until: dict[int, dt.datetime]) -> None:
        """Make the given chats' deliveries of a digest due later (quiet hours)."""
        if not until:
            return
        # Chats in one time zone with the same quiet hours share an end: one UPDATE each.
        by_end: dict[dt.datetime, list[int]] = {}
        for chat_id, when in until.items():
            by_end.setdefault(as_utc(when), []).append(chat_id)
        async with self._sessions.begin() as session:
            for when, chats in by_end.items():
                for start in range(0, len(chats), _ID_BATCH):
                    await session.execute(
                        update(DeliveryRow)
                        .where(DeliveryRow.digest_id == digest_id,
                               DeliveryRow.chat_id.in_(chats[start:start + _ID_BATCH]))
                        .values(next_attempt_at=when),
                        execution_options={"synchronize_session": False},
                    )

    async def get_cursor(self, name: str) -> dt.datetime | None:
        async with self._sessions() as session:
            row = await session.get(CursorRow, name)
            return None if row is None else as_utc(row.position)

    async def advance_cursor(self, name: str, position: dt.datetime) -> None:
        """Move the cursor forward to ``position``; never backwards."""
        position = as_utc(position)
        async with self._sessions.begin() as session:
            inserted = await session.execute(
                self._insert(CursorRow).values(name=name, position=position)
                .on_conflict_do_nothing().returning(CursorRow.name)
            )
            if inserted.first() is None:
                await session.execute(
                    update(CursorRow)
                    .where(CursorRow.name == name, CursorRow.position < position)
                    .values(position=position),
                    execution_options={"synchronize_session": False},
                )


def _follow_text(value: str) -> str:
    """A followed topic or word as stored: spaces tidied, cut to the longest allowed."""
    return " ".join(value.split())[:MAX_FOLLOW_CHARS]


def _validated(changes: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "times":
            minutes = [int(m) for m in value]
            if len(minutes) > 2 or any(not 0 <= m < 24 * 60 for m in minutes):
                raise ValueError("one or two times of day")
            values["times"] = minutes
        elif name == "frequency":
            if value not in FREQUENCIES:
                raise ValueError(f"frequency is one of {', '.join(FREQUENCIES)}")
            values["frequency"] = value
        elif name == "editions":
            values["editions"] = [str(e) for e in dict.fromkeys(value)]
        elif name == "quiet":
            if value is None:
                values["quiet_start"] = values["quiet_end"] = None
            else:
                start, end = (int(v) for v in value)
                if not (0 <= start < 24 * 60 and 0 <= end < 24 * 60) or start == end:
                    raise ValueError("quiet hours need a start and a different end")
                values["quiet_start"], values["quiet_end"] = start, end
        elif name == "length":
            if value not in LENGTHS:
                raise ValueError(f"length is one of {', '.join(LENGTHS)}")
            values["length"] = value
        elif name == "quote_of_the_day":
            values["quote_of_the_day"] = bool(value)
        else:
            raise ValueError(f"no preference {name!r}")
    return values


def _preferences(
    chat_id: int,
    timezone: str,
    language: str | None,
    row: PreferenceRow | None,
    follows: dict[str, list[str]],
) -> Preferences:
    filters = Filters(
        topics=tuple(follows.get("topic", ())),
        muted=tuple(follows.get("mute", ())),
        words=tuple(follows.get("word", ())),
    )
    if row is None:
        return Preferences(chat_id=chat_id, timezone=timezone, language=language, filters=filters)
    quiet = (
        (row.quiet_start, row.quiet_end)
        if row.quiet_start is not None and row.quiet_end is not None
        else None
    )
    return Preferences(
        chat_id=chat_id,
        timezone=timezone,
        language=language,
        times=tuple(row.times or ()),
        frequency=row.frequency,
        editions=tuple(row.editions or ()),
        quiet=quiet,
        length=row.length,
        quote_of_the_day=bool(row.quote_of_the_day),
        filters=filters,
    )


__all__ = [
    "CursorRow",
    "DeliverySlotRow",
    "FollowRow",
    "PreferenceQueries",
    "PreferenceRow",
    "RunRow",
]
