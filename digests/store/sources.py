"""Sources' poll state and story clusters: the tables and the queries behind them.

Each configured source has one ``sources`` row saying when it was last polled, whether that
worked, and the validators (ETag, Last-Modified) for the next conditional request. Its items
(feed entries, folder files) have ``source_items`` rows, so an unchanged item is not fetched or
read again. ``article_stories`` keeps each article's sketch and the story it belongs to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func, select, text
from sqlalchemy.orm import Mapped, mapped_column

from digests.cluster import SKETCH_VERSION, Sketch, Story, StoryIndex, build_story, sketch_article
from digests.models import Article
from digests.store.articles import NEWEST_FIRST
from digests.store.base import StoreBase, clip
from digests.store.columns import JSONType, UTCDateTime
from digests.store.records import from_row
from digests.store.tables import ArticleRow, Base

#: Longer error texts are cut: they are for a person skimming ``/stats`` and ``sources``.
MAX_PROBLEM_LENGTH = 500
#: How far back a new article looks for the story it belongs to.
STORY_WINDOW = dt.timedelta(days=3)
#: At most this many recent articles are compared with a new one.
STORY_WINDOW_ARTICLES = 5000


class SourceRow(Base):
    """One configured source and how its polling stands."""

    __tablename__ = "sources"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_poll_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    next_poll_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    skipped: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_problem: Mapped[str | None] = mapped_column(Text)
    articles: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class SourceItemRow(Base):
    """One item of a source (a feed entry, a file) as last seen, to skip it while unchanged."""

    __tablename__ = "source_items"

    source: Mapped[str] = mapped_column(
        String(100), ForeignKey("sources.name", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(2048), primary_key=True)
    fingerprint: Mapped[str | None] = mapped_column(String(200))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    article_id: Mapped[str | None] = mapped_column(String(64))
    problem: Mapped[str | None] = mapped_column(Text)
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ArticleStoryRow(Base):
    """The story an article belongs to, with the sketch that placed it there."""

    __tablename__ = "article_stories"

    article_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    story_id: Mapped[str] = mapped_column(String(64))
    #: The article's content hash and the sketch version; a mismatch means "sketch again".
    fingerprint: Mapped[str] = mapped_column(String(120))
    shingles: Mapped[int] = mapped_column(Integer)
    sketch: Mapped[list[int]] = mapped_column(JSONType)
    clustered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index(None, "story_id"),)


@dataclass(frozen=True, slots=True)
class SourceState:
    """Where one source's polling stands."""

    name: str
    kind: str
    location: str
    etag: str | None = None
    last_modified: str | None = None
    last_poll_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    next_poll_at: dt.datetime | None = None
    failures: int = 0
    last_error: str | None = None
    skipped: int = 0
    last_problem: str | None = None
    articles: int = 0

    @property
    def status(self) -> str:
        """``"never polled"``, ``"ok"`` or ``"failing"``."""
        if self.last_poll_at is None:
            return "never polled"
        return "failing" if self.failures else "ok"


@dataclass(frozen=True, slots=True)
class SourceItem:
    """One item of a source as last seen."""

    key: str
    fingerprint: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    article_id: str | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class PollRecord:
    """What one poll of a source found, to be saved in one transaction."""

    name: str
    kind: str
    location: str
    ok: bool
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    next_poll_at: dt.datetime | None = None
    added: int = 0
    skipped: int = 0
    problem: str | None = None
    items: Sequence[SourceItem] = ()


