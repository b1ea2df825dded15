"""The outbox sender: drains queued deliveries into Telegram as fast as its limits allow.

How a delivery travels::

    outbox row (pending) --claim--> job in its chat's lane --slot--> sendMessage
                                                         \\--journal--> row: part cursor, sent

* **Claiming.** Due rows are claimed in batches (``pending`` to ``sending``) while fewer than
  :attr:`Sender.capacity` jobs are in memory.
* **Lanes.** Each chat has a lane: its jobs in claim order, sent one part at a time, never two
  at once, and no sooner than the chat's own limit allows (:class:`~bot.delivery.ChatPacer`).
  So the parts of one digest reach a chat in order, and two digests to one chat do not mix.
* **Slots.** ``concurrency`` slots take ready lanes, wait for the global
  :class:`~bot.delivery.Limiter`, and send one part each.
* **Journal.** A slot records the answer (message id and part cursor, or the failure) through
  the :class:`~bot.delivery.journal.Journal`, which commits everything that arrived meanwhile in
  one transaction, and takes the next lane only once its record is committed.

**What a ``kill -9`` can duplicate.** A message is sent twice only if the worker dies after
Telegram accepted it and before the journal committed that. Each slot has at most one message
in that state, so a kill duplicates at most ``concurrency`` messages (the in-flight window);
every other part is either committed as sent (skipped on restart) or never reached Telegram
(sent on restart).

**Several workers.** A sender claims as its *owner* number and holds that owner's advisory
lock while it runs (see :mod:`digests.store.outbox`). Rows left ``sending`` by a worker whose
lock is gone are requeued by the next sender to start and, on PostgreSQL, by every running
sender's periodic look; rows a live worker holds are never taken from it. A sender that loses
its lock (its database connection) stops and drops what it held, which others then take over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot
from telegram.constants import ParseMode

from bot.delivery.journal import Journal
from bot.delivery.limits import ChatPacer, Limiter, RateLimiter
from bot.delivery.outcomes import Action, Verdict, classify
from bot.delivery.transport import OutboxBot
from bot.leader import Leadership
from bot.logs import redact
from digests.render import to_plain_text
from digests.store import Delivery, DeliveryStatus, Store
from digests.store.outbox import owner_lock_key
from digests.store.records import DeliveryOutcome

__all__ = ["Sender", "SenderStats"]

log = logging.getLogger(__name__)

#: A second 429 from another chat within this many seconds means the limit is the bot's.
FLOOD_ESCALATION = 1.0


@dataclass(slots=True)
class _Job:
    """One claimed delivery, as the sender works through its parts."""

    delivery_id: int
    chat_id: int
    edition: str
    parts: list[str]
    parts_sent: int
    message_ids: list[int]
    attempts: int
    done: asyncio.Future[None] | None = None

    def outcome(self, status: DeliveryStatus, error: str | None = None) -> DeliveryOutcome:
        return DeliveryOutcome(
            delivery_id=self.delivery_id,
            chat_id=self.chat_id,
            status=status,
            parts_sent=self.parts_sent,
            message_ids=list(self.message_ids),
            attempts=self.attempts,
            error=error,
        )


@dataclass(slots=True)
class _Lane:
    """The jobs for one chat, oldest first; at most one slot works on a lane at a time."""

    chat_id: int
    jobs: deque[_Job] = field(default_factory=deque)


@dataclass(slots=True)
class SenderStats:
    """Counts since the sender was created, for logs, benchmarks and tests."""

    sent: int = 0  # messages Telegram accepted
    delivered: int = 0  # deliveries finished with every part sent
    flood_waits: int = 0  # 429 answers
    retries: int = 0  # transient failures retried
    failed: int = 0  # deliveries parked as failed
    blocked: int = 0  # deliveries to chats that cannot be reached
    migrated: int = 0  # groups followed to their supergroup
    plain_text: int = 0  # parts resent as plain text


class Sender:
    """Sends queued digests; one per worker, started in the bot's ``post_init``.

    Args:
        bot: the bot to send with (best a dedicated one: see
            :func:`~bot.delivery.transport.outbox_bot`).
        store: the outbox.
        limiter: the global limit, shared with command replies; by default a
            :class:`RateLimiter` of ``rate`` messages per second.
        rate: the global limit when no ``limiter`` is given (``0``: none).
        pacer: per-chat limits; by default Telegram's (1/s private, 20/min groups).
        concurrency: sending slots, which is also the most messages a crash can duplicate.
        batch: most deliveries claimed per query.
        max_attempts: tries per delivery before it is parked as failed (429s do not count).
        retry_base: first backoff after a transient failure, in seconds; doubles each time.
        retry_cap: longest backoff.
        send_timeout: seconds to wait for Telegram's answer to one message.
        idle_poll: seconds between looks at the outbox when nothing woke the sender.
        templates: edition name -> template name, named in the log when Telegram refuses a
            digest's HTML.
        own_bot: initialise ``bot`` on :meth:`start` and shut it down on :meth:`stop`.
        owner: the number this sender claims as; a random one by default. Two running
            senders must never share one.
        orphan_check: seconds between looks for work that dead workers left mid-send (on
            PostgreSQL; on SQLite there is one worker, and it looks when it starts).
        lock_retry: seconds between checks of the owner lock's connection, and between
            attempts to take the lock again after losing it.
    """

    def __init__(
        self,
        bot: Bot,
        store: Store,
        *,
        limiter: Limiter | None = None,
        rate: float = 30.0,
        pacer: ChatPacer | None = None,
        concurrency: int = 32,
        batch: int = 200,
        max_attempts: int = 5,
        retry_base: float = 1.0,
        retry_cap: float = 300.0,
        send_timeout: float = 10.0,
        idle_poll: float = 1.0,
        templates: Mapping[str, str] | None = None,
        own_bot: bool = False,
        owner: int | None = None,
        orphan_check: float = 10.0,
        lock_retry: float = 5.0,
    ) -> None:
        if concurrency < 1 or batch < 1 or max_attempts < 1:
            raise ValueError("concurrency, batch and max_attempts must be at least 1")
        self.bot = bot
        self.store = store
        self.limiter: Limiter = limiter if limiter is not None else RateLimiter(rate)
        self.pacer = pacer if pacer is not None else ChatPacer()
        self.concurrency = concurrency
        self.batch = batch
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.send_timeout = send_timeout
        self.idle_poll = idle_poll
        self.templates = dict(templates or {})
        self.own_bot = own_bot
        #: Called with the seconds Telegram took to answer each message (metrics).
        self.on_send_time: Callable[[float], object] | None = None
        self.owner = owner if owner is not None else secrets.randbelow(2**31 - 1) + 1
        self.orphan_check = orphan_check
        self.lock_retry = lock_retry
        self._presence: Leadership | None = None
        self._next_orphan_check = 0.0
        self._stop_timeout = 5.0
        limit = getattr(self.limiter, "rate", None) or 2000.0
        #: Most jobs held in memory: enough to keep every slot busy while chats wait for their
        #: per-chat turn (about two seconds of sending at the global rate).
        self.capacity = min(10_000, max(2 * batch, 4 * concurrency, math.ceil(2.2 * limit)))
        self.stats = SenderStats()
        # One writer at a time: two transactions of this process contending for SQLite's lock
        # would sleep in its busy handler (milliseconds at a time) instead of queueing here.
        self._writing = asyncio.Lock()
        self.journal = Journal(self._record)
        self._lanes: dict[int, _Lane] = {}
        self._ready: asyncio.Queue[_Lane] = asyncio.Queue()
        self._load = 0
        self._room = asyncio.Event()
        self._wake = asyncio.Event()
        self._slots: list[asyncio.Task[None]] = []
        self._steps: dict[asyncio.Task[None], bool] = {}  # step -> has it sent anything yet
        self._feeder: asyncio.Task[None] | None = None
        self._stopping = False
        self._last_flood: tuple[float, int] | None = None
        self._random = random.Random()

    def __repr__(self) -> str:
        return f"<Sender {self._load} in memory, {len(self._steps)} sending>"

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Take this sender's owner lock, then drain the outbox until stopped.

        If the database cannot be reached yet, sending starts once it can.
        """
        if self.own_bot:
            await self.bot.initialize()
        self._presence = Leadership(
            self.store.engine, f"outbox owner {self.owner}", key=owner_lock_key(self.owner),
            on_acquired=self._resume, on_lost=self._suspend, retry=self.lock_retry,
        )
        await self._presence.start()

    async def stop(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Stop taking work, let messages already on their way finish, hand the rest back.

        Deliveries still in memory return to ``pending`` with their part cursor, so the next
        start (or another worker) resumes them at once.
        """
        self._stop_timeout = timeout
        if self._presence is not None:
            # Suspends (hands back) while the lock is still held, then unlocks.
            await self._presence.stop()
            self._presence = None
        if self.own_bot:
            await self.bot.shutdown()

    async def _resume(self) -> None:
        """Start sending: the owner lock is held (at start, or again after losing it)."""
        # Rows of dead workers, and of this owner from before it lost its lock.
        requeued = await self.store.requeue_orphans(self.owner, own=True)
        if requeued:
            log.info("re-queued %d deliveries left mid-send by workers that stopped", requeued)
        self._next_orphan_check = time.monotonic() + self.orphan_check
        self._start_engine()
        self._feeder = asyncio.create_task(self._feed(), name="outbox-feeder")

    async def _suspend(self) -> None:
        """Stop sending: stopping, or the owner lock is lost and others may take our rows."""
        if self._feeder is not None:
            self._feeder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._feeder
            self._feeder = None
        if self._slots:
            await self._stop_engine(self._stop_timeout)

    def wake(self) -> None:
        """Tell the sender new deliveries are queued, so it need not wait for its next look."""
        self._wake.set()

    @property
    def in_memory(self) -> int:
        """Claimed deliveries not finished yet."""
        return self._load

    async def drain_once(self) -> int:
        """Claim one batch and deliver it completely; returns how many deliveries it held.

        For tests and tools that want the outbox sent without running the sender: failures
        due for a retry are retried within the call, with their backoff.
        """
        started_here = not self._slots
        if started_here:
            self._start_engine()
        try:
            claimed = await self._claim(self.batch)
            loop = asyncio.get_running_loop()
            futures = []
            for delivery in claimed:
                future: asyncio.Future[None] = loop.create_future()
                self._add(delivery, future)
                futures.append(future)
            if futures:
                await asyncio.gather(*futures)
            return len(claimed)
        finally:
            if started_here:
                await self._stop_engine(5.0)

    def _start_engine(self) -> None:
        self._stopping = False
        self.journal.start()
        self._slots = [
            asyncio.create_task(self._slot(), name=f"outbox-slot-{n}")
            for n in range(self.concurrency)
        ]

    async def _stop_engine(self, timeout: float) -> None:  # noqa: ASYNC109
        self._stopping = True
        for slot in self._slots:
            slot.cancel()
        await asyncio.gather(*self._slots, return_exceptions=True)
        self._slots = []
        # Steps still waiting for their turn are abandoned; those whose message is on its way
        # get the time to hear Telegram's answer and record it.
        for step, sending in list(self._steps.items()):
            if not sending:
                step.cancel()
        if self._steps:
            await asyncio.wait(list(self._steps), timeout=timeout)
        for step in list(self._steps):
            step.cancel()
        await self._release_all()
        await self.journal.stop()

    async def _release_all(self) -> None:
        jobs = [job for lane in self._lanes.values() for job in lane.jobs]
        self._lanes.clear()
        self._ready = asyncio.Queue()
        self._load = 0
        if jobs:
            outcomes = [job.outcome(DeliveryStatus.PENDING) for job in jobs]
            try:
                await self.store.record_outcomes(outcomes, owner=self.owner)
            except Exception:
                log.exception("could not hand %d deliveries back; the next start will", len(jobs))
        for job in jobs:
            if job.done is not None and not job.done.done():
                job.done.cancel()

    # -- claiming ------------------------------------------------------------------------

    async def _feed(self) -> None:
        """Keep the lanes supplied from the outbox."""
        while True:
            room = self.capacity - self._load
            self._room.clear()
            if self._load and room < min(self.batch, self.capacity // 2):
                await self._room.wait()  # claim in batches, not one row per finished job
                continue
            if len(self.pacer) > 4 * self.capacity:
                self.pacer.forget_idle()
            await self._take_over_orphans()
            wanted = min(self.batch, room)
            self._wake.clear()  # before claiming: a digest queued meanwhile wakes us again
            try:
                claimed = await self._claim(wanted)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("cannot claim deliveries (%s); trying again shortly", exc)
                await asyncio.sleep(self.idle_poll)
                continue
            for delivery in claimed:
                self._add(delivery)
            if len(claimed) < wanted:
                # Nothing more is due: look again when woken, or after a while for retries
                # that fall due and work other workers hand back.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle_poll)

    async def _take_over_orphans(self) -> None:
        """Now and then, requeue what workers that died left mid-send (PostgreSQL)."""
        if self.store.dialect != "postgresql" or time.monotonic() < self._next_orphan_check:
            return
        self._next_orphan_check = time.monotonic() + self.orphan_check
        try:
            async with self._writing:
                requeued = await self.store.requeue_orphans(self.owner)
        except Exception as exc:
            log.warning("cannot look for deliveries of stopped workers (%s)", exc)
            return
        if requeued:
            log.info("took over %d deliveries a stopped worker left mid-send", requeued)

    async def _claim(self, limit: int) -> list[Delivery]:
        async with self._writing:
            return await self.store.claim_deliveries(limit, owner=self.owner)

    async def _record(self, outcomes: Sequence[DeliveryOutcome]) -> None:
        async with self._writing:
            await self.store.record_outcomes(outcomes, owner=self.owner)

    def _add(self, delivery: Delivery, done: asyncio.Future[None] | None = None) -> None:
        job = _Job(
            delivery_id=delivery.id,
            chat_id=delivery.chat_id,
            edition=delivery.edition,
            parts=delivery.parts,
            parts_sent=delivery.parts_sent,
            message_ids=list(delivery.message_ids or []),
            attempts=delivery.attempts,
            done=done,
        )
        self._load += 1
        self._enqueue(job)

    def _enqueue(self, job: _Job) -> None:
        lane = self._lanes.get(job.chat_id)
        if lane is not None:
            lane.jobs.append(job)  # the lane is active; it reaches this job in turn
            return
        lane = _Lane(job.chat_id, deque([job]))
        self._lanes[job.chat_id] = lane
        self._schedule(lane)

    def _schedule(self, lane: _Lane) -> None:
        delay = self.pacer.ready_at(lane.chat_id) - time.monotonic()
        if delay <= 0:
            self._ready.put_nowait(lane)
        else:
            asyncio.get_running_loop().call_later(delay, self._ready.put_nowait, lane)

    # -- sending -------------------------------------------------------------------------

    async def _slot(self) -> None:
        while True:
            lane = await self._ready.get()
            if self._stopping:
                return
            step = asyncio.ensure_future(self._step(lane))
            self._steps[step] = False
            step.add_done_callback(self._steps.pop)
            # Shielded: stopping waits for a message already on its way instead of forgetting
            # whether Telegram got it.
            await asyncio.shield(step)

    async def _step(self, lane: _Lane) -> None:
        """Send the next part of the lane's first job and act on Telegram's answer."""
        job = lane.jobs[0]
        try:
            await self._send_next_part(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A bug of ours, not Telegram's answer: keep the worker going, retry later.
            log.exception("delivery %s to chat %s failed unexpectedly", job.delivery_id,
                          job.chat_id)
            await self._retry(job, Verdict(Action.RETRY, "internal error"))
        finally:
            if not self._stopping:
                self._after_step(lane)

    def _after_step(self, lane: _Lane) -> None:
        if lane.jobs:
            self._schedule(lane)
        elif self._lanes.get(lane.chat_id) is lane:
            del self._lanes[lane.chat_id]

    def _mark_sending(self) -> None:
        task = asyncio.current_task()
        if task is not None and task in self._steps:
            self._steps[task] = True

    async def _send_next_part(self, job: _Job) -> None:
        part = job.parts[job.parts_sent]
        answer = await self._try_send(job, part, ParseMode.HTML)
        if isinstance(answer, Verdict) and answer.action is Action.PLAIN_TEXT:
            template = self.templates.get(job.edition, "an unknown template")
            # Templates escape everything they insert, so this is a bug in the template itself.
            log.error("Telegram refused the HTML of edition %r (%s): %s; sending it as plain "
                      "text", job.edition, template, answer.reason)
            self.stats.plain_text += 1
            answer = await self._try_send(job, to_plain_text(part), None)
            if isinstance(answer, Verdict) and answer.action is Action.PLAIN_TEXT:
                answer = Verdict(Action.REJECT, answer.reason)
        if isinstance(answer, Verdict):
            await self._act(job, answer)
        else:
            await self._part_sent(job, answer)

    async def _try_send(
        self, job: _Job, text: str, parse_mode: str | None
    ) -> dict[str, Any] | Verdict:
        """One message to the job's chat in its turn: Telegram's answer, or what a failure
        means (every Telegram answer and network failure has a verdict)."""
        ticket = await self.limiter.acquire(track=True)
        self._mark_sending()
        self.pacer.sent(job.chat_id)
        try:
            return await self._send(job.chat_id, text, parse_mode, ticket)
        except Exception as exc:
            return classify(exc)

    async def _send(
        self, chat_id: int, text: str, parse_mode: str | None, ticket: int | None = None
    ) -> dict[str, Any]:
        """``sendMessage``; the answer as Telegram's JSON (only its id is needed).

        Whatever the outcome, the limiter hears of it at once (``ticket``): until then the
        message counts as one Telegram may still be counting.
        """
        started = time.perf_counter()
        try:
            return await self._post_message(chat_id, text, parse_mode)
        finally:
            self.limiter.answered(ticket)
            if self.on_send_time is not None:
                self.on_send_time(time.perf_counter() - started)

    async def _post_message(
        self, chat_id: int, text: str, parse_mode: str | None
    ) -> dict[str, Any]:
        if isinstance(self.bot, OutboxBot):
            return await self.bot.send_text(
                chat_id, text, parse_mode=parse_mode, read_timeout=self.send_timeout
            )
        message = await self.bot.send_message(
            chat_id, text, parse_mode=parse_mode, read_timeout=self.send_timeout
        )
        return {"message_id": message.message_id}

    async def _part_sent(self, job: _Job, message: dict[str, Any]) -> None:
        self.stats.sent += 1
        job.message_ids.append(message["message_id"])
        job.parts_sent += 1
        if job.parts_sent < len(job.parts):
            await self.journal.write(job.outcome(DeliveryStatus.SENDING))
            return
        self.stats.delivered += 1
        await self._finish(job, DeliveryStatus.SENT)

    async def _act(self, job: _Job, verdict: Verdict) -> None:
        if verdict.action is Action.WAIT:
            self._flood_wait(job, verdict)
        elif verdict.action is Action.RETRY:
            await self._retry(job, verdict)
        elif verdict.action is Action.BLOCKED:
            self.stats.blocked += 1
            log.info("chat %s cannot be reached (%s); unsubscribing it", job.chat_id,
                     verdict.reason)
            await self._finish(job, DeliveryStatus.BLOCKED, verdict.reason)
        elif verdict.action is Action.MIGRATE:
            await self._migrate(job, verdict)
        else:
            self.stats.failed += 1
            log.warning("Telegram refused delivery %s to chat %s: %s", job.delivery_id,
                        job.chat_id, verdict.reason)
            await self._finish(job, DeliveryStatus.FAILED, verdict.reason)

    def _flood_wait(self, job: _Job, verdict: Verdict) -> None:
        """Pause as long as Telegram said: the chat always, every chat when it is the bot's.

        Telegram does not say which limit was hit. A private chat's own limit is one we keep,
        so a 429 there, or in two chats within a second, is taken as the bot's global limit;
        a lone 429 in a group is that group's 20 a minute.
        """
        self.stats.flood_waits += 1
        now = time.monotonic()
        self.pacer.hold(job.chat_id, verdict.seconds)
        previous = self._last_flood
        self._last_flood = (now, job.chat_id)
        other_chat = (
            previous is not None
            and previous[1] != job.chat_id
            and now - previous[0] < FLOOD_ESCALATION
        )
        if job.chat_id > 0 or other_chat:
            self.limiter.pause(verdict.seconds)
            log.warning("Telegram flood control: pausing all sending for %gs", verdict.seconds)
        else:
            log.warning("Telegram flood control in chat %s: pausing it for %gs", job.chat_id,
                        verdict.seconds)

    async def _retry(self, job: _Job, verdict: Verdict) -> None:
        if job.attempts >= self.max_attempts:
            self.stats.failed += 1
            reason = f"gave up after {job.attempts} attempts: {verdict.reason}"
            log.warning("delivery %s to chat %s: %s", job.delivery_id, job.chat_id, reason)
            await self._finish(job, DeliveryStatus.FAILED, reason)
            return
        self.stats.retries += 1
        backoff = min(self.retry_cap, self.retry_base * 2 ** (job.attempts - 1))
        backoff *= self._random.uniform(0.5, 1.0)  # spread retries of a failed burst
        job.attempts += 1
        # The attempt is recorded before waiting, so a restart does not get extra tries.
        await self.journal.write(job.outcome(DeliveryStatus.SENDING, self._scrub(verdict.reason)))
        self.pacer.hold(job.chat_id, backoff)

    async def _migrate(self, job: _Job, verdict: Verdict) -> None:
        old, new = job.chat_id, verdict.new_chat_id
        if new is None or new == old:
            await self._act(job, Verdict(Action.REJECT, verdict.reason))
            return
        self.stats.migrated += 1
        moved = await self.store.move_chat(old, new, verdict.reason)
        log.info("chat %s became supergroup %s; %d deliveries follow it", old, new, len(moved))
        # Every unfinished job of the old chat follows, in order, behind the new chat's own;
        # one the new chat already has a copy of was parked by the store and is dropped here.
        lane = self._lanes.get(old)
        jobs = list(lane.jobs) if lane is not None else [job]
        if lane is not None:
            lane.jobs.clear()
        for moving in jobs:
            if moving.delivery_id in moved:
                moving.chat_id = new
                self._enqueue(moving)
            else:
                self._forget(moving)

    async def _finish(self, job: _Job, status: DeliveryStatus, reason: str | None = None) -> None:
        await self.journal.write(job.outcome(status, None if reason is None else
                                             self._scrub(reason)))
        lane = self._lanes.get(job.chat_id)
        if lane is not None and lane.jobs and lane.jobs[0] is job:
            lane.jobs.popleft()
        self._forget(job)

    def _forget(self, job: _Job) -> None:
        self._load -= 1
        self._room.set()
        if job.done is not None and not job.done.done():
            job.done.set_result(None)

    def _scrub(self, text: str) -> str:
        return redact(text, [getattr(self.bot, "token", "")])
