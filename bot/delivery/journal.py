"""Group commit of delivery outcomes: many sends, one transaction, nobody waits long.

Every message the sender gets through must be written down before the sender may forget it,
or a crash would send it again. One transaction per message would cap a fan-out at what the
database commits per second, so :class:`Journal` gathers the outcomes that arrive while a
commit runs and writes them together in the next one. :meth:`Journal.write` returns only once
its outcome is committed: a sending slot is not reused before then, which is what bounds the
duplicates a ``kill -9`` can cause to the number of slots.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from digests.store.records import DeliveryOutcome

__all__ = ["Journal"]

log = logging.getLogger(__name__)

Writer = Callable[[Sequence[DeliveryOutcome]], Awaitable[None]]

#: First and longest wait before writing again after the database refused a batch.
RETRY_FIRST, RETRY_LONGEST = 0.1, 10.0


class Journal:
    """Writes outcomes through ``writer`` in batches; one background task per journal.

    A batch the database refuses is written again, with growing pauses, until it succeeds:
    the messages were sent, and forgetting so would send them twice. Meanwhile the callers
    wait, which is the back-pressure that stops the sender.
    """

    def __init__(self, writer: Writer) -> None:
        self._writer = writer
        self._queue: list[tuple[DeliveryOutcome, asyncio.Future[None]]] = []
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        if self._task is None:
            self._closing = False
            self._task = asyncio.create_task(self._run(), name="outbox-journal")

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Write what is queued, then stop; gives up after ``timeout`` (database down)."""
        if self._task is None:
            return
        self._closing = True
        self._arrived.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            log.error("stopping with %d delivery outcome(s) unrecorded", len(self._queue))
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def write(self, outcome: DeliveryOutcome) -> None:
        """Queue ``outcome`` and return once it is committed."""
        if self._task is None:
            raise RuntimeError("the journal is not started")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((outcome, future))
        self._arrived.set()
        # Shielded: a caller cancelled mid-wait must not lose its place in the batch.
        await asyncio.shield(future)

    async def _run(self) -> None:
        while True:
            if not self._queue:
                if self._closing:
                    return
                await self._arrived.wait()
                self._arrived.clear()
                continue
            # Whatever queued up while the previous commit ran goes out in this one.
            batch, self._queue = self._queue, []
            await self._commit([outcome for outcome, _ in batch])
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def _commit(self, outcomes: list[DeliveryOutcome]) -> None:
        pause = RETRY_FIRST
        while True:
            try:
                await self._writer(outcomes)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error(
                    "cannot record %d delivery outcome(s) (%s: %s); trying again in %.1fs",
                    len(outcomes), type(exc).__name__, str(exc).splitlines()[0][:200], pause,
                )
                await asyncio.sleep(pause)
                pause = min(RETRY_LONGEST, pause * 2)
