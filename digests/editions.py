"""Composing an edition: pick the articles, render the digest, record it with its deliveries."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from config import Edition
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
) -> ComposedDigest:
    """Render ``edition`` from the newest articles in the store."""
    articles = await store.recent_articles(edition.articles)
    parts = renderer.render_messages(
        edition.template,
        edition=edition.name,
        articles=articles,
        generated_at=now or dt.datetime.now(dt.UTC),
        length=length,
    )
    return ComposedDigest(edition.name, parts, [a.id for a in articles])


async def publish(
    store: Store, renderer: Renderer, edition: Edition, scheduled_for: dt.datetime
) -> DigestRecord | None:
    """Record one run of ``edition`` and queue it for every active subscriber.

    Returns ``None`` when this run was already recorded (the store's unique key on edition and
    scheduled time), so a run fired twice, or caught up after a restart, is delivered once.
    """
    digest = await compose(store, renderer, edition, now=scheduled_for)
    if digest.empty:
        log.info("edition %s at %s: no articles yet, nothing queued", edition.name, scheduled_for)
        return None
    record = await store.record_digest(
        edition.name, scheduled_for, digest.parts, digest.article_ids, None
    )
    if record is None:
        log.info("edition %s at %s was already published", edition.name, scheduled_for)
    else:
        log.info("edition %s at %s queued as digest %s", edition.name, scheduled_for, record.id)
    return record
