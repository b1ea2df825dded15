"""One poll of one source: collect what is new, read and extract it, store it.

Collecting is I/O (HTTP, the file system) and runs on the event loop; reading pages and
extracting structure is CPU work and runs in a worker thread, so the bot stays responsive.
Bad items (a broken entry, a page that will not load, a malformed file) become one problem line
each and are skipped; only a source that cannot be read at all raises :class:`SourceError`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor, Executor
from dataclasses import dataclass, field, replace
from html import escape
from pathlib import Path

from digests.errors import SourceError
from digests.extract import extract_article
from digests.models import Article
from digests.sources.config import SourceKind, SourceSpec
from digests.sources.feeds import FeedEntry, parse_feed
from digests.sources.files import LoadedArticle
from digests.sources.folder import scan_folder
from digests.sources.pages import Fetched, Fetcher, FetchError, page_article
from digests.store import SourceItem, SourceState, Store

#: Jobs sent to a worker process at a time: large enough to amortise the hand-over.
PREPARE_CHUNK = 25
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits for what sources may hand us."""

    max_article_bytes: int = 2_000_000
    max_feed_bytes: int = 10_000_000


@dataclass(frozen=True, slots=True)
class PageJob:
    """A fetched page to read, with what its feed entry already told us."""

    key: str
    fetched: Fetched
    title: str | None = None
    published_at: dt.datetime | None = None
    url: str | None = None
    #: The entry's own text, used if the page yields nothing.
    fallback: str = ""


@dataclass(frozen=True, slots=True)
class FileJob:
    """An article read from a file, maybe still without its structure."""

    key: str
    loaded: LoadedArticle


Job = PageJob | FileJob


@dataclass
class Collected:
    """What one poll found, before storing."""

    articles: list[tuple[str, Article]] = field(default_factory=list)
    items: list[SourceItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


@dataclass
class Stored:
    """How one poll's articles landed in the store."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0


async def collect(
    spec: SourceSpec,
    state: SourceState | None,
    store: Store,
    fetcher: Fetcher,
    limits: Limits,
    pool: Executor | None = None,
) -> Collected:
    """Everything new at ``spec`` since ``state``, read and extracted, not yet stored.

    The CPU work runs in ``pool`` (worker processes) when given, else in a thread.
    """
    if spec.kind is SourceKind.FOLDER:
        return await _collect_folder(spec, store, limits, pool)
    if spec.kind is SourceKind.FEED:
        return await _collect_feed(spec, state, store, fetcher, limits, pool)
    return await _collect_page(spec, state, fetcher, limits, pool)


async def prepare_in(
    pool: Executor | None, spec: SourceSpec, jobs: Sequence[Job]
) -> tuple[list[tuple[str, Article]], list[str]]:
    """:func:`prepare` off the event loop: chunks spread over ``pool``, or one thread."""
    if not jobs:
        return [], []
    if pool is None:
        return await asyncio.to_thread(prepare, spec, jobs)
    loop = asyncio.get_running_loop()
    chunks = [list(jobs[i : i + PREPARE_CHUNK]) for i in range(0, len(jobs), PREPARE_CHUNK)]
    try:
        results = await asyncio.gather(
            *(loop.run_in_executor(pool, prepare, spec, chunk) for chunk in chunks)
        )
    except BrokenExecutor:
        # A worker process died (killed, out of memory): finish this batch here instead.
        return await asyncio.to_thread(prepare, spec, jobs)
    articles = [pair for found, _ in results for pair in found]
    problems = [line for _, lines in results for line in lines]
    return articles, problems


async def _collect_folder(
    spec: SourceSpec, store: Store, limits: Limits, pool: Executor | None
) -> Collected:
    known = await store.source_items(spec.name)
    scan = await asyncio.to_thread(
        scan_folder, Path(spec.location), known, max_bytes=limits.max_article_bytes
    )
    jobs: list[Job] = [FileJob(key, loaded) for key, loaded in scan.loaded]
    prepared, problems = await prepare_in(pool, spec, jobs)
    return Collected(articles=prepared, items=scan.items, problems=scan.problems + problems)


async def _fetch_since(
    fetcher: Fetcher,
    url: str,
    seen: SourceState | SourceItem | None,
    max_bytes: int,
    *,
    accept: str | None = None,
) -> Fetched:
    """Fetch a source or an entry's page conditionally on what was last seen of it (ETag,
    Last-Modified)."""
    return await fetcher.fetch(
        url,
        max_bytes=max_bytes,
        etag=seen.etag if seen else None,
        last_modified=seen.last_modified if seen else None,
        **({"accept": accept} if accept else {}),
    )


async def _collect_page(
    spec: SourceSpec,
    state: SourceState | None,
    fetcher: Fetcher,
    limits: Limits,
    pool: Executor | None,
) -> Collected:
    fetched = await _fetch_since(fetcher, spec.location, state, limits.max_article_bytes)
    if fetched.not_modified:
        return _unchanged(state)
    # The masked location: the article's link is shown to readers.
    job = PageJob(spec.location, fetched, url=spec.shown_location)
    prepared, problems = await prepare_in(pool, spec, [job])
    if problems and not prepared:
        # The only item failed, so the source did: say so in its status, not just a log line.
        raise SourceError(problems[0])
    return Collected(
        articles=prepared, problems=problems, etag=fetched.etag,
        last_modified=fetched.last_modified,
    )


async def _collect_feed(
    spec: SourceSpec,
    state: SourceState | None,
    store: Store,
    fetcher: Fetcher,
    limits: Limits,
    pool: Executor | None,
) -> Collected:
    fetched = await _fetch_since(
        fetcher, spec.location, state, limits.max_feed_bytes, accept=FEED_ACCEPT
    )
    if fetched.not_modified:
        return _unchanged(state)
    feed = await asyncio.to_thread(parse_feed, fetched.content, spec.shown_location)
    known = await store.source_items(spec.name)
    fresh = [e for e in feed.entries if _changed(e, known.get(e.key))]
    collected = Collected(
        problems=list(feed.problems), etag=fetched.etag, last_modified=fetched.last_modified
    )
    items: dict[str, SourceItem] = {}
    reading: list[asyncio.Future[tuple[list[tuple[str, Article]], list[str]]]] = []
    try:
        # Fetch a chunk of pages, hand it to the readers, fetch the next while they work.
        for start in range(0, len(fresh), PREPARE_CHUNK):
            chunk = fresh[start : start + PREPARE_CHUNK]
            results = await asyncio.gather(
                *(_fetch_entry(e, known.get(e.key), fetcher, limits) for e in chunk)
            )
            jobs: list[Job] = []
            for job, item, problem in results:
                if problem is not None:
                    collected.problems.append(problem)
                if job is not None:
                    jobs.append(job)
                if item is not None:
                    items[item.key] = item
            reading.append(asyncio.ensure_future(prepare_in(pool, spec, jobs)))
        done = await asyncio.gather(*reading)
    except BaseException:
        for task in reading:
            task.cancel()
        raise
    for prepared, problems in done:
        collected.articles += prepared
        collected.problems += problems
        for key, article in prepared:
            # Remember which article an entry became, so the sources listing can count them.
            items[key] = replace(items[key], article_id=article.id)
    collected.items = list(items.values())
    return collected


def _changed(entry: FeedEntry, seen: SourceItem | None) -> bool:
    return seen is None or seen.fingerprint != entry.fingerprint


async def _fetch_entry(
    entry: FeedEntry, seen: SourceItem | None, fetcher: Fetcher, limits: Limits
) -> tuple[PageJob | None, SourceItem | None, str | None]:
    """Fetch an entry's page: a job to read it, the item to remember, and any problem."""
    try:
        fetched = await _fetch_since(fetcher, entry.url, seen, limits.max_article_bytes)
    except FetchError as exc:
        item = SourceItem(
            key=entry.key,
            # A transient failure is tried again next poll; a permanent one when the entry changes.
            fingerprint=None if exc.transient else entry.fingerprint,
            article_id=seen.article_id if seen else None,
            problem=str(exc),
        )
        if entry.text:
            # The feed's own text keeps the story; the page may come back next time.
            page = Fetched(entry.url, 200, _text_page(entry.text).encode(), "text/html")
            return PageJob(entry.key, page, entry.title, entry.published_at, entry.url), item, (
                f"{exc}; using the feed's own text"
            )
        return None, item, str(exc)
    item = SourceItem(
        key=entry.key,
        fingerprint=entry.fingerprint,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        article_id=seen.article_id if seen else None,
    )
    if fetched.not_modified:
        return None, item, None
    job = PageJob(
        entry.key, fetched, entry.title, entry.published_at, entry.url, fallback=entry.text
    )
    return job, item, None


