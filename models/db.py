"""The database: one async engine per process, sessions, and outage detection.

SQLite runs in WAL mode with foreign keys on; PostgreSQL goes through asyncpg
with a bounded connect timeout. Both pools pre-ping, so connections broken by
a restarted database are replaced instead of failing a request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(
    url: str, *, connect_timeout: float = 3.0, pool_size: int = 10
) -> AsyncEngine:
    """Create the async engine for ``url`` (sqlite+aiosqlite or postgresql+asyncpg).

    On PostgreSQL the pool keeps ``pool_size`` connections and opens as many
    more in a burst; a request that finds none free within ``connect_timeout``
    is an outage (503 with ``Retry-After``)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url, pool_pre_ping=True, connect_args={"timeout": 5}
        )
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        return engine
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=connect_timeout,
        pool_recycle=1800,
        connect_args={
            "timeout": connect_timeout,
            "command_timeout": 30,
            "server_settings": {"application_name": "harvest"},
        },
    )


class Database:
    """The process's engine and session factory."""

    def __init__(
        self, url: str, *, connect_timeout: float = 3.0, pool_size: int = 10
    ) -> None:
        self.url = url
        self.engine = make_engine(
            url, connect_timeout=connect_timeout, pool_size=pool_size
        )
        self.sessionmaker = async_sessionmaker(
            self.engine, expire_on_commit=False, class_=AsyncSession
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session that rolls back on error and always closes."""
        async with self.sessionmaker() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise

    def shared(self) -> SharedSession:
        """One session for a whole request, lent to its steps in turn."""
        return SharedSession(self)

    async def ping(self) -> None:
        """Run ``SELECT 1``; raises when the database cannot be reached."""
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def is_redis_outage(error: BaseException) -> bool:
    """True when ``error`` is Redis refusing, dropping or timing out a connection,
    or a client pool with no connection to lend (judged by the names of the
    error's classes, so this module needs no Redis client)."""
    return any(
        kind.__module__.startswith("redis")
        and kind.__name__ in ("ConnectionError", "TimeoutError")
        for kind in type(error).__mro__
    )


def is_unstorable_text(error: BaseException) -> bool:
    """True when the database refused a value's characters (PostgreSQL stores
    no NUL character in text or JSON)."""
    refused = ("CharacterNotInRepertoireError", "UntranslatableCharacterError")
    current: BaseException | None = error
    for _ in range(4):
        if current is None:
            return False
        if type(current).__name__ in refused:
            return True
        current = getattr(current, "orig", None) or current.__cause__
    return False


def is_outage(error: BaseException) -> bool:
    """True when ``error`` means the database could not be reached or answered."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        return True
    if isinstance(error, exc.TimeoutError | TimeoutError | ConnectionError | OSError):
        return True
    if isinstance(error, exc.DBAPIError):
        # The driver's own error can sit behind SQLAlchemy's adapted one (a
        # connection reset during asyncpg's handshake arrives as a plain
        # ``Error`` caused by ConnectionDoesNotExistError): look down the chain.
        current: BaseException | None = getattr(error, "orig", None)
        for _ in range(3):
            if current is None:
                return False
            name = type(current).__name__
            if any(
                word in name
                for word in ("Connection", "CannotConnect", "InterfaceError", "Timeout")
            ):
                return True
            current = current.__cause__
    return False


class SharedSession:
    """One session (and, on PostgreSQL, one connection and transaction) lent
    in turn to the steps of a request: authentication, the resolver, loaders.

    Each loan behaves like a fresh ``Database.session()``: the identity map is
    emptied when it ends, uncommitted changes are rolled back, and an error
    rolls back. A step that asks while another holds the loan (concurrent
    resolvers) gets a fresh session of its own. On SQLite a read transaction
    is ended with each loan (a held snapshot would make a later write fail);
    on PostgreSQL (read committed) it stays open, so the request checks out,
    pings and begins once instead of once per step. ``close`` ends it.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._session: AsyncSession | None = None
        self._lent = False
        self._closed = False
        self.loans = 0

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        if self._lent or self._closed:
            async with self.db.session() as own:
                yield own
            return
        if self._session is None:
            self._session = self.db.sessionmaker()
        session = self._session
        self._lent = True
        self.loans += 1
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        finally:
            self._lent = False
            await self._settle(session)

    async def _settle(self, session: AsyncSession) -> None:
        # Detached first, as closing a session leaves them: a rollback would
        # expire the objects the step hands back.
        end = bool(session.new or session.dirty or session.deleted)
        session.expunge_all()
        if session.in_transaction() and (end or self.db.dialect != "postgresql"):
            await session.rollback()

    async def close(self) -> None:
        """End the shared session; later steps (a task that outlived the
        request) get fresh sessions of their own."""
        self._closed = True
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
