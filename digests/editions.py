"""Composing an edition: pick the articles and render the digest (digests.runs records it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from config import Edition
from digests.models import Article
from digests.render import Renderer
from digests.store import Store


@dataclass(frozen=True)
class ComposedDigest:
    """A digest rendered into Telegram messages, before it is recorded or sent."""

    edition: str
    parts: list[str]
    article_ids: list[str]

    @property
    def empty(self) -> bool:
        return not self.article_ids


async def compose(
    store: Store,
    renderer: Renderer,
    edition: Edition,
    *,
    now: dt.datetime | None = None,
    length: str = "full",
    articles: Sequence[Article] | None = None,
) -> ComposedDigest:
    """Render ``edition`` from the newest articles in the store, or from ``articles``.

    ``articles`` are the ones a subscriber's filters kept, newest first, already cut to the
    edition's count.
    """
    # One story reported by several outlets (or updated) is one item, with "also reported by".
    if articles is None:
        stories = await store.recent_stories(edition.articles)
    else:
        stories = await store.stories_for(articles)
    articles = [story.article for story in stories]
    parts = renderer.render_messages(
        edition.template,
        edition=edition.name,
        articles=articles,
        also_reported_by={s.article.id: s.also_reported_by for s in stories},
        generated_at=now or dt.datetime.now(dt.UTC),
        length=length,
    )
    return ComposedDigest(edition.name, parts, [a.id for a in articles])
