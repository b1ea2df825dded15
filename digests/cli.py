"""The content command line: ``python -m digests COMMAND``.

Commands: ``extract``, ``ingest``, ``render``, ``sources``, ``prune`` and ``schema``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from digests.errors import SourceError

if TYPE_CHECKING:
    from config import Settings
    from digests.models import Article

# Imports are made inside each command: `extract` must start fast (it runs once per article
# in the scorer), and settings, the store and the scheduler are not needed for it.


def _settings() -> Settings:
    from config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None


@click.group()
def main() -> None:
    """Turn news articles into structured digests."""


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the structured article as JSON.")
def extract(path: Path, as_json: bool) -> None:
    """Extract the structure of the article in PATH and print it."""
    from digests.ingest import structure
    from digests.sources import load_file

    try:
        loaded = load_file(path)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    articles = [structure(item) for item in loaded]
    if as_json:
        if len(articles) == 1:
            click.echo(articles[0].model_dump_json(indent=2))
        else:
            click.echo(json.dumps([a.model_dump(mode="json") for a in articles], indent=2))
        return
    for article in articles:
        click.echo(describe(article))


def describe(article: Article) -> str:
    """A readable report of an extracted article, for people at a terminal."""
    lines = [article.title, "=" * min(len(article.title), 78), "", article.summary, ""]
    if article.key_points:
        lines += ["Key points:", *(f"  • {p}" for p in article.key_points), ""]
    if article.quotes:
        lines.append("Quotes:")
        for q in article.quotes:
            who = q.speaker or "unattributed"
            role = f" ({q.speaker_role})" if q.speaker_role else ""
            lines.append(f"  “{q.text}” — {who}{role} [{q.kind.value}]")
        lines.append("")
    if article.figures:
        lines.append("Figures:")
        for f in article.figures:
            value = f"{f.number:g}" if f.number is not None else "?"
            unit = f" {f.unit}" if f.unit else ""
            lines.append(f"  {f.text}: {value}{unit}" + (f" — {f.counts}" if f.counts else ""))
        lines.append("")
    if article.dates:
        lines.append("Dates: " + ", ".join(
            f"{d.text} ({d.date.isoformat()})" if d.date else d.text for d in article.dates
        ))
    if article.topics:
        lines.append("Topics: " + ", ".join(article.topics))
    return "\n".join(lines).rstrip() + "\n"


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
def ingest(paths: tuple[Path, ...]) -> None:
    """Store the articles in PATHS (files or folders); re-ingesting changes nothing."""
    import asyncio

    from digests.ingest import ingest_paths
    from digests.store import Store

    settings = _settings()

    async def run() -> str:
        store = await Store.open(settings.database_url_value)
        try:
            report = await ingest_paths(store, list(paths))
        finally:
            await store.close()
        for error in report.errors:
            click.echo(f"skipped: {error}", err=True)
        return str(report)

    click.echo(asyncio.run(run()))


@main.command()
@click.option("--edition", "name", help="Edition to render (default: the first configured).")
@click.option("--brief", is_flag=True, help="Headlines and one line each.")
def render(name: str | None, brief: bool) -> None:
    """Print the digest that would go out now, as Telegram HTML messages."""
    import asyncio

    from digests.editions import compose
    from digests.render import Renderer
    from digests.store import Store

    settings = _settings()
    editions = {e.name: e for e in settings.editions}
    if name is not None and name not in editions:
        raise click.BadParameter(f"no edition {name!r}; configured: {', '.join(editions)}",
                                 param_hint="--edition")
    edition = editions[name] if name else settings.editions[0]

    async def run() -> list[str]:
        store = await Store.open(settings.database_url_value)
        try:
            digest = await compose(store, Renderer(settings.templates_dir), edition,
                                   length="brief" if brief else "full")
        finally:
            await store.close()
        return [] if digest.empty else digest.parts

    parts = asyncio.run(run())
    if not parts:
        click.echo("No articles stored yet: run `python -m digests ingest PATH` first.", err=True)
        sys.exit(1)
    for number, part in enumerate(parts, start=1):
        if len(parts) > 1:
            click.echo(f"--- message {number} of {len(parts)} ---")
        click.echo(part)


@main.command()
@click.option("--poll", is_flag=True, help="Poll every source once now, then list them.")
def sources(poll: bool) -> None:
    """List the sources (SOURCES, SOURCES_FILE) with last poll, status and article counts."""
    import asyncio

    from digests.sources.config import SourceConfigError
    from digests.sources.listing import sources_report

    settings = _settings()
    try:
        listing, outcomes = asyncio.run(sources_report(settings, poll=poll))
    except SourceConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None
    for outcome in outcomes:
        click.echo(f"polled {outcome}", err=True)
    click.echo(listing)


@main.command()
@click.option("--days", type=click.IntRange(min=1, max=3650), default=None,
              help="Keep this many days (default: RETENTION_DAYS).")
def prune(days: int | None) -> None:
    """Delete finished deliveries and spent digests of runs older than the retention period."""
    import asyncio
    import datetime as dt

    from digests.store import Store

    settings = _settings()
    if days is None:
        if settings.retention is None:
            click.echo("RETENTION_DAYS is 0: keeping everything (use --days N to prune).")
            return
        days = settings.retention_days
    older_than = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)

    async def run() -> str:
        store = await Store.open(settings.database_url_value)
        try:
            report = await store.prune_outbox(older_than)
        finally:
            await store.close()
        return str(report)

    click.echo(f"{asyncio.run(run())} (runs before {older_than:%Y-%m-%d %H:%M} UTC)")


@main.command()
def schema() -> None:
    """Print the JSON Schema of a structured article."""
    from digests.models import Article

    click.echo(json.dumps(Article.model_json_schema(), indent=2))
