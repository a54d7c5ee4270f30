"""Failure counters in Redis, so every process sees the same counts."""

from __future__ import annotations

import time
from typing import Any

from resolvers.auth_throttle import WINDOW_SECONDS

KEY_PREFIX = "harvest:attempts:"


class RedisAttemptCounter:
    """A hash per key (count, last failure), expiring a window after the last."""

    def __init__(self, redis: Any, *, namespace: str = "") -> None:
        self.redis = redis
        self.prefix = KEY_PREFIX + (f"{namespace}:" if namespace else "")

    async def failures(self, key: str) -> tuple[int, float]:
        count, last = await self.redis.hmget(self.prefix + key, "count", "last")
        if count is None:
            return 0, 0.0
        return int(count), float(last or 0.0)

    async def record_failure(self, key: str) -> int:
        name = self.prefix + key
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(name, "count", 1)
            pipe.hset(name, "last", repr(time.time()))
            pipe.expire(name, WINDOW_SECONDS)
            count, _, _ = await pipe.execute()
        return int(count)

    async def clear(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)
