"""A loopback TCP proxy the tests can cut and restore (for outage tests), slow
down or reset (for pool tests), or tell to lose the answers of the next
connections (for client retry tests)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
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
        self.latency = 0.0
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._call(self._listen())

    def cut(self) -> None:
        self._call(self._cut())

    def restore(self) -> None:
        self._call(self._listen())

    def set_latency(self, seconds: float) -> None:
        """Hold every chunk the target answers for ``seconds`` before passing
        it on (so each round trip takes that much longer); 0 stops it."""
        self._loop.call_soon_threadsafe(setattr, self, "latency", seconds)

    def reset(self) -> None:
        """Reset every live connection (an RST to both ends), as a crashed
        peer or a middlebox would; new connections are still accepted."""
        self._call(self._reset())

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

    async def _reset(self) -> None:
        linger = struct.pack("ii", 1, 0)
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                sock = writer.transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
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
            *,
            answers: bool = False,
        ) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    if answers and self.latency > 0:
                        await asyncio.sleep(self.latency)
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
            pipe(reader, up_writer, None, self.tap),
            pipe(up_reader, writer, budget, answers=True),
        )
        self._writers.discard(writer)
        self._writers.discard(up_writer)
