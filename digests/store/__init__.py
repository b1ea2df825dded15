"""Persistence: articles, subscribers, and digests with their delivery outbox.

Open a :class:`Store` with a database URL (SQLite by default, PostgreSQL by URL); it applies the
packaged migrations on open. ``python -m digests.store upgrade`` does the same as a release step.
"""

from digests.store import scale as _scale  # noqa: F401 - registers its tables
from digests.store.articles import UpsertOutcome
from digests.store.engine import DEFAULT_URL, create_engine, normalize_url, safe_url
from digests.store.errors import NotFound, StoreError
from digests.store.migrate import current_revision, downgrade, head_revision, upgrade
from digests.store.records import (
    FINAL_STATUSES,
    Delivery,
    DeliveryStatus,
    DigestRecord,
    Subscriber,
)
from digests.store.sources import PollRecord, SourceItem, SourceState
from digests.store.store import Store

__all__ = [
    "DEFAULT_URL",
    "FINAL_STATUSES",
    "Delivery",
    "DeliveryStatus",
    "DigestRecord",
    "NotFound",
    "PollRecord",
    "SourceItem",
    "SourceState",
    "Store",
    "StoreError",
    "Subscriber",
    "UpsertOutcome",
    "create_engine",
    "current_revision",
    "downgrade",
    "head_revision",
    "normalize_url",
    "safe_url",
    "upgrade",
]
