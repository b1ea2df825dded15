"""Composing an edition: pick the articles, render the digest, record it with its deliveries."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from config import Edition
from digests.models import Article
from digests.render import Renderer
from digests.store import DigestRecord, Store

log = logging.getLogger(__name__)


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


async def publish(
    store: Store,
    renderer: Renderer,
    edition: Edition,
    scheduled_for: dt.datetime,
    *,
    chat_ids: Sequence[int] | None = None,
    default_timezone: str = "UTC",
) -> DigestRecord | None:
    """Record one run of ``edition`` and queue it for ``chat_ids`` (default: every active
    subscriber), each getting the articles their topics and words keep, at their length.

    Returns the digest most chats received, or ``None`` when nobody was queued: the run was
    served before (a run fired twice, or caught up after a restart, is delivered once), or
    nothing matched. See :func:`digests.runs.serve_run` for the whole outcome.
    """
    from digests.runs import serve_run  # runs builds on compose(); imported late, no cycle

    outcome = await serve_run(
        store, renderer, edition, scheduled_for, chat_ids, personal=False,
        default_timezone=default_timezone,
    )
    return outcome.main
