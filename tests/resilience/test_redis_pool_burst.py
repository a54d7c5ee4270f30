"""A burst of concurrent requests on Redis counters: more commands in flight
than the client's pool holds wait for a connection, never fail.

redis-py's default pool holds 100 connections (since redis 8) and raises
MaxConnectionsError at the 101st concurrent command: 200 clients at once got
bare 500s from the rate limiter. The burst here is that, on a live server.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from models.db import is_redis_outage
from tests.conftest import REDIS_URL
from tests.support import LiveServer

BURST = 250


@pytest.mark.skipif(REDIS_URL is None, reason="needs HARVEST_TEST_REDIS_URL")
async def test_a_burst_wider_than_the_redis_pool_gets_answers_not_500s(
    live_server: LiveServer,
) -> None:
    limits = httpx.Limits(max_connections=BURST, max_keepalive_connections=BURST)
    async with httpx.AsyncClient(
        base_url=live_server.url, limits=limits, timeout=60
    ) as http:
        answers = await asyncio.gather(
            *(http.get("/v1/users/me") for _ in range(BURST))
        )

    statuses = sorted({answer.status_code for answer in answers})
    # Every request was charged against the anonymous bucket in Redis first:
    # refused for its missing credential, or for the bucket, never an error.
    assert set(statuses) <= {401, 429}, statuses
    assert all(a.json()["error"]["code"] for a in answers)


def test_a_pool_with_no_connection_to_lend_is_an_outage() -> None:
    from redis.exceptions import MaxConnectionsError

    assert is_redis_outage(MaxConnectionsError("Too many connections"))
