"""Sources -> extraction -> store: the one path every article takes into the database."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from digests.errors import SourceError
from digests.extract import extract_article
from digests.models import Article
from digests.sources import LoadedArticle, iter_article_files, load_file

if TYPE_CHECKING:
    from digests.store import Store

log = logging.getLogger(__name__)
SAMPLES_DIR = Path(__file__).with_name("samples")


@dataclass
class IngestReport:
    """What one ingest run did, file by file."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged"
        return text + (f", {len(self.errors)} failed" if self.errors else "")


def structure(loaded: LoadedArticle) -> Article:
    """Extract an article's structure unless its record already carries it."""
    return extract_article(loaded.article) if loaded.needs_extraction else loaded.article


def load_articles(paths: Iterable[Path], report: IngestReport) -> list[Article]:
    """Read and extract every article under ``paths``; a bad file is reported, not fatal."""
    articles = []
    for path in iter_article_files(list(paths)):
        try:
            articles.extend(structure(item) for item in load_file(path))
        except SourceError as exc:
            report.errors.append(str(exc))
            log.warning("skipped article file: %s", exc)
    return articles


async def ingest_paths(store: Store, paths: Iterable[Path]) -> IngestReport:
    """Store every article under ``paths`` idempotently: unchanged articles stay one row."""
    report = IngestReport()
    for article in load_articles(paths, report):
        outcome = await store.upsert_article(article)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report
