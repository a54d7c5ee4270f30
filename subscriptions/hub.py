"""The one broadcaster of a process: publish and listen, memory or Redis."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from broadcaster import Broadcast

logger = logging.getLogger(__name__)


class Hub:
    """Wraps a ``broadcaster.Broadcast``; messages are JSON objects."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or "memory://"
        self._broadcast = Broadcast(self.url)
        self._connected = False

    @property
    def backend(self) -> str:
        return self.url.split(":", 1)[0]

    async def connect(self) -> None:
        if not self._connected:
            await self._broadcast.connect()
            self._connected = True

    async def disconnect(self) -> None:
        if self._connected:
            self._connected = False
            await self._broadcast.disconnect()

    async def publish(self, channel: str, message: Mapping[str, Any]) -> None:
        """Send ``message`` to every listener of ``channel`` in every process."""
        await self._broadcast.publish(channel, orjson.dumps(message).decode())

    async def listen(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        """Yield each message published on ``channel`` from now on."""
        async with self._broadcast.subscribe(channel) as subscriber:
            async for event in subscriber:  # type: ignore[union-attr]
                if event is None:
                    return
                yield orjson.loads(event.message)
