"""Article queries: saving extracted articles by id and reading the newest back."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import func, select, update

from digests.models import Article
from digests.store.base import StoreBase
from digests.store.tables import ArticleRow

UpsertOutcome = Literal["added", "updated", "unchanged"]


class ArticleQueries(StoreBase):
    """Articles keyed by id, with the full model kept as JSON."""

    async def upsert_article(self, article: Article) -> UpsertOutcome:
        """Save ``article`` by id: ``"added"`` if new, ``"updated"`` if its content changed."""
        now = self.clock()
        content_hash = article.content_hash()
        values = {
            "title": article.title,
            "url": article.url,
            "source": article.source,
            "published_at": article.published_at,
            "language": article.language,
            "content_hash": content_hash,
            "data": article.model_dump(mode="json"),
            "updated_at": now,
        }
        async with self._sessions.begin() as session:
            added = await session.execute(
                self._insert(ArticleRow)
                .values(id=article.id, ingested_at=now, **values)
                .on_conflict_do_nothing(index_elements=[ArticleRow.id])
                .returning(ArticleRow.id)
            )
            if added.first() is not None:
                return "added"
            changed = await session.execute(
                update(ArticleRow)
                .where(ArticleRow.id == article.id, ArticleRow.content_hash != content_hash)
                .values(**values)
                .returning(ArticleRow.id),
                execution_options={"synchronize_session": False},
            )
            return "updated" if changed.first() is not None else "unchanged"

    async def get_article(self, article_id: str) -> Article | None:
        async with self._sessions() as session:
            data = await session.scalar(select(ArticleRow.data).where(ArticleRow.id == article_id))
        return None if data is None else Article.model_validate(data)

    async def recent_articles(self, limit: int = 10) -> list[Article]:
        """The newest articles: latest published first, undated ones last by ingestion time."""
        query = (
            select(ArticleRow.data)
            .order_by(
                ArticleRow.published_at.desc().nulls_last(),
                ArticleRow.ingested_at.desc(),
                ArticleRow.id,
            )
            .limit(max(limit, 0))
        )
        async with self._sessions() as session:
            rows = await session.scalars(query)
            return [Article.model_validate(data) for data in rows]

    async def count_articles(self) -> int:
        async with self._sessions() as session:
            return await session.scalar(select(func.count()).select_from(ArticleRow)) or 0
