"""Serving one run of an edition to the chats due, each with the digest its preferences ask for.

A *run* is an edition at one scheduled instant. Chats whose filters keep the same articles at the
same length, in the same language, share one recorded digest (a *variant*), so a run costs one
rendering per variant, not per chat. Each chat is claimed in the store's run ledger before
anything is queued for it, which makes serving a run at most once per chat however often it is
fired, caught up, or raced by a second worker. A chat whose filters keep nothing is claimed and
sent nothing.

    >>> outcome = await serve_run(store, renderer, edition, when, [1, 2, 3], personal=True)
    >>> outcome.queued, outcome.empty
    (2, 1)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from config import Edition
from digests.editions import compose
from digests.i18n import normalize_language
from digests.models import Article, Quote
from digests.preferences import Preferences, quiet_hours_end, select_articles
from digests.render import Renderer, notable_quote
from digests.store import DigestRecord, Store

log = logging.getLogger(__name__)

#: Filtered chats pick from this many recent articles per article the edition shows, so
#: following a rarer topic still fills a digest.
POOL_FACTOR = 8
MIN_POOL = 40


@dataclass
class RunOutcome:
    """What serving one run did."""

    edition: str
    scheduled_for: dt.datetime
    digests: list[DigestRecord] = field(default_factory=list)
    #: Chats queued a delivery.
    queued: int = 0
    #: Chats claimed for whom nothing matched: nothing sent.
    empty: int = 0
    #: Chats skipped because this run had already been served to them.
    repeated: int = 0

    @property
    def main(self) -> DigestRecord | None:
        """The digest most chats received (``None`` when nothing was queued)."""
        return max(self.digests, key=lambda d: d.queued or 0, default=None)


async def candidate_pool(store: Store, edition: Edition, filtered: bool) -> list[Article]:
    """The recent articles a run chooses from: more of them when some chat filters."""
    if not filtered:
        return await store.recent_articles(edition.articles)
    return await store.recent_articles(max(edition.articles * POOL_FACTOR, MIN_POOL))


def quote_of_the_day(articles: Sequence[Article], day: dt.date) -> tuple[Article, Quote] | None:
    """One attributed quote from ``articles`` that stays the same all ``day`` and changes daily."""
    picks = []
    for article in articles:
        quote = notable_quote(article)
        if quote is not None and quote.speaker:
            token = hashlib.sha1(f"{day.isoformat()}|{quote.text}".encode()).hexdigest()
            picks.append((token, article, quote))
    if not picks:
        return None
    _, article, quote = min(picks, key=lambda pick: pick[0])
    return article, quote


async def serve_run(
    store: Store,
    renderer: Renderer,
    edition: Edition,
    scheduled_for: dt.datetime,
    chat_ids: Sequence[int] | None,
    *,
    personal: bool,
    default_timezone: str = "UTC",
) -> RunOutcome:
    """Queue ``edition`` at ``scheduled_for`` for ``chat_ids`` (``None``: every active chat).

    Chats that do not follow the edition, or want weekdays only and it is their weekend, are
    left out. Deliveries falling in a chat's quiet hours are held until those end.
    """
    scheduled_for = scheduled_for.astimezone(dt.UTC)
    outcome = RunOutcome(edition.name, scheduled_for)
    everyone = await store.preferences_for(chat_ids, default_timezone)
    due = [
        p for p in everyone.values()
        if p.follows_edition(edition.name) and (personal or p.wants_on(scheduled_for))
    ]
    if not due:
        return outcome
    pool = await candidate_pool(store, edition, any(not p.filters.empty for p in due))
    top = pool[: edition.articles]
    qotd = quote_of_the_day(pool, scheduled_for.date())

    # Chats with equal filters keep equal articles: match each distinct filter once.
    kept: dict[object, list[Article]] = {}
    variants: dict[tuple[str, tuple[str, ...], bool, str], list[Preferences]] = {}
    for prefs in due:
        signature = prefs.filters.signature()
        if signature not in kept:
            kept[signature] = select_articles(pool, prefs.filters, edition.articles)
        ids = tuple(a.id for a in kept[signature])
        language = normalize_language(prefs.language) or renderer.language
        variants.setdefault((prefs.length, ids, prefs.quote_of_the_day, language), []).append(
            prefs
        )

    claimed = set(await store.claim_runs(
        edition.name, scheduled_for, [p.chat_id for p in due], personal=personal
    ))
    outcome.repeated = len(due) - len(claimed)
    by_id = {a.id: a for a in pool}
    for (length, ids, with_quote, language), members in sorted(
        variants.items(), key=_largest_first
    ):
        chats = [p for p in members if p.chat_id in claimed]
        if not chats:
            continue
        if not ids:
            outcome.empty += len(chats)
            continue
        articles = [by_id[i] for i in ids]
        speaking = renderer.localized(language)
        digest = await compose(
            store, speaking, edition, now=scheduled_for, length=length, articles=articles
        )
        parts = list(digest.parts)
        if with_quote and qotd is not None:
            parts += speaking.render_messages(
                "quote_of_the_day.html", article=qotd[0], quote=qotd[1]
            )
        canonical = (
            not personal and length == "full" and not with_quote
            and language == renderer.language and list(ids) == [a.id for a in top]
        )
        key = edition.name if canonical else _variant_key(
            edition.name, personal, f"{length}/{language}", ids, with_quote
        )
        record = await store.record_digest(
            key, scheduled_for, parts, digest.article_ids, [p.chat_id for p in chats]
        )
        if record is None:
            # Another worker recorded this variant first; the ledger kept these chats from
            # being served twice, and they are not served here either.
            log.warning("run %s at %s: variant %s already recorded", edition.name,
                        scheduled_for, key)
            continue
        outcome.digests.append(record)
        outcome.queued += len(chats)
        held = {
            p.chat_id: end for p in chats
            if (end := quiet_hours_end(scheduled_for, p.timezone, p.quiet)) is not None
        }
        await store.hold_deliveries(record.id, held)
    log.info(
        "%s run %s at %s: %d chat(s) queued in %d digest(s), %d with nothing matching, "
        "%d already served", "personal" if personal else "edition", edition.name, scheduled_for,
        outcome.queued, len(outcome.digests), outcome.empty, outcome.repeated,
    )
    return outcome


def _largest_first(item: tuple[object, list[Preferences]]) -> int:
    return -len(item[1])


def _variant_key(
    edition: str, personal: bool, length: str, ids: Sequence[str], with_quote: bool
) -> str:
    """A digest key unique to the variant: ``morning~3fa2c1d0e9`` (``@`` for personal runs)."""
    basis = "|".join([length, "q" if with_quote else "", *ids])
    return f"{edition}{'@' if personal else '~'}{hashlib.sha1(basis.encode()).hexdigest()[:10]}"
