"""Faults under steady mixed load, with a loopback TCP proxy in front of
PostgreSQL or Redis that the test cuts and restores.

PostgreSQL cut: every failed answer is a 503 SERVICE_UNAVAILABLE envelope with
``Retry-After``, a request succeeds within 5 s of the restore, and no write the
server acknowledged is missing from the database (a client ledger).
Redis cut: the README's policy, the same 503 envelope with ``Retry-After`` for
the requests that need Redis, and never a bare 5xx.

The CI pass cuts for ``CUT_SECONDS``; ``HARVEST_LONG=1`` cuts PostgreSQL for
20 s and Redis for 30 s, as the issue asks.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlparse, urlunparse

import asyncpg
import httpx
import pytest

from harvest.settings import Settings
from tests.auth.factories import PASSWORD, unique_email
from tests.conftest import PG_URL, REDIS_URL
from tests.peers.tcp_proxy import TcpProxy
from tests.support import LiveServer

LONG = os.environ.get("HARVEST_LONG") == "1"
PG_CUT_SECONDS = 20.0 if LONG else 4.0
REDIS_CUT_SECONDS = 30.0 if LONG else 4.0
RECOVERY_SECONDS = 5.0
# REST answers 503; GraphQL answers 200 with the error (and its retry hint) in
# errors[] when the outage is met inside a resolver.
UNAVAILABLE = (503, 200)
CLIENTS = 6
LIMITS = {"free": {"requests_per_minute": 1_000_000, "generations_per_hour": 1_000_000}}


def through(url: str, proxy: TcpProxy) -> str:
    parsed = urlparse(url)
    netloc = parsed.netloc.replace(
        f"{parsed.hostname}:{parsed.port}", f"127.0.0.1:{proxy.port}"
    )
    return urlunparse(parsed._replace(netloc=netloc))


def proxy_for(url: str, default_port: int) -> TcpProxy:
    parsed = urlparse(url)
    proxy = TcpProxy(parsed.hostname or "127.0.0.1", parsed.port or default_port)
    proxy.start()
    return proxy


@dataclass
class Answer:
    at: float
    kind: str
    status: int
    code: str | None
    retry_after: str | None
    bare: bool


@dataclass
class Load:
    """Clients sending a mix of reads and writes until told to stop."""

    url: str
    token: str
    answers: list[Answer] = field(default_factory=list)
    ledger: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def client(self, index: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(
            base_url=self.url, headers=headers, timeout=15
        ) as http:
            step = 0
            while not self.stop.is_set():
                step += 1
                kind = ("read", "graphql", "write", "list")[step % 4]
                await self.one(http, kind, f"c{index}s{step}")
                await asyncio.sleep(0.02)

    async def one(self, http: httpx.AsyncClient, kind: str, name: str) -> None:
        try:
            if kind == "read":
                response = await http.get("/v1/users/me")
            elif kind == "graphql":
                response = await http.post("/graphql", json={"query": "{ me { id } }"})
            elif kind == "list":
                response = await http.get("/v1/templates?limit=5")
            else:
                response = await http.post(
                    "/v1/templates",
                    json={
                        "name": name,
                        "prompt": "Write about the sea",
                        "format": "blog",
                    },
                )
        except httpx.HTTPError:
            return
        self.record(kind, response, name)

    def record(self, kind: str, response: httpx.Response, name: str) -> None:
        code, bare, hint = None, False, None
        try:
            body: Any = response.json()
        except ValueError:
            body, bare = None, response.status_code >= 500
        if isinstance(body, dict):
            if "error" in body:
                code = body["error"]["code"]
            elif body.get("errors"):
                extensions = body["errors"][0].get("extensions", {})
                code = extensions.get("code")
                hint = extensions.get("retry_after")
        if kind == "write" and response.status_code == 201:
            self.ledger.append(name)
        self.answers.append(
            Answer(
                at=time.monotonic(),
                kind=kind,
                status=response.status_code,
                code=code,
                retry_after=response.headers.get("retry-after") or hint,
                bare=bare,
            )
        )

    def succeeded(self, answer: Answer) -> bool:
        return answer.status < 400 and answer.code is None


async def run_with_cut(
    load: Load, proxy: TcpProxy, cut_seconds: float
) -> tuple[float, float]:
    """Load, cut, wait, restore, load on; returns (cut_at, restored_at)."""
    clients = [asyncio.create_task(load.client(i)) for i in range(CLIENTS)]
    await asyncio.sleep(1.0)
    cut_at = time.monotonic()
    await asyncio.to_thread(proxy.cut)
    await asyncio.sleep(cut_seconds)
    restored_at = time.monotonic()
    await asyncio.to_thread(proxy.restore)
    await asyncio.sleep(RECOVERY_SECONDS + 1.0)
    load.stop.set()
    await asyncio.gather(*clients)
    return cut_at, restored_at


def account(server: LiveServer) -> str:
    """Sign up once the server is ready (its first connections go through the
    proxy and may take a moment on a busy machine)."""
    deadline = time.monotonic() + 20
    while httpx.get(f"{server.url}/readyz", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "server not ready"
        time.sleep(0.2)
    response = httpx.post(
        f"{server.url}/v1/auth/signup",
        json={"email": unique_email("fault"), "password": PASSWORD, "name": "F"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["tokens"]["access_token"])


def failures(load: Load) -> list[Answer]:
    return [a for a in load.answers if not load.succeeded(a)]


def first_success_after(load: Load, moment: float) -> float | None:
    later = [a.at for a in load.answers if a.at > moment and load.succeeded(a)]
    return min(later) - moment if later else None


@pytest.fixture
def pg_proxied(settings: Settings) -> Iterator[tuple[LiveServer, TcpProxy]]:
    if PG_URL is None:
        pytest.skip("needs PostgreSQL (HARVEST_TEST_DATABASE_URL)")
    proxy = proxy_for(settings.database_url, 5432)
    server = LiveServer(
        replace(
            settings,
            database_url=through(settings.database_url, proxy),
            db_connect_timeout_seconds=2,
            rate_limits=LIMITS,
        )
    )
    server.start()
    yield server, proxy
    server.stop()
    proxy.close()


async def templates_in_database(database_url: str) -> set[str]:
    conn = await asyncpg.connect(
        database_url.replace("postgresql+asyncpg", "postgresql")
    )
    try:
        rows = await conn.fetch("SELECT name FROM templates")
    finally:
        await conn.close()
    return {row["name"] for row in rows}


async def test_a_postgresql_cut_answers_only_503_with_retry_after_and_loses_no_write(
    pg_proxied: tuple[LiveServer, TcpProxy], settings: Settings
) -> None:
    server, proxy = pg_proxied
    load = Load(server.url, account(server))

    cut_at, restored_at = await run_with_cut(load, proxy, PG_CUT_SECONDS)

    wrong = [
        a
        for a in failures(load)
        if a.status not in UNAVAILABLE
        or a.code != "SERVICE_UNAVAILABLE"
        or not a.retry_after
    ]
    assert wrong == []
    assert any(a.status == 503 for a in load.answers if cut_at < a.at < restored_at)
    recovery = first_success_after(load, restored_at)
    assert recovery is not None and recovery < RECOVERY_SECONDS
    assert set(load.ledger) <= await templates_in_database(settings.database_url)


@pytest.fixture
def redis_proxied(settings: Settings) -> Iterator[tuple[LiveServer, TcpProxy]]:
    if REDIS_URL is None:
        pytest.skip("needs Redis (HARVEST_TEST_REDIS_URL)")
    proxy = proxy_for(REDIS_URL, 6379)
    server = LiveServer(
        replace(settings, redis_url=through(REDIS_URL, proxy), rate_limits=LIMITS)
    )
    server.start()
    yield server, proxy
    server.stop()
    proxy.close()


async def test_a_redis_cut_follows_the_readme_policy_with_no_bare_5xx(
    redis_proxied: tuple[LiveServer, TcpProxy],
) -> None:
    server, proxy = redis_proxied
    load = Load(server.url, account(server))

    _, restored_at = await run_with_cut(load, proxy, REDIS_CUT_SECONDS)

    assert [a for a in load.answers if a.bare] == []
    wrong = [
        a
        for a in failures(load)
        if a.status not in UNAVAILABLE
        or a.code != "SERVICE_UNAVAILABLE"
        or not a.retry_after
    ]
    assert wrong == []
    recovery = first_success_after(load, restored_at)
    assert recovery is not None and recovery < RECOVERY_SECONDS
