"""Shared pytest fixtures."""

from __future__ import annotations

# ==== database fixtures (owned by the store; keep this block together) =========================
# ``store`` runs a test once on an SQLite file and once on PostgreSQL. PostgreSQL comes from
# TEST_POSTGRES_URL (default: postgres@127.0.0.1:5432/test, trust auth); each test session works
# in a fresh database it creates there and drops at the end. Without a server, PostgreSQL cases
# are skipped with the reason shown, except under CI=true, where they fail.
# TEST_DATABASE=sqlite or TEST_DATABASE=postgresql runs the whole suite on one backend (CI runs
# it once on each): the parametrized fixtures then take that backend alone, and everything that
# asks for "the database of this run" (``run_database_url``, ``database_url_for_run``) uses it.
# Unset, the parametrized fixtures run on both and the rest of the suite on SQLite.
import asyncio
import concurrent.futures
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
import pytest_asyncio
from sources_web import Web
from sqlalchemy.engine import URL, make_url

from digests.store import Store

T = TypeVar("T")
DEFAULT_TEST_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
KNOWN_BACKENDS = ("sqlite", "postgresql")
TEST_DATABASE = os.environ.get("TEST_DATABASE", "").strip().lower()
DATABASE_BACKENDS = [TEST_DATABASE] if TEST_DATABASE in KNOWN_BACKENDS else list(KNOWN_BACKENDS)
#: The backend of tests that run once, not once per backend.
RUN_BACKEND = TEST_DATABASE if TEST_DATABASE in KNOWN_BACKENDS else "sqlite"
#: For tests that need PostgreSQL itself (several workers, advisory locks, its rate limiter).
postgres_only = pytest.mark.skipif(
    TEST_DATABASE == "sqlite", reason="PostgreSQL only: runs in the PostgreSQL pass"
)


def pytest_configure(config: pytest.Config) -> None:
    if TEST_DATABASE and TEST_DATABASE not in KNOWN_BACKENDS:
        raise pytest.UsageError(
            f"TEST_DATABASE={TEST_DATABASE!r}: use 'sqlite' or 'postgresql' (or leave it unset)"
        )


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {', '.join(DATABASE_BACKENDS)} (run backend: {RUN_BACKEND})"


def _run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to the end, also when called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # Async tests call the helpers from their loop: give the coroutine a loop of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


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
        _run_sync(_postgres_admin(server, f'CREATE DATABASE "{name}"'))
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
    _run_sync(_postgres_admin(_postgres_server(), drop))


async def _empty_postgres_tables(url: str) -> None:
    server = make_url(url)
    # A worker an earlier test left running would still hold its leadership locks (see
    # bot.leader), and this test's workers would wait for them forever: end such sessions.
    await _postgres_admin(
        server,
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND pid <> pg_backend_pid()",
    )
    tables = await _postgres_admin(
        server,
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND tablename <> 'alembic_version'",
    )
    if tables:
        names = ", ".join(f'"{row["tablename"]}"' for row in tables)
        await _postgres_admin(server, f"TRUNCATE {names} RESTART IDENTITY CASCADE")


# The session's shared PostgreSQL database, created on first use (by a fixture or by
# ``database_url_for_run``) and dropped when the session ends; a failure to create it is
# remembered, so later tests skip at once instead of waiting for the server again.
_session_postgres: dict[str, str] = {}


def _session_postgres_url() -> str:
    if "skip" in _session_postgres:
        reason = _session_postgres["skip"]
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    if "url" not in _session_postgres:
        try:
            _session_postgres["url"] = _create_postgres_database()
        except pytest.skip.Exception as skipped:
            _session_postgres["skip"] = str(skipped.msg)
            raise
    return _session_postgres["url"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    url = _session_postgres.pop("url", None)
    if url is not None:
        _drop_postgres_database(url)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL database for this test session; tests sharing it must empty it first."""
    return _session_postgres_url()


_emptied_for: set[Path] = set()


def database_url_for_run(tmp_path: Path) -> str:
    """The database of this run for the test owning ``tmp_path``; the same URL on every call.

    SQLite: a file in ``tmp_path``. PostgreSQL (``TEST_DATABASE=postgresql``): the session's
    database, emptied the first time a test asks, so a test that "restarts" the bot by opening
    it again keeps its data.
    """
    if RUN_BACKEND == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'digestbot.sqlite3'}"
    url = _session_postgres_url()
    if tmp_path not in _emptied_for:
        _run_sync(_empty_postgres_tables(url))
        _emptied_for.add(tmp_path)
    return url


@pytest.fixture
def run_database_url(tmp_path: Path) -> str:
    """The database URL for this run (see :func:`database_url_for_run`)."""
    return database_url_for_run(tmp_path)


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
    async with await Store.open(database_url) as opened:
        yield opened


# ==== end of database fixtures ==================================================================


@pytest_asyncio.fixture
async def sqlite_store(sqlite_url: str) -> AsyncIterator[Store]:
    """An open, migrated, empty SQLite :class:`~digests.store.Store`, whatever the pass."""
    async with await Store.open(sqlite_url) as opened:
        yield opened


@pytest_asyncio.fixture
async def web() -> AsyncIterator[Web]:
    """A web server on 127.0.0.1 for source tests, answering what each test tells it to."""
    server = Web()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
