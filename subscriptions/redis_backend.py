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
from typing import Any

import redis.asyncio as aioredis
from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

logger = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT_SECONDS = 5.0
POOL_SIZE = 64
POOL_WAIT_SECONDS = 5.0


def resend_on_closed_socket() -> Retry:
    """Send a command once more, on a new connection, when its pooled
    connection was reset while idle. Under uvloop, writing to such a socket
    raises RuntimeError (the command never left), which redis-py neither maps
    to ConnectionError nor retries: every request that drew a reset connection
    answered a bare 500. Errors after a command was sent are not retried."""
    # redis-py types ``supported_errors`` as its own errors in some releases.
    errors: Any = (RuntimeError,)
    return Retry(NoBackoff(), 1, supported_errors=errors)


def shared_redis(url: str) -> Any:
    """A client whose pool waits for a free connection rather than failing
    when a burst (many connections opening at once) outnumbers it."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=POOL_SIZE,
        timeout=POOL_WAIT_SECONDS,
        socket_connect_timeout=2,
        retry=resend_on_closed_socket(),
    )
    return aioredis.Redis(connection_pool=pool)


class ConfirmedRedisBackend(BroadcastBackend):
    """One pub/sub connection per process, read by a single task."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: Any = None
        self._pubsub: Any = None
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._confirmed: dict[str, asyncio.Event] = {}
        self._reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self._conn = shared_redis(self._url)
        self._pubsub = self._conn.pubsub()
        await self._pubsub.connect()
        self._reader = asyncio.create_task(self._read())

    async def disconnect(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        await self._pubsub.aclose()
        await self._conn.aclose()

    async def subscribe(self, channel: str) -> None:
        confirmed = self._confirmed[channel] = asyncio.Event()
        await self._pubsub.subscribe(channel)
        await asyncio.wait_for(confirmed.wait(), SUBSCRIBE_TIMEOUT_SECONDS)

    async def unsubscribe(self, channel: str) -> None:
        self._confirmed.pop(channel, None)
        await self._pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: Any) -> None:
        await self._conn.publish(channel, message)

    async def next_published(self) -> Event:
        return await self._queue.get()

    async def _read(self) -> None:
        while True:
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
