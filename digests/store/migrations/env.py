"""Alembic's entry point for the store's migrations, driven from :mod:`digests.store.migrate`.

The caller may hand over an open connection in ``config.attributes["connection"]`` (the store
does, from inside ``AsyncConnection.run_sync``); otherwise an async engine is built from
``config.attributes["url"]`` and the migrations run through ``run_sync`` on it.
"""

from __future__ import annotations

import asyncio

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from digests.store.columns import UTCDateTime
from digests.store.engine import DEFAULT_URL, create_engine
from digests.store.tables import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.attributes.get("url") or config.get_main_option("sqlalchemy.url") or DEFAULT_URL


def _render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | bool:
    # New revisions spell the portable column types out, like 0001 does, instead of importing
    # the store's own classes into a file that must not change meaning when they change.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=True,
        **kwargs,
    )


def run_offline() -> None:
    """Print the SQL instead of running it (``--sql``), for a DBA to review."""
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    engine = create_engine(_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_on)
            await connection.commit()
    finally:
        await engine.dispose()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
    else:
        asyncio.run(_run_with_own_engine())


if context.is_offline_mode():
    run_offline()
else:
    run_online()