def _unchanged(state: SourceState | None) -> Collected:
    return Collected(
        etag=state.etag if state else None,
        last_modified=state.last_modified if state else None,
        not_modified=True,
    )


def prepare(spec: SourceSpec, jobs: Sequence[Job]) -> tuple[list[tuple[str, Article]], list[str]]:
    """Read pages and extract structure: CPU work, for a worker thread or process.

    Returns ``(key, article)`` pairs ready to store and one problem line per job that failed.
    """
    articles: list[tuple[str, Article]] = []
    problems: list[str] = []
    for job in jobs:
        try:
            article = _read(spec, job)
        except SourceError as exc:
            problems.append(str(exc))
            continue
        except Exception as exc:  # a bug or a pathological page must not sink the batch
            problems.append(f"{_where(job)}: could not be read ({type(exc).__name__}: {exc})")
            continue
        articles.append((job.key, article))
    return articles, problems


def _where(job: Job) -> str:
    return str(job.loaded.path) if isinstance(job, FileJob) else (job.url or job.fetched.url)


def _read(spec: SourceSpec, job: Job) -> Article:
    if isinstance(job, FileJob):
        article = job.loaded.article
        if article.source == job.loaded.path.name:
            # The file name was only a stand-in; the outlet is the source.
            article = article.model_copy(update={"source": spec.name})
        if job.loaded.needs_extraction:
            article = extract_article(article)
    else:
        try:
            article = page_article(
                job.fetched, source=spec.name, title=job.title,
                published_at=job.published_at, url=job.url,
            )
        except SourceError:
            if not job.fallback or job.title is None:
                raise
            article = page_article(
                Fetched(job.fetched.url, 200, _text_page(job.fallback).encode()),
                source=spec.name, title=job.title, published_at=job.published_at, url=job.url,
            )
        article = extract_article(article)
    return with_topics(article, spec.topics)


def _text_page(text: str) -> str:
    """Plain paragraphs dressed as a page, so feed text is read like any page."""
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n") if p.strip())
    return f"<html><body><article>{paragraphs}</article></body></html>"


def with_topics(article: Article, topics: Sequence[str]) -> Article:
    """``article`` with the source's topics added after its own, without repeats."""
    if not topics:
        return article
    seen = {t.casefold() for t in article.topics}
    extra = [t for t in topics if t.casefold() not in seen]
    return article.model_copy(update={"topics": [*article.topics, *extra]}) if extra else article


async def store_articles(store: Store, articles: Sequence[tuple[str, Article]]) -> Stored:
    """Upsert the articles; an article seen before with new content replaces its old version."""
    counts = await store.upsert_articles([article for _key, article in articles])
    return Stored(**counts)
