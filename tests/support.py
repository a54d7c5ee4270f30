"""Helpers the fixtures use: databases, migrations, and a live uvicorn."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlparse, urlunparse

import asyncpg
import uvicorn
from sqlalchemy import event as sa_event

from harvest.settings import Settings
from models.migrations import upgrade
from resolvers.context import current_request_id


def migrate(url: str) -> None:
    upgrade(url)


def _admin_dsn(url: str) -> str:
    parsed = urlparse(url.replace("postgresql+asyncpg", "postgresql"))
    return urlunparse(parsed._replace(path="/postgres"))


def _with_database(url: str, name: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{name}"))


def create_pg_database(url: str, name: str) -> str:
    async def run() -> None:
        conn = await asyncpg.connect(_admin_dsn(url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(run())
    return _with_database(url, name)


def drop_pg_database(url: str, name: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(_admin_dsn(url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(run())


def empty_pg(url: str) -> None:
    """Delete every row of every table but alembic's, in one transaction.

    DELETE with foreign-key triggers off (``session_replication_role``), not
    TRUNCATE: a test leaves a handful of rows, and TRUNCATE of 26 tables
    swaps 26 files on disk, about 100 ms a test against about 1 ms. The
    schema has no sequences to restart (ids are generated strings)."""

    async def run() -> None:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:
            tables = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
            async with conn.transaction():
                await conn.execute("SET LOCAL session_replication_role = replica")
                for row in tables:
                    await conn.execute(f'DELETE FROM "{row["tablename"]}"')
        finally:
            await conn.close()

    asyncio.run(run())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """uvicorn serving ``create_app(settings)`` in a thread, on loopback."""

    def __init__(self, settings: Settings, port: int | None = None) -> None:
        self.port = port or free_port()
        self.settings = replace(settings, public_url=f"http://127.0.0.1:{self.port}")
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None
        self.server: uvicorn.Server | None = None

    def start(self) -> None:
        from harvest.app import create_app

        app = create_app(self.settings, auto_migrate=False)
        self.app = app
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=5,
            ws_per_message_deflate=self.settings.ws_per_message_deflate,
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)


class DatabaseCounter:
    """Counts the statements an engine sends, the transactions it commits and
    the connections checked out of its pool, while attached (``attach`` /
    ``detach``, or as a context manager).

    With ``request_id`` only the work done for that request counts (its
    handler and the tasks it started carry the id), so background workers
    polling the same database do not blur the figure."""

    def __init__(self, engine: Any, *, request_id: str | None = None) -> None:
        self.engine = engine.sync_engine if hasattr(engine, "sync_engine") else engine
        self.request_id = request_id
        self.statements: list[str] = []
        self.commits = 0
        self.connections = 0

    def _counts(self) -> bool:
        return self.request_id is None or current_request_id.get() == self.request_id

    def _statement(self, *args: Any) -> None:
        if self._counts():
            self.statements.append(" ".join(str(args[2]).split()))

    def _commit(self, *args: Any) -> None:
        if self._counts():
            self.commits += 1

    def _checkout(self, *args: Any) -> None:
        if self._counts():
            self.connections += 1

    def attach(self) -> DatabaseCounter:
        sa_event.listen(self.engine, "before_cursor_execute", self._statement)
        sa_event.listen(self.engine, "commit", self._commit)
        sa_event.listen(self.engine.pool, "checkout", self._checkout)
        return self

    def detach(self) -> None:
        sa_event.remove(self.engine, "before_cursor_execute", self._statement)
        sa_event.remove(self.engine, "commit", self._commit)
        sa_event.remove(self.engine.pool, "checkout", self._checkout)

    def __enter__(self) -> DatabaseCounter:
        return self.attach()

    def __exit__(self, *exc: object) -> None:
        self.detach()
