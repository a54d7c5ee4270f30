"""The open streaming connections of one process, so shutdown can say goodbye.

On SIGTERM uvicorn would close every WebSocket with 1012 itself. Before it
does, ``going_away`` closes the spec's WebSocket connections and the GraphQL
subscription connections with 1001 (the client reconnects with backoff and
resumes elsewhere), then waits a bounded time for their close frames.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

GOING_AWAY = 1001
GOODBYE_REASON = "server shutting down"
GOODBYE_TIMEOUT_SECONDS = 5.0


class Closable(Protocol):
    finished: asyncio.Event

    def close(self, code: int, reason: str) -> None:
        """Ask the connection to end with ``code``; it finishes on its own."""
        ...


class AsgiWebSocket:
    """An ASGI app's WebSocket connection that can also be closed from outside.

    Once closed from outside, frames the app still sends are dropped: the
    client has its close frame, and the app sees the disconnect next.
    """

    def __init__(self, send: Send, registry: ConnectionRegistry) -> None:
        self._send = send
        self._registry = registry
        self.accepted = False
        self.closed = False
        self.finished = asyncio.Event()
        self._goodbye: asyncio.Task[None] | None = None

    async def send(self, message: Message) -> None:
        if self.closed:
            return
        if message["type"] == "websocket.close":
            self.closed = True
        await self._send(message)
        if message["type"] == "websocket.accept":
            self.accepted = True
            if self._registry.closing:
                self.close(GOING_AWAY, GOODBYE_REASON)

    def close(self, code: int, reason: str) -> None:
        if self.closed or not self.accepted:
            return
        self.closed = True
        close = {"type": "websocket.close", "code": code, "reason": reason}
        self._goodbye = asyncio.create_task(self._send_quietly(close))

    async def _send_quietly(self, message: Message) -> None:
        with contextlib.suppress(Exception):
            await self._send(message)


class ConnectionRegistry:
    """Every open spec WebSocket and GraphQL WebSocket connection."""

    def __init__(self) -> None:
        self.open: set[Closable] = set()
        self.closing = False

    async def serve_asgi(
        self, app: ASGIApp, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Run ``app`` on a WebSocket connection that ``going_away`` can close."""
        socket = AsgiWebSocket(send, self)
        self.open.add(socket)
        try:
            await app(scope, receive, socket.send)
        finally:
            self.open.discard(socket)
            socket.finished.set()

    async def going_away(self, timeout: float = GOODBYE_TIMEOUT_SECONDS) -> None:
        """Close every connection with 1001 and wait, at most ``timeout``
        seconds, for them to finish."""
        self.closing = True
        connections = list(self.open)
        for connection in connections:
            connection.close(GOING_AWAY, GOODBYE_REASON)
        if connections:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await asyncio.gather(*(c.finished.wait() for c in connections))
