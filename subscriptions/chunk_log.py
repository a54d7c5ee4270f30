"""The resumable log of a generation's stream.

Every chunk event published on a generation's channel is appended here with
its ``chunk_index``, and so is the event that ends the stream (complete,
error, cancelled). A client that lost its connection reads what it missed
from the log, then follows the live channel. The log lives while the
generation runs (refreshed on every append, ``running_ttl``) and for
``retain_ttl`` seconds after it ends: a Redis list when Redis is configured,
so every process sees it, otherwise a bounded in-process store.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

CHUNK_TYPE = "generation_chunk"
TERMINAL_TYPES = frozenset(
    {"generation_complete", "generation_error", "generation_cancelled"}
)


def is_chunk(message: Mapping[str, Any]) -> bool:
    return message.get("type") == CHUNK_TYPE and isinstance(
        message.get("chunk_index"), int
    )


def is_terminal(message: Mapping[str, Any]) -> bool:
    return message.get("type") in TERMINAL_TYPES


@dataclass
class LogSlice:
    """The chunks after some index, in order, and the end event if there is one."""

    chunks: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] | None = None

    @property
    def found(self) -> bool:
        return bool(self.chunks) or self.end is not None


class ChunkLog(Protocol):
    async def append(self, generation_id: str, message: Mapping[str, Any]) -> None:
        """Record a chunk event or the end event of a generation."""
        ...

    async def read(self, generation_id: str, *, after: int) -> LogSlice:
        """Chunks with an index greater than ``after``, and the end event."""
        ...

    async def close(self) -> None: ...


@dataclass
class _Entry:
    chunks: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] | None = None
    expires_at: float = 0.0


class MemoryChunkLog:
    """The in-process log: at most ``max_generations`` streams, oldest evicted."""

    def __init__(
        self,
        *,
        running_ttl: float = 3600.0,
        retain_ttl: float = 900.0,
        max_generations: int = 10_000,
        max_chunks: int = 50_000,
    ) -> None:
        self.running_ttl = running_ttl
        self.retain_ttl = retain_ttl
        self.max_generations = max_generations
        self.max_chunks = max_chunks
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    async def append(self, generation_id: str, message: Mapping[str, Any]) -> None:
        now = time.monotonic()
        entry = self._entries.get(generation_id)
        if entry is None or entry.expires_at <= now:
            entry = self._entries[generation_id] = _Entry()
        self._entries.move_to_end(generation_id)

        if is_terminal(message):
            entry.end = dict(message)
            entry.expires_at = now + self.retain_ttl
        elif len(entry.chunks) < self.max_chunks:
            entry.chunks.append(dict(message))
            entry.expires_at = now + self.running_ttl
        self._sweep(now)

    async def read(self, generation_id: str, *, after: int) -> LogSlice:
        entry = self._entries.get(generation_id)
        if entry is None or entry.expires_at <= time.monotonic():
            return LogSlice()
        chunks = [c for c in entry.chunks if c["chunk_index"] > after]
        return LogSlice(chunks=chunks, end=entry.end)

    async def close(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _sweep(self, now: float) -> None:
        while len(self._entries) > self.max_generations:
            self._entries.popitem(last=False)
        # Entries are kept in order of last touch, so expired ones sit in front
        # unless a retained entry outlives a running one; both are bounded.
        while self._entries:
            oldest = next(iter(self._entries.values()))
            if oldest.expires_at > now:
                break
            self._entries.popitem(last=False)


class RedisChunkLog:
    """The shared log: one Redis list per generation and a key for its end."""

    def __init__(
        self,
        redis: Any,
        *,
        running_ttl: float = 3600.0,
        retain_ttl: float = 900.0,
        prefix: str = "harvest:chunklog:",
    ) -> None:
        self.redis = redis
        self.running_ttl = int(running_ttl)
        self.retain_ttl = max(1, int(retain_ttl))
        self.prefix = prefix

    def _keys(self, generation_id: str) -> tuple[str, str]:
        base = self.prefix + generation_id
        return base, base + ":end"

    async def append(self, generation_id: str, message: Mapping[str, Any]) -> None:
        chunks_key, end_key = self._keys(generation_id)
        data = orjson.dumps(message)
        async with self.redis.pipeline(transaction=True) as pipe:
            if is_terminal(message):
                pipe.set(end_key, data, ex=self.retain_ttl)
                pipe.expire(chunks_key, self.retain_ttl)
            else:
                pipe.rpush(chunks_key, data)
                pipe.expire(chunks_key, self.running_ttl)
            await pipe.execute()

    async def read(self, generation_id: str, *, after: int) -> LogSlice:
        chunks_key, end_key = self._keys(generation_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lrange(chunks_key, 0, -1)
            pipe.get(end_key)
            raw_chunks, raw_end = await pipe.execute()
        chunks = [orjson.loads(raw) for raw in raw_chunks]
        return LogSlice(
            chunks=[c for c in chunks if c["chunk_index"] > after],
            end=orjson.loads(raw_end) if raw_end else None,
        )

    async def close(self) -> None:
        return None
