"""A loopback TCP proxy the tests can cut and restore (for outage tests), or
tell to lose the answers of the next connections (for client retry tests)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; ``cut()`` drops every connection
    and refuses new ones until ``restore()``."""

    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        tap: Callable[[int, bytes], None] | None = None,
    ) -> None:
        """``tap``, when given, sees every chunk a client sends (with the
        number of its connection) before it is forwarded."""
        self.target = (target_host, target_port)
        self.tap = tap
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._drops: list[int] = []
        self.connections = 0
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._call(self._listen())

    def cut(self) -> None:
        self._call(self._cut())

    def restore(self) -> None:
        self._call(self._listen())

    def drop_next_response(self, *, after_bytes: int = 0) -> None:
        """Forward the next connection's request, then cut it once the server
        has answered ``after_bytes`` bytes, so the client never sees the rest."""
        self._loop.call_soon_threadsafe(self._drops.append, after_bytes)

    def close(self) -> None:
        self._call(self._cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def _call(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)  # type: ignore[arg-type]

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._handle, "127.0.0.1", self.port
            )

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update({writer, up_writer})
        self.connections += 1
        number = self.connections
        budget = self._drops.pop(0) if self._drops else None

        async def pipe(
            src: asyncio.StreamReader,
            dst: asyncio.StreamWriter,
            budget: int | None,
            tap: Callable[[int, bytes], None] | None = None,
        ) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    if tap is not None:
                        tap(number, data)
                    if budget is not None and len(data) > budget:
                        dst.write(data[:budget])
                        await dst.drain()
                        break
                    dst.write(data)
                    await dst.drain()
                    if budget is not None:
                        budget -= len(data)
            with contextlib.suppress(Exception):
                dst.transport.abort()

        await asyncio.gather(
            pipe(reader, up_writer, None, self.tap), pipe(up_reader, writer, budget)
        )
        self._writers.discard(writer)
        self._writers.discard(up_writer)
