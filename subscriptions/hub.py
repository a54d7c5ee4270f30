"""The one broadcaster of a process: publish and listen, memory or Redis.

Fan-out inside the process is ours: each channel has one broadcaster
subscription, drained at once into a bounded queue per listener. A listener
whose queue is full is dropped (its next read raises ``SlowConsumer``, its
queue is emptied) and the others never wait for it, so one slow client costs
at most ``queue_size`` messages of memory.

Chunk and end events published on a generation's channel are also appended to
the generation's chunk log, which ``follow_generation`` reads to resume a
stream with no gap and no duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import orjson
from broadcaster import Broadcast

from subscriptions import channels
from subscriptions.chunk_log import (
    ChunkLog,
    MemoryChunkLog,
    RedisChunkLog,
    is_chunk,
    is_terminal,
)
from subscriptions.connections import (
    ConnectionCounter,
    MemoryConnectionCounter,
    RedisConnectionCounter,
)
from subscriptions.redis_backend import ConfirmedRedisBackend, shared_redis

logger = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 1024

_CLOSED: dict[str, Any] = {"type": "__closed__"}
_DROPPED: dict[str, Any] = {"type": "__dropped__"}

EndLoader = Callable[[], Awaitable[dict[str, Any] | None]]


class Message(dict[str, Any]):
    """A received message, shared by every listener of its channel in this
    process (treat it as read-only), with the JSON text it arrived as, so a
    transport forwarding it unchanged need not encode it again."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        super().__init__(orjson.loads(text))
        self.text = text


STOP_PUMP_RETRY_SECONDS = 1.0


class SlowConsumer(Exception):
    """A listener fell ``queue_size`` messages behind and was dropped."""

    def __init__(self, channel: str, queue_size: int) -> None:
        super().__init__(
            f"dropped: more than {queue_size} messages were waiting on {channel}"
        )
        self.channel = channel
        self.queue_size = queue_size


class Subscription:
    """One listener of one channel: an async iterator over its messages."""

    def __init__(self, channel: str, queue_size: int) -> None:
        self.channel = channel
        self.queue_size = queue_size
        self.dropped = False
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(queue_size + 1)

    def offer(self, message: dict[str, Any]) -> None:
        """Queue ``message`` without waiting; drop this listener if it is full."""
        if self.dropped:
            return
        if self._queue.qsize() >= self.queue_size:
            self.dropped = True
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(_DROPPED)
            logger.warning("slow consumer dropped", extra={"channel": self.channel})
            return
        self._queue.put_nowait(message)

    def close(self) -> None:
        if not self.dropped:
            self._queue.put_nowait(_CLOSED)

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    async def get(self) -> dict[str, Any]:
        """The next message; raises ``StopAsyncIteration`` once the hub closes."""
        message = await self._queue.get()
        if message is _DROPPED:
            self._queue.put_nowait(_DROPPED)
            raise SlowConsumer(self.channel, self.queue_size)
        if message is _CLOSED:
            self._queue.put_nowait(_CLOSED)
            raise StopAsyncIteration
        return message

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        return await self.get()


class _Channel:
    def __init__(self, name: str) -> None:
        self.name = name
        self.subscriptions: set[Subscription] = set()
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None


