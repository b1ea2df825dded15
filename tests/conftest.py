"""Shared pytest fixtures."""

from __future__ import annotations

# ==== database fixtures (owned by the store; keep this block together) =========================
# ``store`` runs a test once on an SQLite file and once on PostgreSQL. PostgreSQL comes from
# TEST_POSTGRES_URL (default: postgres@127.0.0.1:5432/test, trust auth); each test session works
# in a fresh database it creates there and drops at the end. Without a server, PostgreSQL cases
# are skipped with the reason shown, except under CI=true, where they fail.
import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy.engine import URL, make_url

from digests.store import Store

DEFAULT_TEST_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE_BACKENDS = ["sqlite", "postgresql"]


def _postgres_server() -> URL:
    return make_url(os.environ.get("TEST_POSTGRES_URL") or DEFAULT_TEST_POSTGRES_URL)


async def _postgres_admin(server: URL, *statements: str) -> list[asyncpg.Record]:
    dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        rows: list[asyncpg.Record] = []
        for statement in statements:
            rows = await connection.fetch(statement)
        return rows
    finally:
        await connection.close()


def _create_postgres_database() -> str:
    """Create an empty uniquely named database and return its async URL, or skip/fail."""
    server = _postgres_server()
    name = f"digests_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_postgres_admin(server, f'CREATE DATABASE "{name}"'))
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        where = server.render_as_string(hide_password=True)
        reason = f"PostgreSQL at {where} is not usable ({type(exc).__name__}: {exc})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return server.set(drivername="postgresql+asyncpg", database=name).render_as_string(
        hide_password=False
    )


def _drop_postgres_database(url: str) -> None:
    drop = f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'
    asyncio.run(_postgres_admin(_postgres_server(), drop))


async def _empty_postgres_tables(url: str) -> None:
    server = make_url(url)
    tables = await _postgres_admin(
        server,
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND tablename <> 'alembic_version'",
    )
    if tables:
        names = ", ".join(f'"{row["tablename"]}"' for row in tables)
        await _postgres_admin(server, f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database for this test session; tests sharing it must empty it first."""
    url = _create_postgres_database()
    yield url
    _drop_postgres_database(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An SQLite file URL in a directory that does not exist yet."""
    return f"sqlite+aiosqlite:///{tmp_path / 'db' / 'digestbot.sqlite3'}"


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """A PostgreSQL database of its own for one test, with no tables at all."""
    url = _create_postgres_database()
    yield url
    _drop_postgres_database(url)


@pytest.fixture(params=DATABASE_BACKENDS)
def empty_database_url(request: pytest.FixtureRequest) -> str:
    """A database with no tables, once per backend: for testing migrations."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("fresh_postgres_url")


@pytest.fixture(params=DATABASE_BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """A database URL once per backend; on PostgreSQL the shared database is emptied first."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    url = request.getfixturevalue("postgres_url")
    asyncio.run(_empty_postgres_tables(url))
    return url


@pytest_asyncio.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """An open, migrated, empty :class:`~digests.store.Store`, once per backend."""
    opened = await Store.open(database_url)
    try:
        yield opened
    finally:
        await opened.close()


# ==== end of database fixtures ==================================================================
