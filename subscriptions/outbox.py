"""A connection's bounded queue of encoded frames waiting for its socket.

It holds at most ``max_frames`` frames and ``max_bytes`` characters of JSON
text (one frame of any size is always taken when the queue is empty). Below
it, uvicorn takes a frame only while its own write buffer is under its high
water mark (64 KiB), and the kernel bounds the socket's buffers; so what a
client that stops reading costs this process is this queue and no more.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Outbox:
    """Frames in the order they were put, refused once either bound is hit."""

    def __init__(self, *, max_frames: int, max_bytes: int) -> None:
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self.bytes = 0
        self._frames: deque[str] = deque()
        self._ready = asyncio.Event()

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, text: str) -> bool:
        """Queue ``text``; False, and nothing queued, when it would not fit."""
        if self._frames and (
            len(self._frames) >= self.max_frames
            or self.bytes + len(text) > self.max_bytes
        ):
            return False
        self._frames.append(text)
        self.bytes += len(text)
        self._ready.set()
        return True

    async def get(self) -> str:
        """The oldest frame, waiting for one if the queue is empty."""
        while not self._frames:
            self._ready.clear()
            await self._ready.wait()
        text = self._frames.popleft()
        self.bytes -= len(text)
        return text

    def clear(self) -> None:
        """Drop every queued frame (the connection is closing)."""
        self._frames.clear()
        self.bytes = 0
