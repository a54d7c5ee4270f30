"""Counting a user's open WebSocket connections, in this process or in Redis.

Each connection holds a lease. In Redis the leases of a user are a sorted set
scored by expiry: a process that dies without releasing its leases stops
counting against the user once they expire, since live connections renew
theirs every ``renew_every`` seconds.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from models.base import new_id

LEASE_SECONDS = 90.0

# Drops expired leases, then adds this one if the user is under the limit.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class ConnectionCounter(Protocol):
    lease_seconds: float

    async def acquire(self, user_id: str, *, limit: int) -> str | None:
        """A lease id, or None when the user already holds ``limit`` leases."""
        ...

    async def renew(self, user_id: str, lease: str) -> None: ...

    async def release(self, user_id: str, lease: str) -> None: ...

    async def count(self, user_id: str) -> int: ...


class MemoryConnectionCounter:
    """Leases held in this process (one process, no Redis)."""

    def __init__(self, *, lease_seconds: float = LEASE_SECONDS) -> None:
        self.lease_seconds = lease_seconds
        self._leases: dict[str, set[str]] = {}

    async def acquire(self, user_id: str, *, limit: int) -> str | None:
        held = self._leases.setdefault(user_id, set())
        if len(held) >= limit:
            return None
        lease = new_id("wsc", 12)
        held.add(lease)
        return lease

    async def renew(self, user_id: str, lease: str) -> None:
        return None

    async def release(self, user_id: str, lease: str) -> None:
        held = self._leases.get(user_id)
        if held is not None:
            held.discard(lease)
            if not held:
                del self._leases[user_id]

    async def count(self, user_id: str) -> int:
        return len(self._leases.get(user_id, ()))


class RedisConnectionCounter:
    """Leases in a Redis sorted set per user, shared by every process."""

    def __init__(
        self,
        redis: Any,
        *,
        lease_seconds: float = LEASE_SECONDS,
        prefix: str = "harvest:wsconn:",
    ) -> None:
        self.redis = redis
        self.lease_seconds = lease_seconds
        self.prefix = prefix
        self._acquire = redis.register_script(_ACQUIRE)

    async def acquire(self, user_id: str, *, limit: int) -> str | None:
        lease = new_id("wsc", 12)
        now = time.time()
        added = await self._acquire(
            keys=[self.prefix + user_id],
            args=[now, now + self.lease_seconds, limit, lease, int(self.lease_seconds)],
        )
        return lease if int(added) == 1 else None

    async def renew(self, user_id: str, lease: str) -> None:
        key = self.prefix + user_id
        await self.redis.zadd(key, {lease: time.time() + self.lease_seconds}, xx=True)
        await self.redis.expire(key, int(self.lease_seconds))

    async def release(self, user_id: str, lease: str) -> None:
        await self.redis.zrem(self.prefix + user_id, lease)

    async def count(self, user_id: str) -> int:
        key = self.prefix + user_id
        await self.redis.zremrangebyscore(key, "-inf", time.time())
        return int(await self.redis.zcard(key))
