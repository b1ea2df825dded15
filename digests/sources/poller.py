"""Polling every source on its own interval, politely, without one failure stopping the rest.

Each source is an APScheduler interval job. A poll that fails counts a failure and pushes the
next attempt back (twice the interval, then four times... up to :data:`MAX_BACKOFF`); the
scheduled job keeps firing and simply returns while the source is backing off. Requests to one
host are limited by the shared :class:`~digests.sources.pages.Fetcher`. Every outcome is
recorded in the store, where ``sources`` and ``/stats`` read it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import multiprocessing
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from config import Settings
from digests.errors import SourceError
from digests.sources.config import SourceSpec
from digests.sources.pages import Fetcher
from digests.sources.pipeline import Collected, Limits, Stored, collect, store_articles
from digests.store import PollRecord, SourceState, Store

log = logging.getLogger(__name__)

#: The longest a failing source waits between attempts.
MAX_BACKOFF = dt.timedelta(hours=6)
Clock = Callable[[], dt.datetime]
OnArticles = Callable[[str, int], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class PollOptions:
    """How sources are polled; :meth:`from_settings` reads them from the settings."""

    interval: int = 900
    timeout: float = 20.0
    user_agent: str = "digestbot/0.1 (Telegram news digest bot; polite polling)"
    per_host: int = 2
    limits: Limits = field(default_factory=Limits)
    #: Worker processes reading pages and extracting structure; 0 runs that in a thread.
    processes: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> PollOptions:
        return cls(
            interval=settings.poll_interval,
            timeout=settings.fetch_timeout,
            user_agent=settings.fetch_user_agent,
            per_host=settings.fetch_per_host,
            limits=Limits(settings.max_article_bytes, settings.max_feed_bytes),
            processes=settings.ingest_processes,
        )


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll of one source did."""

    source: str
    ok: bool
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    not_modified: bool = False
    backing_off: bool = False
    error: str | None = None

    def __str__(self) -> str:
        if self.backing_off:
            return f"{self.source}: backing off after errors"
        if not self.ok:
            return f"{self.source}: failed: {self.error}"
        if self.not_modified:
            return f"{self.source}: not modified"
        text = f"{self.source}: {self.added} added, {self.updated} updated"
        return text + (f", {self.skipped} skipped" if self.skipped else "")


def backoff(interval: int, failures: int) -> dt.timedelta:
    """How long to wait after ``failures`` consecutive failures: doubling, capped."""
    cap = max(MAX_BACKOFF, dt.timedelta(seconds=interval))
    return min(dt.timedelta(seconds=interval * 2 ** min(failures, 16)), cap)