class Hub:
    """Publish to and listen on channels; JSON objects in, dicts out."""

    def __init__(
        self,
        url: str | None = None,
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        log_running_ttl: float = 3600.0,
        log_retain_ttl: float = 900.0,
    ) -> None:
        self.url = url or "memory://"
        self.queue_size = queue_size
        self.log_running_ttl = log_running_ttl
        self.log_retain_ttl = log_retain_ttl
        self._broadcast = (
            Broadcast(backend=ConfirmedRedisBackend(self.url))
            if self.backend in ("redis", "rediss")
            else Broadcast(self.url)
        )
        self._connected = False
        self._channels: dict[str, _Channel] = {}
        self.redis: Any = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.log: ChunkLog = MemoryChunkLog(
            running_ttl=log_running_ttl, retain_ttl=log_retain_ttl
        )
        self.connections: ConnectionCounter = MemoryConnectionCounter()

    @property
    def backend(self) -> str:
        return self.url.split(":", 1)[0]

    async def connect(self) -> None:
        if self._connected:
            return
        self.loop = asyncio.get_running_loop()
        await self._broadcast.connect()
        if self.backend in ("redis", "rediss"):
            self.redis = shared_redis(self.url)
            self.log = RedisChunkLog(
                self.redis,
                running_ttl=self.log_running_ttl,
                retain_ttl=self.log_retain_ttl,
            )
            self.connections = RedisConnectionCounter(self.redis)
        self._connected = True

    async def disconnect(self) -> None:
        if not self._connected:
            return
        self._connected = False
        for channel in list(self._channels.values()):
            for subscription in channel.subscriptions:
                subscription.close()
            await self._stop_pump(channel)
        self._channels.clear()
        await self.log.close()
        if self.redis is not None:
            await self.redis.aclose()
        await self._broadcast.disconnect()

    async def publish(self, channel: str, message: Mapping[str, Any]) -> None:
        """Send ``message`` to every listener of ``channel`` in every process.

        A generation's chunk and end events are logged first, so whoever sees
        one live can also find it in the log.
        """
        generation_id = channels.generation_id_of(channel)
        if generation_id is not None and (is_chunk(message) or is_terminal(message)):
            await self.log.append(generation_id, message)
        await self._broadcast.publish(channel, orjson.dumps(message).decode())

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        """A subscription to ``channel``, receiving from the moment this returns."""
        subscription = Subscription(channel, self.queue_size)
        state = self._channels.get(channel)
        if state is None:
            state = self._channels[channel] = _Channel(channel)
            state.task = asyncio.create_task(self._pump(state))
        state.subscriptions.add(subscription)
        try:
            await state.ready.wait()
            yield subscription
        finally:
            state.subscriptions.discard(subscription)
            if not state.subscriptions and self._channels.get(channel) is state:
                del self._channels[channel]
                await self._stop_pump(state)

    async def listen(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        """Yield each message published on ``channel`` from now on."""
        async with self.subscribe(channel) as subscription:
            async for message in subscription:
                yield message

    async def follow_generation(
        self,
        generation_id: str,
        *,
        after: int = -1,
        load_end: EndLoader | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """A generation's events: logged chunks after ``after``, then live ones.

        Chunks come in index order, each once; the stream ends after the end
        event. ``load_end`` is asked for the end event when the log knows
        nothing of the generation (never started, or its log has expired).
        """
        async with self.subscribe(channels.generation(generation_id)) as live:
            logged = await self.log.read(generation_id, after=after)
            last = after
            for chunk in logged.chunks:
                if chunk["chunk_index"] > last:
                    last = chunk["chunk_index"]
                    yield chunk
            end = logged.end
            if end is None and not logged.found and load_end is not None:
                end = await load_end()
            if end is not None:
                yield end
                return

            async for message in live:
                if not is_chunk(message):
                    yield message
                    if is_terminal(message):
                        return
                    continue
                index = message["chunk_index"]
                if index <= last:
                    continue
                if index > last + 1:
                    async for missed in self._missed(generation_id, last, index):
                        last = missed["chunk_index"]
                        yield missed
                last = index
                yield message

    async def _missed(
        self, generation_id: str, after: int, before: int
    ) -> AsyncIterator[dict[str, Any]]:
        logged = await self.log.read(generation_id, after=after)
        for chunk in logged.chunks:
            if chunk["chunk_index"] < before:
                yield chunk

    def listener_count(self, channel: str) -> int:
        state = self._channels.get(channel)
        return len(state.subscriptions) if state else 0

    async def _pump(self, state: _Channel) -> None:
        try:
            async with self._broadcast.subscribe(state.name) as source:
                state.ready.set()
                async for event in source:  # type: ignore[union-attr]
                    if event is None:
                        break
                    message = Message(event.message)
                    for subscription in list(state.subscriptions):
                        subscription.offer(message)
        except Exception:
            logger.exception(
                "broadcast subscription failed", extra={"channel": state.name}
            )
        finally:
            # Listeners of a channel whose source ended see the end of stream.
            state.ready.set()
            for subscription in list(state.subscriptions):
                subscription.close()

    async def _stop_pump(self, state: _Channel) -> None:
        """Cancel the channel's pump and wait until it has ended.

        Asked again each second: a cancellation that lands just as an await
        inside the pump completes can be lost (``asyncio.wait_for`` on Python
        3.11), and a pump that missed it would keep this caller waiting
        forever. A cancellation of the caller itself is not swallowed."""
        task = state.task
        if task is None or task.done():
            return
        task.cancel()
        while not task.done():
            await asyncio.wait([task], timeout=STOP_PUMP_RETRY_SECONDS)
            if not task.done():
                task.cancel()
