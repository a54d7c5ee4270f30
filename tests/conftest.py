"""Fixtures for the whole suite.

The suite runs on the embedded defaults (SQLite, in-memory broadcast) unless
``HARVEST_TEST_DATABASE_URL`` (PostgreSQL) and ``HARVEST_TEST_REDIS_URL`` are
set. Every test gets a database of its own: a copy of a migrated SQLite file,
or a PostgreSQL database emptied after each test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from harvest.app import create_app
from harvest.settings import Settings
from tests import support
from tests.resilience.canary import Recorder

PG_URL = os.environ.get("HARVEST_TEST_DATABASE_URL") or None
REDIS_URL = os.environ.get("HARVEST_TEST_REDIS_URL") or None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("template") / "harvest.db"
    support.migrate(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A migrated PostgreSQL database for this run, dropped at the end."""
    if PG_URL is None:
        yield None
        return
    url = support.create_pg_database(PG_URL, f"harvest_test_{os.getpid()}")
    support.migrate(url)
    yield url
    support.drop_pg_database(PG_URL, f"harvest_test_{os.getpid()}")


@pytest.fixture
def database_url(
    tmp_path: Path, sqlite_template: Path, pg_database: str | None
) -> Iterator[str]:
    """This test's database URL, empty and migrated."""
    if pg_database is not None:
        yield pg_database
        support.empty_pg(pg_database)
        return
    path = tmp_path / "harvest.db"
    shutil.copy(sqlite_template, path)
    yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Development settings pointed at this test's database and folders."""
    return Settings(
        env="test",
        var_dir=tmp_path / "var",
        database_url=database_url,
        redis_url=REDIS_URL,
        secret_key="test-secret-" + "x" * 40,
        public_url="http://testserver",
        webhook_allow_private=True,
        rate_limit_namespace=uuid.uuid4().hex[:12],
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    """The application, started (lifespan run) and stopped around the test."""
    application = create_app(settings, auto_migrate=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client speaking to the app in process (no sockets). Its responses
    go through the canary scan when the test ends: no stored secret may leave."""
    recorded = Recorder()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as c:
        yield recorded.watch(c)
    leaks = await recorded.leaks(app)
    assert leaks == [], "secrets in responses: " + "; ".join(leaks)


@pytest.fixture
def live_server(settings: Settings) -> Iterator[support.LiveServer]:
    """A real uvicorn on a free loopback port, serving this test's settings."""
    server = support.LiveServer(settings)
    server.start()
    yield server
    server.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``long_running`` first, each followed by one ordinary test.

    Under ``pytest -n N --maxschedchunk 1`` (CI) pytest-xdist hands each worker
    two tests to begin with, in collection order: this way each long test
    starts at once on a worker of its own, instead of landing late, or behind
    another long one, and holding the whole pass up at its end.
    """
    long = [item for item in items if item.get_closest_marker("long_running")]
    if not long:
        return
    rest = [item for item in items if not item.get_closest_marker("long_running")]
    ordered: list[pytest.Item] = []
    for item in long:
        ordered.append(item)
        if rest:
            ordered.append(rest.pop(0))
    items[:] = ordered + rest