class SourcePoller:
    """Polls the configured sources into the store, each on its own schedule."""

    def __init__(
        self,
        store: Store,
        sources: Sequence[SourceSpec],
        options: PollOptions | None = None,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_articles: OnArticles | None = None,
    ) -> None:
        self.store = store
        self.sources = {spec.name: spec for spec in sources}
        self.options = options or PollOptions()
        self.on_articles = on_articles
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.fetcher = Fetcher(
            user_agent=self.options.user_agent,
            timeout=self.options.timeout,
            per_host=self.options.per_host,
            transport=transport,
        )
        self.scheduler: AsyncIOScheduler | None = None
        self._pool: ProcessPoolExecutor | None = None
        # SQLite takes one writer at a time and makes the others sleep-wait; taking turns here
        # keeps concurrent polls from stalling each other (PostgreSQL does not mind either way).
        self._writes = asyncio.Lock()

    def interval(self, spec: SourceSpec) -> int:
        return spec.interval or self.options.interval

    @property
    def running(self) -> bool:
        return self.scheduler is not None and self.scheduler.running

    async def start(self) -> None:
        """Schedule every source; the first polls start at once, a second apart.

        :meth:`stop` and ``start`` again may alternate (a worker losing and regaining the lead).
        """
        if self.running:
            return
        self.scheduler = AsyncIOScheduler(timezone=dt.UTC)
        now = dt.datetime.now(dt.UTC)  # the scheduler runs on real time, whatever the clock
        for number, spec in enumerate(self.sources.values()):
            self.scheduler.add_job(
                self.poll,
                IntervalTrigger(seconds=self.interval(spec), timezone=dt.UTC),
                args=[spec.name],
                id=f"source:{spec.name}",
                name=f"source {spec.name}",
                next_run_time=now + dt.timedelta(seconds=number),
                coalesce=True,
                max_instances=1,
                misfire_grace_time=self.interval(spec),
                replace_existing=True,
            )
        self.scheduler.start()
        log.info("polling %d source(s)", len(self.sources))

    async def stop(self) -> None:
        """Stop scheduling polls; a poll under way finishes on its own."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None

    async def aclose(self) -> None:
        """Stop, close the HTTP connections and the worker processes: done for good."""
        await self.stop()
        await self.fetcher.aclose()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    @property
    def pool(self) -> ProcessPoolExecutor | None:
        """The worker processes for CPU work, started on first use (``None``: use a thread)."""
        if self._pool is None and self.options.processes > 0:
            # "spawn": forking a process that runs an event loop and threads is unsafe.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.options.processes, mp_context=context)
        return self._pool

    async def warm_up(self) -> None:
        """Start the worker processes now rather than during the first poll."""
        pool = self.pool
        if pool is not None:
            loop = asyncio.get_running_loop()
            await asyncio.gather(*(loop.run_in_executor(pool, _ready)
                                   for _ in range(self.options.processes)))

    async def poll_all(self, *, force: bool = False) -> list[PollOutcome]:
        """Poll every source now (concurrently), e.g. from the command line."""
        return list(await asyncio.gather(*(self.poll(n, force=force) for n in self.sources)))

    async def poll(self, name: str, *, force: bool = False) -> PollOutcome:
        """Poll source ``name`` once and record the outcome. Never raises.

        Unless ``force``, a source backing off after errors is left alone until its time.
        """
        spec = self.sources[name]
        try:
            state = await self.store.source_state(name)
        except Exception:
            log.exception("source %s: cannot read its state; poll skipped", name)
            return PollOutcome(name, ok=False, error="database unavailable")
        started = self._clock()
        if not force and _backing_off(state, started, self.interval(spec)):
            return PollOutcome(name, ok=False, backing_off=True, error=state and state.last_error)
        try:
            outcome = await self._poll(spec, state, started)
        except Exception as exc:
            outcome = await self._failed(spec, state, started, exc)
        return outcome

    async def _poll(
        self, spec: SourceSpec, state: SourceState | None, started: dt.datetime
    ) -> PollOutcome:
        collected = await collect(
            spec, state, self.store, self.fetcher, self.options.limits, self.pool
        )
        for problem in collected.problems:
            log.warning("source %s: %s", spec.name, problem)
        async with self._writes:
            stored, changed = await self._store(spec, collected, started)
        if changed:
            log.info("source %s: %d added, %d updated", spec.name, stored.added, stored.updated)
            if self.on_articles is not None:
                result = self.on_articles(spec.name, changed)
                if result is not None:
                    await result
        return PollOutcome(
            spec.name, ok=True, added=stored.added, updated=stored.updated,
            unchanged=stored.unchanged, skipped=len(collected.problems),
            not_modified=collected.not_modified,
        )

    async def _store(
        self, spec: SourceSpec, collected: Collected, started: dt.datetime
    ) -> tuple[Stored, int]:
        stored = await store_articles(self.store, collected.articles)
        changed = stored.added + stored.updated
        await self.store.record_poll(
            PollRecord(
                name=spec.name,
                kind=spec.kind.value,
                location=spec.shown_location,
                ok=True,
                etag=collected.etag,
                last_modified=collected.last_modified,
                next_poll_at=started + dt.timedelta(seconds=self.interval(spec)),
                added=changed,
                skipped=len(collected.problems),
                problem=collected.problems[-1] if collected.problems else None,
                items=collected.items,
            )
        )
        if changed:
            await self.store.assign_stories()
        return stored, changed

    async def _failed(
        self, spec: SourceSpec, state: SourceState | None, started: dt.datetime, exc: Exception
    ) -> PollOutcome:
        if isinstance(exc, SourceError):
            reason = str(exc)
            log.warning("source %s failed: %s", spec.name, reason)
        else:
            reason = f"{spec.shown_location}: {type(exc).__name__}: {exc}"
            log.exception("source %s failed unexpectedly", spec.name)
        failures = (state.failures if state else 0) + 1
        wait = backoff(self.interval(spec), failures)
        try:
            await self.store.record_poll(
                PollRecord(
                    name=spec.name, kind=spec.kind.value, location=spec.shown_location, ok=False,
                    error=reason, next_poll_at=started + wait,
                )
            )
        except Exception:
            log.exception("source %s: cannot record the failure", spec.name)
        return PollOutcome(spec.name, ok=False, error=reason)


def _ready() -> bool:
    # Runs in a worker process: importing the pipeline there is the expensive part of starting.
    import digests.sources.pipeline  # noqa: F401

    return True


def _backing_off(state: SourceState | None, now: dt.datetime, interval: int) -> bool:
    if state is None or not state.failures or state.next_poll_at is None:
        return False
    # Job times and poll durations jitter a little; a poll due within the slack goes ahead.
    slack = dt.timedelta(seconds=min(5.0, interval / 10))
    return now + slack < state.next_poll_at


def poller_from_settings(settings: Settings, store: Store) -> SourcePoller | None:
    """A poller for the sources the settings define; ``None`` when there are none.

    Bad source definitions are logged as one error line and polling is left off: the rest of
    the bot works without it, and ``python -m digests sources`` shows the same message.
    """
    from digests.sources.config import SourceConfigError, load_sources

    try:
        specs = load_sources(settings)
    except SourceConfigError as exc:
        log.error("sources are not polled: %s", exc)
        return None
    if not specs:
        return None
    return SourcePoller(store, specs, PollOptions.from_settings(settings))