class SourceQueries(StoreBase):
    """Poll state of sources and their items; articles grouped into stories."""

    # -- sources ------------------------------------------------------------------------------

    async def source_state(self, name: str) -> SourceState | None:
        async with self._sessions() as session:
            row = await session.get(SourceRow, name)
            return None if row is None else _state(row)

    async def source_states(self) -> list[SourceState]:
        """Every source ever polled, by name."""
        async with self._sessions() as session:
            rows = await session.scalars(select(SourceRow).order_by(SourceRow.name))
            return [_state(row) for row in rows]

    async def source_items(self, name: str) -> dict[str, SourceItem]:
        """The items of source ``name`` as last seen, by key."""
        query = select(SourceItemRow).where(SourceItemRow.source == name)
        async with self._sessions() as session:
            return {row.key: _item(row) for row in await session.scalars(query)}

    async def record_poll(self, poll: PollRecord) -> SourceState:
        """Save the outcome of one poll, and the items it saw, in one transaction.

        A failed poll keeps the validators of the last good one and counts one more failure;
        a good one resets the count.
        """
        now = self.clock()
        table = SourceRow.__table__
        values: dict[str, Any] = {
            "kind": poll.kind,
            "location": poll.location,
            "last_poll_at": now,
            "next_poll_at": poll.next_poll_at,
        }
        if poll.ok:
            values |= {
                "etag": poll.etag,
                "last_modified": poll.last_modified,
                "last_success_at": now,
                "failures": 0,
                "last_error": None,
                "skipped": poll.skipped,
                "last_problem": clip(poll.problem, MAX_PROBLEM_LENGTH),
            }
            update_failures: Any = 0
        else:
            values |= {"last_error": clip(poll.error, MAX_PROBLEM_LENGTH), "failures": 1}
            update_failures = table.c.failures + 1
        insert = self._insert(SourceRow).values(name=poll.name, articles=poll.added, **values)
        upsert = insert.on_conflict_do_update(
            index_elements=[SourceRow.name],
            set_={**values, "failures": update_failures,
                  "articles": table.c.articles + poll.added},
        )
        async with self._sessions.begin() as session:
            await session.execute(upsert)
            if poll.items:
                await self._save_items(session, poll.name, poll.items, now)
            row = await session.get(SourceRow, poll.name, populate_existing=True)
            assert row is not None
            return _state(row)

    async def _save_items(
        self, session: Any, name: str, items: Iterable[SourceItem], now: dt.datetime
    ) -> None:
        rows = [
            {
                "source": name,
                "key": item.key,
                "fingerprint": item.fingerprint,
                "etag": item.etag,
                "last_modified": item.last_modified,
                "article_id": item.article_id,
                "problem": clip(item.problem, MAX_PROBLEM_LENGTH),
                "seen_at": now,
            }
            for item in items
        ]
        statement = self._insert(SourceItemRow)
        changing = ("fingerprint", "etag", "last_modified", "article_id", "problem", "seen_at")
        statement = statement.on_conflict_do_update(
            index_elements=[SourceItemRow.source, SourceItemRow.key],
            set_={name: getattr(statement.excluded, name) for name in changing},
        )
        await session.execute(statement, rows)

    # -- stories --------------------------------------------------------------------------------

    async def assign_stories(self, *, window: dt.timedelta = STORY_WINDOW) -> int:
        """Place every recent article that has no current sketch into a story.

        New and changed articles are compared with the others ingested within ``window``;
        each joins the story of the one it resembles most, or starts its own. Returns how many
        articles were placed.
        """
        since = self.clock() - window
        current = ArticleRow.content_hash + f":{SKETCH_VERSION}"
        stale_query = (
            select(ArticleRow.id)
            .outerjoin(ArticleStoryRow, ArticleStoryRow.article_id == ArticleRow.id)
            .where(
                ArticleRow.ingested_at >= since,
                (ArticleStoryRow.article_id.is_(None)) | (ArticleStoryRow.fingerprint != current),
            )
            .limit(1)
        )
        async with self._sessions() as session:
            if await session.scalar(stale_query) is None:
                return 0  # the common case when composing a digest: nothing new to place
        query = (
            select(
                ArticleRow.id,
                ArticleRow.content_hash,
                ArticleStoryRow.fingerprint,
                ArticleStoryRow.story_id,
                ArticleStoryRow.sketch,
                ArticleStoryRow.shingles,
            )
            .outerjoin(ArticleStoryRow, ArticleStoryRow.article_id == ArticleRow.id)
            .where(ArticleRow.ingested_at >= since)
            .order_by(
                func.coalesce(ArticleRow.published_at, ArticleRow.ingested_at).desc(),
                ArticleRow.ingested_at.desc(),
                ArticleRow.id.desc(),
            )
            .limit(STORY_WINDOW_ARTICLES)
        )
        async with self._sessions() as session:
            rows = list(await session.execute(query))
        rows.reverse()  # oldest first: a story is named after its first report
        index = StoryIndex()
        stale: list[str] = []
        for article_id, content_hash, fingerprint, story_id, sketch, size in rows:
            if fingerprint == _fingerprint(content_hash) and story_id is not None:
                index.add(article_id, Sketch(tuple(sketch), size), story=story_id)
            else:
                stale.append(article_id)
        if not stale:
            return 0
        articles = await self._articles_by_id(stale)
        now = self.clock()
        placed = []
        for article_id in stale:
            found = articles.get(article_id)
            if found is None:
                continue  # deleted meanwhile
            article, content_hash = found
            sketch = sketch_article(article)
            story = index.add(article_id, sketch)
            placed.append(
                {
                    "article_id": article_id,
                    "story_id": story,
                    "fingerprint": _fingerprint(content_hash),
                    "shingles": sketch.size,
                    "sketch": list(sketch.values),
                    "clustered_at": now,
                }
            )
        if placed:
            statement = self._insert(ArticleStoryRow)
            statement = statement.on_conflict_do_update(
                index_elements=[ArticleStoryRow.article_id],
                set_={
                    name: getattr(statement.excluded, name)
                    for name in ("story_id", "fingerprint", "shingles", "sketch", "clustered_at")
                },
            )
            async with self._sessions.begin() as session:
                await session.execute(statement, placed)
        return len(placed)

    async def _articles_by_id(self, ids: list[str]) -> dict[str, tuple[Article, str]]:
        found: dict[str, tuple[Article, str]] = {}
        async with self._sessions() as session:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                query = select(ArticleRow.id, ArticleRow.data, ArticleRow.content_hash).where(
                    ArticleRow.id.in_(chunk)
                )
                for article_id, data, content_hash in await session.execute(query):
                    found[article_id] = (Article.model_validate(data), content_hash)
        return found

    async def recent_stories(self, limit: int = 10) -> list[Story]:
        """The newest stories, each once: newest first, undated ones last.

        Articles not yet placed in a story are placed first, so every way of ingesting
        articles (sources, the CLI, start-up folders) ends in the same clusters.
        """
        if limit <= 0:
            return []
        await self.assign_stories()
        query = (
            select(ArticleRow.data, ArticleStoryRow.story_id)
            .outerjoin(ArticleStoryRow, ArticleStoryRow.article_id == ArticleRow.id)
            .order_by(*NEWEST_FIRST)
            # Enough rows for ``limit`` stories even when each arrived from several outlets.
            .limit(limit * 8 + 20)
        )
        groups: dict[str, list[Article]] = {}
        async with self._sessions() as session:
            for data, story_id in await session.execute(query):
                article = Article.model_validate(data)
                groups.setdefault(story_id or article.id, []).append(article)
        stories = [build_story(story, members) for story, members in groups.items()]
        return stories[:limit]

    async def stories_for(self, articles: Sequence[Article]) -> list[Story]:
        """The stories of ``articles`` (chosen elsewhere, e.g. by a chat's filters), in their
        order, each once, with every outlet that reported it."""
        if not articles:
            return []
        await self.assign_stories()
        ids = list(dict.fromkeys(a.id for a in articles))
        async with self._sessions() as session:
            story_of = dict(
                (
                    await session.execute(
                        select(ArticleStoryRow.article_id, ArticleStoryRow.story_id).where(
                            ArticleStoryRow.article_id.in_(ids)
                        )
                    )
                ).all()
            )
            members: dict[str, list[Article]] = {}
            story_ids = sorted(set(story_of.values()))
            if story_ids:
                query = (
                    select(ArticleRow.data, ArticleStoryRow.story_id)
                    .join(ArticleStoryRow, ArticleStoryRow.article_id == ArticleRow.id)
                    .where(ArticleStoryRow.story_id.in_(story_ids))
                    .order_by(*NEWEST_FIRST)
                )
                for data, story_id in await session.execute(query):
                    members.setdefault(story_id, []).append(Article.model_validate(data))
        stories: list[Story] = []
        seen: set[str] = set()
        for article in articles:
            story_id = story_of.get(article.id, article.id)
            if story_id in seen:
                continue
            seen.add(story_id)
            stories.append(build_story(story_id, members.get(story_id) or [article]))
        return stories


def _fingerprint(content_hash: str) -> str:
    return f"{content_hash}:{SKETCH_VERSION}"


def _state(row: SourceRow) -> SourceState:
    return from_row(SourceState, row)


def _item(row: SourceItemRow) -> SourceItem:
    return from_row(SourceItem, row)


__all__ = [
    "ArticleStoryRow",
    "PollRecord",
    "SourceItem",
    "SourceItemRow",
    "SourceQueries",
    "SourceRow",
    "SourceState",
]
