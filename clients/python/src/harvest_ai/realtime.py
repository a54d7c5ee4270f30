"""The spec's WebSocket protocol: connect, subscribe, stream, cancel.

A connection authenticates with an ``auth`` message (the token stays out of
URLs and logs) and waits for ``connected``. Frames that arrive while the
caller waits for something else are kept, in order, for ``events()`` or for
the generation they belong to.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

from websockets.asyncio.client import ClientConnection as AsyncSocket
from websockets.asyncio.client import connect as async_connect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection as SyncSocket
from websockets.sync.client import connect as sync_connect

from harvest_ai.errors import (
    APIConnectionError,
    APIError,
    RealtimeClosed,
    error_from_envelope,
)
from harvest_ai.models import GenerateOptions, StreamChunk

Frame = dict[str, Any]
Match = Callable[[Frame], bool]


def _closed(exc: ConnectionClosed) -> RealtimeClosed:
    received = exc.rcvd
    return RealtimeClosed(
        received.code if received else None, received.reason if received else ""
    )


def _decode(raw: str | bytes) -> Frame:
    value = json.loads(raw)
    return value if isinstance(value, dict) else {"type": "unknown", "value": value}


def _error_of(frame: Frame) -> APIError:
    error = frame.get("error") if isinstance(frame.get("error"), dict) else {}
    return error_from_envelope(dict(error or {}))


def _start_message(
    request_id: str,
    format: str,
    input: str,
    options: Mapping[str, Any] | None,
    metadata: Mapping[str, Any] | None,
) -> Frame:
    data: Frame = {"format": format, "input": input}
    if options is not None:
        data["options"] = dict(options)
    if metadata is not None:
        data["metadata"] = dict(metadata)
    return {"type": "generation_start", "request_id": request_id, "data": data}


def _subscribe_message(
    channel: str,
    filters: Mapping[str, Any] | None,
    generation_id: str | None,
    last_chunk_index: int | None,
) -> Frame:
    message: Frame = {"type": "subscribe", "channel": channel}
    if filters:
        message["filters"] = dict(filters)
    if generation_id is not None:
        message["generation_id"] = generation_id
    if last_chunk_index is not None:
        message["last_chunk_index"] = last_chunk_index
    return message


def _is_reply(kind: str) -> Match:
    return lambda frame: frame.get("type") in (kind, "error")


class RealtimeGeneration:
    """One generation's frames, read as chunks (``StreamChunk``).

    ``generation_id`` is set once the server names it; after the end,
    ``content``, ``tokens_used`` and ``cancelled`` say how it went. A
    ``generation_error`` is raised as the typed error of its code.
    """

    def __init__(self, match: Match) -> None:
        self._match = match
        self.generation_id: str | None = None
        self.content: str | None = None
        self.tokens_used: int | None = None
        self.processing_time_ms: int | None = None
        self.cancelled = False
        self.done = False
        self.frames: list[Frame] = []

    def matches(self, frame: Frame) -> bool:
        return self._match(frame)

    def take(self, frame: Frame) -> StreamChunk | None:
        """Record ``frame``; the chunk it carries, if any."""
        self.frames.append(frame)
        self.generation_id = frame.get("generation_id") or self.generation_id
        kind = frame.get("type")
        if kind == "generation_chunk":
            return StreamChunk(
                text=str(frame.get("chunk", "")),
                index=frame.get("chunk_index"),
                tokens=frame.get("tokens"),
                generation_id=self.generation_id,
            )
        if kind == "generation_complete":
            self.done = True
            self.content = frame.get("content")
            self.tokens_used = frame.get("tokens_used")
            self.processing_time_ms = frame.get("processing_time_ms")
        elif kind == "generation_cancelled":
            self.done = self.cancelled = True
        elif kind in ("generation_error", "error"):
            self.done = True
            raise _error_of(frame)
        return None


class _Inbox:
    """Frames received but not yet handed to anyone, oldest first."""

    def __init__(self) -> None:
        self.frames: deque[Frame] = deque()

    def pop(self, match: Match) -> Frame | None:
        for index, frame in enumerate(self.frames):
            if match(frame):
                del self.frames[index]
                return frame
        return None


class RealtimeConnection:
    """A blocking connection to the spec's WebSocket; use it in ``with``."""

    def __init__(self, socket: SyncSocket, timeout: float) -> None:
        self._socket = socket
        self._timeout = timeout
        self._inbox = _Inbox()
        self.session_id: str | None = None
        self.server_time: str | None = None

    @classmethod
    def connect(
        cls, url: str, *, token: str | None, timeout: float
    ) -> RealtimeConnection:
        """Open ``url``, authenticate with ``token`` and wait for ``connected``."""
        # Entered as a context manager, as websockets asks of direct use;
        # ``close()`` ends it.
        socket = sync_connect(url, open_timeout=timeout).__enter__()
        connection = cls(socket, timeout)
        try:
            connection.send({"type": "auth", "token": token or ""})
            hello = connection.wait(_is_reply("connected"))
        except BaseException:
            socket.close()
            raise
        connection.session_id = hello.get("session_id")
        connection.server_time = hello.get("server_time")
        return connection

    def __enter__(self) -> RealtimeConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._socket.close()

    def send(self, message: Mapping[str, Any]) -> None:
        """Send one message as JSON."""
        try:
            self._socket.send(json.dumps(dict(message)))
        except ConnectionClosed as exc:
            raise _closed(exc) from exc

    def receive(self, timeout: float | None = None) -> Frame:
        """The next frame: a kept one first, else one from the socket
        (waiting at most ``timeout`` seconds; None waits as long as it takes)."""
        if self._inbox.frames:
            return self._inbox.frames.popleft()
        return self._recv(timeout)

    def _recv(self, timeout: float | None) -> Frame:
        try:
            return _decode(self._socket.recv(timeout=timeout))
        except ConnectionClosed as exc:
            raise _closed(exc) from exc
        except TimeoutError as exc:
            raise APIConnectionError(f"No WebSocket frame within {timeout} s") from exc

    def wait(self, match: Match) -> Frame:
        """The first frame ``match`` accepts; others are kept for later.

        An ``error`` frame it accepts is raised as its typed error; no frame
        within the client's timeout raises ``APIConnectionError``.
        """
        frame = self._inbox.pop(match)
        while frame is None:
            received = self._recv(self._timeout)
            if match(received):
                frame = received
            else:
                self._inbox.frames.append(received)
        if frame.get("type") == "error":
            raise _error_of(frame)
        return frame

    def events(self) -> Iterator[Frame]:
        """Every frame, as it comes (subscriptions, notifications...)."""
        while True:
            yield self.receive()

    def ping(self) -> str | None:
        """Round trip; returns the server's time."""
        self.send({"type": "ping"})
        return self.wait(_is_reply("pong")).get("server_time")

    def subscribe(
        self,
        channel: str = "generations",
        *,
        filters: Mapping[str, Any] | None = None,
        generation_id: str | None = None,
        last_chunk_index: int | None = None,
    ) -> str:
        """Subscribe to a channel; returns the ``subscription_id``."""
        self.send(_subscribe_message(channel, filters, generation_id, last_chunk_index))
        return str(self.wait(_is_reply("subscribed"))["subscription_id"])

    def unsubscribe(self, subscription_id: str) -> None:
        """Stop a subscription."""
        self.send({"type": "unsubscribe", "subscription_id": subscription_id})
        self.wait(lambda frame: frame.get("type") == "unsubscribed")

    def stream_generation(
        self,
        *,
        format: str,
        input: str,
        options: GenerateOptions | Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> SyncRealtimeStream:
        """Start a generation on this connection and stream its chunks."""
        rid = request_id or f"req_{uuid.uuid4().hex[:16]}"
        self.send(_start_message(rid, format, input, options, metadata))
        return SyncRealtimeStream(
            self, RealtimeGeneration(lambda frame: frame.get("request_id") == rid)
        )

    def follow_generation(
        self, generation_id: str, *, last_chunk_index: int | None = None
    ) -> SyncRealtimeStream:
        """Follow a running (or finished) generation after a chunk index."""
        self.subscribe(
            "generation", generation_id=generation_id, last_chunk_index=last_chunk_index
        )
        return SyncRealtimeStream(
            self,
            RealtimeGeneration(
                lambda frame: (
                    frame.get("generation_id") == generation_id
                    and "request_id" not in frame
                )
            ),
        )

    def cancel(self, generation_id: str) -> None:
        """Ask the server to cancel a generation; its stream then ends."""
        self.send({"type": "generation_cancel", "generation_id": generation_id})


class SyncRealtimeStream:
    """Chunks of a generation over a ``RealtimeConnection``."""

    def __init__(self, connection: RealtimeConnection, generation: RealtimeGeneration):
        self._connection = connection
        self.generation = generation

    def __iter__(self) -> Iterator[StreamChunk]:
        while not self.generation.done:
            frame = self._connection.wait(self.generation.matches)
            chunk = self.generation.take(frame)
            if chunk is not None:
                yield chunk


class AsyncRealtimeConnection:
    """An asyncio connection to the spec's WebSocket; use it in ``async with``."""

    def __init__(self, socket: AsyncSocket, timeout: float) -> None:
        self._socket = socket
        self._timeout = timeout
        self._inbox = _Inbox()
        self.session_id: str | None = None
        self.server_time: str | None = None

    @classmethod
    async def connect(
        cls, url: str, *, token: str | None, timeout: float
    ) -> AsyncRealtimeConnection:
        """Open ``url``, authenticate with ``token`` and wait for ``connected``."""
        socket = await async_connect(url, open_timeout=timeout)
        connection = cls(socket, timeout)
        try:
            await connection.send({"type": "auth", "token": token or ""})
            hello = await connection.wait(_is_reply("connected"))
        except BaseException:
            await socket.close()
            raise
        connection.session_id = hello.get("session_id")
        connection.server_time = hello.get("server_time")
        return connection

    async def __aenter__(self) -> AsyncRealtimeConnection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._socket.close()

    async def send(self, message: Mapping[str, Any]) -> None:
        """Send one message as JSON."""
        try:
            await self._socket.send(json.dumps(dict(message)))
        except ConnectionClosed as exc:
            raise _closed(exc) from exc

    async def receive(self) -> Frame:
        """The next frame: a kept one first, else one from the socket."""
        if self._inbox.frames:
            return self._inbox.frames.popleft()
        return await self._recv()

    async def _recv(self, timeout: float | None = None) -> Frame:
        try:
            async with asyncio.timeout(timeout):
                return _decode(await self._socket.recv())
        except ConnectionClosed as exc:
            raise _closed(exc) from exc
        except TimeoutError as exc:
            raise APIConnectionError(f"No WebSocket frame within {timeout} s") from exc

    async def wait(self, match: Match) -> Frame:
        """The first frame ``match`` accepts; others are kept for later."""
        frame = self._inbox.pop(match)
        while frame is None:
            received = await self._recv(self._timeout)
            if match(received):
                frame = received
            else:
                self._inbox.frames.append(received)
        if frame.get("type") == "error":
            raise _error_of(frame)
        return frame

    async def events(self) -> AsyncIterator[Frame]:
        """Every frame, as it comes (subscriptions, notifications...)."""
        while True:
            yield await self.receive()

    async def ping(self) -> str | None:
        """Round trip; returns the server's time."""
        await self.send({"type": "ping"})
        return (await self.wait(_is_reply("pong"))).get("server_time")

    async def subscribe(
        self,
        channel: str = "generations",
        *,
        filters: Mapping[str, Any] | None = None,
        generation_id: str | None = None,
        last_chunk_index: int | None = None,
    ) -> str:
        """Subscribe to a channel; returns the ``subscription_id``."""
        await self.send(
            _subscribe_message(channel, filters, generation_id, last_chunk_index)
        )
        return str((await self.wait(_is_reply("subscribed")))["subscription_id"])

    async def unsubscribe(self, subscription_id: str) -> None:
        """Stop a subscription."""
        await self.send({"type": "unsubscribe", "subscription_id": subscription_id})
        await self.wait(lambda frame: frame.get("type") == "unsubscribed")

    async def stream_generation(
        self,
        *,
        format: str,
        input: str,
        options: GenerateOptions | Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> AsyncRealtimeStream:
        """Start a generation on this connection and stream its chunks."""
        rid = request_id or f"req_{uuid.uuid4().hex[:16]}"
        await self.send(_start_message(rid, format, input, options, metadata))
        return AsyncRealtimeStream(
            self, RealtimeGeneration(lambda frame: frame.get("request_id") == rid)
        )

    async def follow_generation(
        self, generation_id: str, *, last_chunk_index: int | None = None
    ) -> AsyncRealtimeStream:
        """Follow a running (or finished) generation after a chunk index."""
        await self.subscribe(
            "generation", generation_id=generation_id, last_chunk_index=last_chunk_index
        )
        return AsyncRealtimeStream(
            self,
            RealtimeGeneration(
                lambda frame: (
                    frame.get("generation_id") == generation_id
                    and "request_id" not in frame
                )
            ),
        )

    async def cancel(self, generation_id: str) -> None:
        """Ask the server to cancel a generation; its stream then ends."""
        await self.send({"type": "generation_cancel", "generation_id": generation_id})


class AsyncRealtimeStream:
    """Chunks of a generation over an ``AsyncRealtimeConnection``."""

    def __init__(
        self, connection: AsyncRealtimeConnection, generation: RealtimeGeneration
    ) -> None:
        self._connection = connection
        self.generation = generation

    async def __aiter__(self) -> AsyncIterator[StreamChunk]:
        while not self.generation.done:
            frame = await self._connection.wait(self.generation.matches)
            chunk = self.generation.take(frame)
            if chunk is not None:
                yield chunk
