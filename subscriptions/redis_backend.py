"""A Redis pub/sub backend for broadcaster that confirms each subscription.

broadcaster's own Redis backend starts reading before the first SUBSCRIBE has
been recorded by the client, and then stops reading for good; and it returns
from ``subscribe`` before Redis has confirmed it. Resuming a stream with no
gap needs the confirmation: a chunk published after ``subscribe`` returns
must arrive live, or have been in the log read after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

import redis.asyncio as aioredis
from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

logger = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT_SECONDS = 5.0
POOL_SIZE = 64
POOL_WAIT_SECONDS = 5.0

T = TypeVar("T")
_finishing: set[asyncio.Task[Any]] = set()  # commands whose callers left


def resend_on_closed_socket() -> Retry:
    """Send a command once more, on a new connection, when its pooled
    connection was reset while idle. Under uvloop, writing to such a socket
    raises RuntimeError (the command never left), which redis-py neither maps
    to ConnectionError nor retries: every request that drew a reset connection
    answered a bare 500. Errors after a command was sent are not retried."""
    # redis-py types ``supported_errors`` as its own errors in some releases.
    errors: Any = (RuntimeError,)
    return Retry(NoBackoff(), 1, supported_errors=errors)


async def cancel_safe(command: Coroutine[Any, Any, T]) -> T:
    """Await a redis-py call so that a cancellation of the caller is never lost.

    redis-py's own timeouts can swallow a cancellation that lands while a
    command waits for its answer: the command then returns normally and the
    cancelled task carries on (measured with redis 8.2: about one cancel in
    ten, landing at random points of a GET, was lost). A hub subscriber
    cancelled that way never ended, and kept its memory. The command runs as
    its own task, and the caller waits for it behind a shield: the caller's
    cancellation is raised at once, and the command finishes (and gives its
    connection back) on its own."""
    task = asyncio.ensure_future(command)
    _finishing.add(task)
    task.add_done_callback(_finished)
    return await asyncio.shield(task)


def _finished(task: asyncio.Task[Any]) -> None:
    _finishing.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: an abandoned command's error is not news


class CancelSafePipeline(Pipeline):
    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        return await cancel_safe(super().execute(raise_on_error))


class CancelSafeRedis(aioredis.Redis):
    """A client whose commands and pipelines go through ``cancel_safe``."""

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        command: Any = super().execute_command  # untyped in redis-py
        return await cancel_safe(command(*args, **options))

    def pipeline(
        self, transaction: bool = True, shard_hint: str | None = None
    ) -> CancelSafePipeline:
        return CancelSafePipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )


def shared_redis(url: str, *, socket_timeout: float | None = None) -> Any:
    """A client whose pool waits for a free connection rather than failing
    when a burst (many connections opening at once) outnumbers it: redis-py's
    default pool (100 connections since redis 8) raises MaxConnectionsError
    at the 101st concurrent command. Past ``POOL_WAIT_SECONDS`` the wait ends
    in ConnectionError, an outage (503), never a bare error."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=POOL_SIZE,
        timeout=POOL_WAIT_SECONDS,
        socket_connect_timeout=2,
        socket_timeout=socket_timeout,
        retry=resend_on_closed_socket(),
    )
    return CancelSafeRedis(connection_pool=pool)


class ConfirmedRedisBackend(BroadcastBackend):
    """One pub/sub connection per process, read by a single task."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: Any = None
        self._pubsub: Any = None
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._confirmed: dict[str, asyncio.Event] = {}
        self._reader: asyncio.Task[None] | None = None
        self._stopping = False

    async def connect(self) -> None:
        self._conn = shared_redis(self._url)
        self._pubsub = self._conn.pubsub()
        await self._pubsub.connect()
        self._reader = asyncio.create_task(self._read())

    async def disconnect(self) -> None:
        self._stopping = True  # the reader ends even if its cancel is lost
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        await self._pubsub.aclose()
        await self._conn.aclose()

    async def subscribe(self, channel: str) -> None:
        confirmed = self._confirmed[channel] = asyncio.Event()
        await cancel_safe(self._pubsub.subscribe(channel))
        # Not ``asyncio.wait_for``: on Python 3.11 it loses a cancellation that
        # lands as the confirmation arrives, and the cancelled hub pump then
        # waited forever (every cancelled subscriber of that channel with it).
        async with asyncio.timeout(SUBSCRIBE_TIMEOUT_SECONDS):
            await confirmed.wait()

    async def unsubscribe(self, channel: str) -> None:
        self._confirmed.pop(channel, None)
        await cancel_safe(self._pubsub.unsubscribe(channel))

    async def publish(self, channel: str, message: Any) -> None:
        await self._conn.publish(channel, message)

    async def next_published(self) -> Event:
        return await self._queue.get()

    async def _read(self) -> None:
        while not self._stopping:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("redis pub/sub read failed")
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            kind = message["type"]
            channel = message["channel"]
            name = channel.decode() if isinstance(channel, bytes) else str(channel)
            if kind == "subscribe":
                confirmed = self._confirmed.get(name)
                if confirmed is not None:
                    confirmed.set()
            elif kind == "message":
                data = message["data"]
                text = data.decode() if isinstance(data, bytes) else str(data)
                self._queue.put_nowait(Event(channel=name, message=text))
