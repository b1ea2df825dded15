"""Leadership among workers: one PostgreSQL advisory lock per job only one worker may do.

Several workers may share one PostgreSQL database; some jobs must still run in exactly one of
them (the edition scheduler; polling Telegram for updates). Each such job is a *leadership*: a
session-level advisory lock taken with ``pg_try_advisory_lock`` on a connection kept open for
as long as the worker leads. PostgreSQL releases the lock the moment that connection ends, so
when the leader dies (even by ``kill -9``) the lock is free, and the other workers, which
retry every few seconds, take it over::

    leadership = Leadership(store.engine, "scheduler",
                            on_acquired=scheduler.start, on_lost=scheduler.stop)
    await leadership.start()   # leads at once if the lock is free, else keeps trying
    ...
    await leadership.stop()    # releases the lock so another worker takes over at once

The leader also checks its connection every few seconds: a leader that lost it (database
restart, network cut) stops leading before another worker can have started. On SQLite there is
one worker by design, so the lock is held trivially and never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

Callback = Callable[[], Awaitable[None]]

#: Seconds between attempts to take a lock another worker holds.
DEFAULT_RETRY = 5.0

#: Seconds :meth:`Leadership.stop` waits for a query in flight before cutting it off.
STOP_GRACE = 5.0


def lock_key(name: str) -> int:
    """The advisory lock id of ``name``: a stable signed 64-bit number."""
    digest = hashlib.blake2b(f"digestbot:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Leadership:
    """Leads ``name`` while this worker holds its advisory lock, calling back on each change.

    Args:
        engine: the store's engine; on PostgreSQL one of its connections is kept while leading.
        name: what is led (``"scheduler"``, ``"poller"``); workers of one database share it.
        on_acquired: awaited when this worker starts leading. If it raises, the lock is
            released and taken again later.
        on_lost: awaited when this worker stops leading (lost connection, :meth:`stop`).
        retry: seconds between attempts while another worker leads, and between checks of
            the held connection.
        session_timeout: seconds after which PostgreSQL ends the session of a leader that
            stopped talking (frozen, cut off, or its machine gone without closing the
            connection), freeing the lock; at least a few ``retry`` periods.
        key: the advisory lock id, when it is not derived from ``name`` (:func:`lock_key`).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        name: str,
        *,
        on_acquired: Callback | None = None,
        on_lost: Callback | None = None,
        retry: float = DEFAULT_RETRY,
        session_timeout: float | None = None,
        key: int | None = None,
    ) -> None:
        self.engine = engine
        self.session_timeout = session_timeout or max(15.0, 4 * retry)
        self.name = name
        self.key = lock_key(name) if key is None else key
        self.on_acquired = on_acquired
        self.on_lost = on_lost
        self.retry = retry
        self._connection: AsyncConnection | None = None
        self._held = False
        self._changed = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"<Leadership {self.name} {'held' if self._held else 'not held'}>"

    @property
    def held(self) -> bool:
        """Whether this worker leads now."""
        return self._held

    @property
    def shared(self) -> bool:
        """Whether other workers can compete (PostgreSQL); on SQLite the lock is trivial."""
        return self.engine.dialect.name == "postgresql"

    async def start(self) -> None:
        """Try to lead now, then keep trying (or checking the held lock) in the background."""
        if self._task is not None:
            return
        if not self.shared:
            await self._become_leader()
            return
        try:
            # The first attempt in the caller's time, so a lone worker leads before it serves.
            await self._attempt()
        except Exception as exc:
            log.warning("%s leadership: database unreachable (%s); retrying", self.name,
                        type(exc).__name__)
        # A stop signal per loop: a loop left running by a stop() that was itself cancelled
        # still ends, whatever a later start() does.
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._run(self._stopping),
                                         name=f"leadership:{self.name}")

    async def wait_held(self) -> None:
        """Return once this worker leads (at once if it does)."""
        while not self._held:
            self._changed.clear()
            await self._changed.wait()

    async def stop(self) -> None:
        """Stop leading and trying; another worker can take the lock at once.

        The led work stops (``on_lost``) before the lock goes, so no two workers ever lead
        together. The background loop is asked to end between queries rather than cancelled
        mid-query: SQLAlchemy closes a connection whose query was interrupted, and that would
        free the lock while ``on_lost`` had yet to run. Shielded: a shutdown that is itself
        cancelled still stops the led work and frees the lock.
        """
        await asyncio.shield(self._stop())

    async def _stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            self._stopping.set()
            # Only the query in flight is waited for; on a hung database, not for ever.
            done, _ = await asyncio.wait({task}, timeout=STOP_GRACE + self.retry)
            if not done:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        # Out of the loop and with no time limit: however long on_lost takes, the lock waits.
        await self._release(unlock=True)

    async def _run(self, stopping: asyncio.Event) -> None:
        while not await _set_within(stopping, self.retry):
            try:
                if self._held:
                    await self._check()
                else:
                    await self._attempt()
            except Exception as exc:
                log.warning("%s leadership: database unreachable (%s: %s); retrying",
                            self.name, type(exc).__name__, exc)
                await self._release(unlock=False)

    async def _attempt(self) -> None:
        if self._connection is None:
            self._connection = await self.engine.connect()
            try:
                await self._prepare(self._connection)
            except Exception:
                await self._release(unlock=False)
                raise
        connection = self._connection
        try:
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            )
            # Session-level locks outlive transactions: do not sit idle in one.
            await connection.commit()
        except Exception:
            await self._release(unlock=False)
            raise
        if got:
            await self._become_leader()
        else:
            log.debug("%s leadership: another worker leads", self.name)

    async def _prepare(self, connection: AsyncConnection) -> None:
        """Make PostgreSQL end this session soon if this worker stops talking on it.

        A killed process closes its connection and the lock goes at once; a machine that
        vanishes, a network cut or a frozen process do not, and without this the lock would
        stay taken until TCP gives up (hours). The leader talks every ``retry`` seconds, so
        only a leader that is really gone crosses ``session_timeout``.
        """
        keepalive = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5",
                     "tcp_keepalives_count": "3"}
        version = int(await connection.scalar(text("SHOW server_version_num")) or 0)
        if version >= 140000:  # idle_session_timeout is new in PostgreSQL 14
            keepalive["idle_session_timeout"] = str(int(self.session_timeout * 1000))
        for name, value in keepalive.items():
            await connection.scalar(text("SELECT set_config(:name, :value, false)"),
                                    {"name": name, "value": value})
        await connection.commit()

    async def _check(self) -> None:
        assert self._connection is not None
        try:
            await self._connection.scalar(text("SELECT 1"))
            await self._connection.commit()
        except Exception as exc:
            log.warning("%s leadership lost: its database connection failed (%s)",
                        self.name, type(exc).__name__)
            await self._release(unlock=False)

    async def _become_leader(self) -> None:
        self._held = True
        log.info("%s leadership acquired", self.name)
        if self.on_acquired is not None:
            try:
                await self.on_acquired()
            except Exception:
                log.exception("%s leadership: starting failed; letting another worker try",
                              self.name)
                await self._release(unlock=True)
                return
        self._changed.set()

    async def _release(self, *, unlock: bool) -> None:
        """Stop leading; ``unlock`` says the connection is healthy enough to unlock on."""
        was_held, self._held = self._held, False
        connection, self._connection = self._connection, None
        try:
            if was_held:
                log.info("%s leadership released", self.name)
                self._changed.set()
                if self.on_lost is not None:
                    try:
                        await self.on_lost()
                    except Exception:
                        log.exception("%s leadership: stopping failed", self.name)
        finally:
            # Even if on_lost was cut short: the connection is closed, never left to the GC.
            if connection is not None:
                await self._close(connection, unlock=unlock and was_held)

    async def _close(self, connection: AsyncConnection, *, unlock: bool) -> None:
        try:
            if unlock:
                await connection.scalar(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": self.key}
                )
                await connection.commit()
            # Never back to the pool: the session carries the settings of _prepare (and, if
            # broken, maybe the lock); closing it for good frees everything.
            await connection.invalidate()
            await connection.close()
        except Exception:
            log.debug("%s leadership: closing its connection failed", self.name, exc_info=True)


async def _set_within(event: asyncio.Event, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``event``; whether it is set."""
    if not event.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout=seconds)
    return event.is_set()
