"""Building the async engine: URL normalisation and per-backend connection settings."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from digests.store.errors import StoreError

DEFAULT_URL = "sqlite+aiosqlite:///./var/digestbot.sqlite3"

#: How long SQLite waits for another writer before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def normalize_url(url: str | URL) -> URL:
    """Parse ``url`` and pick the async driver when the URL names none.

    ``postgres://`` and ``postgresql://`` become ``postgresql+asyncpg://``; ``sqlite://`` becomes
    ``sqlite+aiosqlite://``. Other backends are refused: the store is tested on these two only.
    """
    try:
        parsed = make_url(url)
    except Exception:
        # The parser's message repeats the URL, password included.
        raise StoreError("the database URL cannot be parsed") from None
    backend = parsed.get_backend_name()
    if backend == "postgres":
        backend = "postgresql"
    if backend not in _ASYNC_DRIVERS:
        raise StoreError(f"unsupported database {backend!r}: use SQLite or PostgreSQL")
    if parsed.get_driver_name() in ("", "pysqlite", "psycopg2"):
        parsed = parsed.set(drivername=_ASYNC_DRIVERS[backend])
    return parsed


def safe_url(url: str | URL) -> str:
    """The URL as text with the password masked, for logs and error messages."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path | None:
    """The database file of an SQLite URL, or ``None`` for in-memory databases."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        # A URI filename: the path part ends where its query string begins.
        database = database[len("file:") :].split("?", 1)[0]
        if not database or database == ":memory:" or "mode=memory" in (url.database or ""):
            return None
    return Path(database)


def create_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """Create the engine for ``url``, preparing SQLite files and connections.

    For SQLite the file's directory is created if missing, and every connection gets WAL
    journaling (readers do not block the writer), enforced foreign keys and a busy timeout.
    Transactions there start with ``BEGIN IMMEDIATE`` so that two writers queue on the busy
    timeout instead of failing when a read lock cannot be upgraded.
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(parsed, **kwargs)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA journal_mode")
        if cursor.fetchone()[0] != "wal":
            # Switching needs the file to itself, and SQLite refuses at once rather than wait
            # while a writer is busy. WAL is stored in the file, so a later connection will
            # finish the switch; until then the default journal is just as safe.
            with contextlib.suppress(sqlite3.OperationalError):
                cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
