"""Running the Alembic migrations packaged with the store, without any ``alembic.ini``.

:func:`upgrade` is what :meth:`Store.open <digests.store.Store.open>` calls; :func:`run_command`
serves ``python -m digests.store`` for release steps and for writing new revisions.
"""

from __future__ import annotations

import asyncio
import sys
import weakref
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from digests.store.errors import StoreError

#: Found through the import system, so neither the current directory nor an install path matters.
SCRIPT_LOCATION = f"{__package__}:migrations"

# Any fixed number: PostgreSQL advisory locks are keyed by a bigint the application picks.
_PG_MIGRATION_LOCK = 0x64_69_67_65_73_74  # "digest"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration pointing at the packaged migrations.

    ``url`` travels in ``Config.attributes`` rather than in the ini options, where a ``%`` in
    a password would break interpolation and ``alembic`` could echo it.
    """
    # Alembic's default output stream is whatever sys.stdout was when it was imported.
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["url"] = url
    return config


def head_revision() -> str:
    """The newest revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise StoreError("the packaged migrations are missing")
    return head


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` to ``revision`` in one transaction.

    Processes starting together (worker and CLI) take turns: on PostgreSQL through an advisory
    lock, on SQLite through the write lock its ``BEGIN IMMEDIATE`` takes.
    """
    await _run_locked(engine, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Revert the database behind ``engine`` to ``revision`` (``"base"``: no tables at all)."""
    await _run_locked(engine, "downgrade", revision)


# Alembic keeps the running migration context in module globals (``alembic.context``,
# ``alembic.op``), so two commands interleaved on one event loop would trample each other.
_loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def _run_locked(engine: AsyncEngine, name: str, revision: str) -> None:
    lock = _loop_locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
            )
        await connection.run_sync(_run, name, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or ``None`` before the first migration."""
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def _run(connection: Connection, name: str, *args: Any) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, name)(config, *args)


def run_command(url: str, name: str, *args: Any, **kwargs: Any) -> None:
    """Run the Alembic command ``name`` (``upgrade``, ``current``, ``revision``...) on ``url``.

    Synchronous: ``env.py`` starts its own event loop, so call this outside of one.
    """
    getattr(command, name)(alembic_config(url), *args, **kwargs)
