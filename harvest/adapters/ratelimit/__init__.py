"""Rate-limit counters: Redis when HARVEST_REDIS_URL is set, in process otherwise."""

from __future__ import annotations

from typing import Any

from harvest.adapters.ratelimit.redis import RedisRateLimitStore
from resolvers.ports import RateLimitStore
from resolvers.ratelimit_memory import MemoryRateLimitStore


def make_rate_limit_store(
    redis_client: Any | None, *, namespace: str = ""
) -> RateLimitStore:
    """The store every process of one deployment shares (or this one's own).

    ``namespace`` separates deployments (or test runs) sharing one Redis.
    """
    if redis_client is None:
        return MemoryRateLimitStore()
    return RedisRateLimitStore(redis_client, namespace=namespace)


__all__ = ["make_rate_limit_store"]
