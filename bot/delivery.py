"""The outbox sender: drains queued deliveries into Telegram within its rate limits.

Deliveries are rows written with the digest that creates them, so nothing is lost when the
worker stops: on start the sender re-queues rows a crashed worker left mid-send and drains the
rest. Each Telegram outcome has one answer: blocked chats end inactive, flood-control pauses
exactly as long as Telegram asks, transient faults retry with backoff, then park as failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from digests.render import to_plain_text
from digests.store import Store

log = logging.getLogger(__name__)


class RateLimiter:
    """A token bucket: at most ``rate`` sends per second on average, bursts of ``burst``."""

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.capacity = float(burst or max(1, int(rate)))
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds``, as Telegram's flood control asks."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)
        self.tokens = 0.0

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self.paused_until:
                    await asyncio.sleep(self.paused_until - now)
                    self.updated = time.monotonic()
                    continue
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


class Sender:
    """Sends queued digests; one instance per worker, started in the bot's ``post_init``."""

    def __init__(
        self,
        bot: Bot,
        store: Store,
        *,
        rate: float = 30.0,
        batch: int = 50,
        max_attempts: int = 5,
        idle_poll: float = 1.0,
    ) -> None:
        self.bot = bot
        self.store = store
        self.limiter = RateLimiter(rate)
        self.batch = batch
        self.max_attempts = max_attempts
        self.idle_poll = idle_poll
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        stale = await self.store.requeue_stale(dt.datetime.now(dt.UTC))
        if stale:
            log.info("re-queued %d deliveries left mid-send by a previous run", stale)
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Tell the sender new deliveries are queued, so it need not wait for its next poll."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                sent = await self.drain_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox sender failed; retrying shortly")
                sent = 0
            if not sent:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle_poll)

    async def drain_once(self) -> int:
        """Claim one batch and deliver it; returns how many deliveries were handled."""
        claimed = await self.store.claim_deliveries(self.batch)
        if claimed:
            await asyncio.gather(*(self.deliver(d) for d in claimed))
        return len(claimed)

    async def deliver(self, delivery) -> None:
        message_ids: list[int] = []
        try:
            for part in delivery.parts[len(message_ids):]:
                message_ids.append(await self._send(delivery.chat_id, part))
        except Forbidden as exc:
            await self._blocked(delivery, f"forbidden: {exc.message}")
        except ChatMigrated as exc:
            await self.store.mark_failed(
                delivery.id, f"chat migrated to {exc.new_chat_id}", status="failed"
            )
        except RetryAfter as exc:
            self.limiter.pause(_seconds(exc.retry_after))
            await self._retry(delivery, f"flood control: retry after {exc.retry_after}",
                              delay=_seconds(exc.retry_after), counts=False)
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                await self._blocked(delivery, f"bad request: {exc.message}")
            else:
                await self.store.mark_failed(delivery.id, f"bad request: {exc.message}")
        except NetworkError as exc:  # includes TimedOut and Telegram's 5xx answers
            await self._retry(delivery, f"network: {exc.message}",
                              delay=min(300.0, 2.0 ** delivery.attempts))
        else:
            await self.store.mark_sent(delivery.id, message_ids)

    async def _send(self, chat_id: int, html: str) -> int:
        await self.limiter.acquire()
        try:
            message = await self.bot.send_message(chat_id, html, parse_mode=ParseMode.HTML)
        except BadRequest as exc:
            if "can't parse entities" not in exc.message.lower():
                raise
            # Templates escape everything, so this is a template bug: still deliver the news.
            log.error("Telegram refused digest HTML (%s); sending it as plain text", exc.message)
            await self.limiter.acquire()
            message = await self.bot.send_message(chat_id, to_plain_text(html))
        return message.message_id

    async def _blocked(self, delivery, reason: str) -> None:
        await self.store.mark_failed(delivery.id, reason, status="blocked")
        await self.store.deactivate(delivery.chat_id, reason)
        log.info("chat %s can no longer be reached (%s); unsubscribed", delivery.chat_id, reason)

    async def _retry(self, delivery, reason: str, *, delay: float, counts: bool = True) -> None:
        if counts and delivery.attempts >= self.max_attempts:
            reason = f"gave up after {delivery.attempts} attempts: {reason}"
            await self.store.mark_failed(delivery.id, reason)
            return
        when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
        await self.store.mark_retry(delivery.id, reason, when)


def _seconds(value: float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
