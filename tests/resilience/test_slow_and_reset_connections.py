"""Added latency and reset connections never wedge a pool.

The same loopback proxy as ``test_faults`` sits in front of PostgreSQL or
Redis, under the same steady mixed load plus one impatient client that hangs
up on its requests while they wait on the slow dependency:

- latency: every answer of the dependency is held ``LATENCY_SECONDS``;
  requests slow down but each one is answered, successfully or with a 503
  envelope carrying ``Retry-After``;
- reset: every live connection to the dependency is reset (RST) mid-load,
  ``RESETS`` times; no bare 5xx, no acknowledged write lost.

After either fault, a request succeeds within 5 s, a burst of more concurrent
requests than the pool holds all succeed, and once the load stops no pool
connection is left checked out.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import httpx

from harvest.settings import Settings
from tests.peers.tcp_proxy import TcpProxy
from tests.resilience.test_faults import (
    CLIENTS,
    RECOVERY_SECONDS,
    UNAVAILABLE,
    Answer,
    Load,
    account,
    failures,
    pg_proxied,
    redis_proxied,
    templates_in_database,
)
from tests.support import LiveServer

__all__ = ["pg_proxied", "redis_proxied"]  # fixtures shared with test_faults

LATENCY_SECONDS = 0.2
# How many answers the load must get while the fault lasts, so the test saw
# requests complete through it rather than only before or after.
ANSWERS_DURING_FAULT = CLIENTS
RESETS = 3
# More concurrent requests than the PostgreSQL pool's 10 + 10 overflow
# (models/db.py), so a leaked or wedged connection would make some wait out.
BURST = 40
DEADLINE = 60.0


async def until(condition: Callable[[], bool], what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def answered_since(load: Load, moment: float) -> list[Answer]:
    return [a for a in load.answers if a.at > moment]


def succeeded_since(load: Load, moment: float) -> bool:
    return any(load.succeeded(a) for a in answered_since(load, moment))


async def impatient(url: str, token: str, stop: asyncio.Event) -> None:
    """Hangs up on each request after a moment: while the dependency is slow,
    the server sees clients leave with its queries in flight."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=0.3) as http:
        while not stop.is_set():
            with contextlib.suppress(httpx.HTTPError):
                await http.get("/v1/templates?limit=5")
            await asyncio.sleep(0.05)


async def recovers(url: str, token: str, since: float) -> float:
    """Seconds from ``since`` until a fresh client's read and GraphQL query
    both succeed."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as http:
        while time.monotonic() - since < DEADLINE:
            try:
                read = await http.get("/v1/users/me")
                query = await http.post("/graphql", json={"query": "{ me { id } }"})
                if read.status_code == 200 and not query.json().get("errors"):
                    return time.monotonic() - since
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    return float("inf")


async def burst(url: str, token: str) -> list[int]:
    """``BURST`` reads at once, each on its own connection; their statuses."""
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=BURST)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, timeout=DEADLINE, limits=limits
    ) as http:
        answers = await asyncio.gather(
            *(http.get("/v1/users/me") for _ in range(BURST))
        )
    return [a.status_code for a in answers]


def wrong_answers(load: Load) -> list[Answer]:
    """Failures that are not the outage envelope with a retry hint."""
    return [
        a
        for a in failures(load)
        if a.bare
        or a.status not in UNAVAILABLE
        or a.code != "SERVICE_UNAVAILABLE"
        or not a.retry_after
    ]


class Run:
    """The load and the impatient client, started and stopped together."""

    def __init__(self, server: LiveServer) -> None:
        self.token = account(server)
        self.load = Load(server.url, self.token)
        self.url = server.url

    async def __aenter__(self) -> Run:
        self.tasks = [
            asyncio.create_task(self.load.client(i)) for i in range(CLIENTS)
        ] + [asyncio.create_task(impatient(self.url, self.token, self.load.stop))]
        await until(lambda: succeeded_since(self.load, 0), "a first success", DEADLINE)
        return self

    async def __aexit__(self, *_: object) -> None:
        self.load.stop.set()
        await asyncio.gather(*self.tasks)


async def with_latency(run: Run, proxy: TcpProxy) -> float:
    """Slow every answer until the load got enough of them; returns when the
    latency was removed."""
    proxy.set_latency(LATENCY_SECONDS)
    slowed_at = time.monotonic()
    await until(
        lambda: len(answered_since(run.load, slowed_at)) >= ANSWERS_DURING_FAULT,
        "answers while slow",
        DEADLINE,
    )
    proxy.set_latency(0)
    return time.monotonic()


async def with_resets(run: Run, proxy: TcpProxy) -> float:
    """Reset every live connection ``RESETS`` times, each once the load has
    succeeded again; returns when the last reset happened."""
    resets = [0.0]
    for _ in range(RESETS):
        await until(
            lambda: succeeded_since(run.load, resets[-1]), "a success", DEADLINE
        )
        await asyncio.to_thread(proxy.reset)
        resets.append(time.monotonic())
    return resets[-1]


def pg_checked_out(server: LiveServer) -> int:
    return int(server.app.state.parts.db.engine.pool.checkedout())


def redis_in_use(server: LiveServer) -> int:
    return len(server.app.state.parts.redis.connection_pool._in_use_connections)


async def holds_through(
    server: LiveServer,
    proxy: TcpProxy,
    fault: Callable[[Run, TcpProxy], Awaitable[float]],
    checked_out: Callable[[LiveServer], int],
) -> Run:
    """``fault`` under the mixed load, then what every fault here must leave:
    no wrong answer, recovery in time, a burst past the pool served, and no
    connection left checked out. Returns the run, for the test's own checks."""
    async with Run(server) as run:
        cleared_at = await fault(run, proxy)
        recovery = await recovers(server.url, run.token, cleared_at)

    assert wrong_answers(run.load) == []
    assert recovery < RECOVERY_SECONDS
    assert await burst(server.url, run.token) == [200] * BURST
    await until(lambda: checked_out(server) == 0, "the pool checked in", DEADLINE)
    return run


async def test_postgresql_latency_slows_requests_but_never_wedges_the_pool(
    pg_proxied: tuple[LiveServer, TcpProxy],
) -> None:
    await holds_through(*pg_proxied, with_latency, pg_checked_out)


async def test_postgresql_connections_reset_mid_load_lose_no_write_and_recover(
    pg_proxied: tuple[LiveServer, TcpProxy], settings: Settings
) -> None:
    run = await holds_through(*pg_proxied, with_resets, pg_checked_out)

    assert set(run.load.ledger) <= await templates_in_database(settings.database_url)


async def test_redis_latency_slows_requests_but_never_wedges_the_pool(
    redis_proxied: tuple[LiveServer, TcpProxy],
) -> None:
    await holds_through(*redis_proxied, with_latency, redis_in_use)


async def test_redis_connections_reset_mid_load_answer_no_bare_5xx_and_recover(
    redis_proxied: tuple[LiveServer, TcpProxy],
) -> None:
    await holds_through(*redis_proxied, with_resets, redis_in_use)
