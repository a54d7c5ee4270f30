"""Two server processes sharing Redis count every limit together."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from harvest.settings import Settings
from tests.conftest import REDIS_URL
from tests.factories import make_user
from tests.support import free_port

pytestmark = pytest.mark.skipif(
    REDIS_URL is None, reason="needs HARVEST_TEST_REDIS_URL"
)

LIMITS = {"free": {"requests_per_minute": 6, "generations_per_hour": 2}}
BLOG = {"format": "blog", "input": "Tidal energy", "options": {"length": "short"}}
START = "mutation ($i: GenerateInput!) { generationStart(input: $i) { id status } }"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(rate_limits=LIMITS)


def serve(
    settings: Settings, tmp_path: Path, port: int, writer_delay: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HARVEST_DATABASE_URL": settings.database_url,
        "HARVEST_REDIS_URL": REDIS_URL or "",
        "HARVEST_SECRET_KEY": settings.secret_key,
        "HARVEST_VAR_DIR": str(tmp_path / f"var-{port}"),
        "HARVEST_RATE_LIMITS": orjson.dumps(LIMITS).decode(),
        "HARVEST_RATE_LIMIT_NAMESPACE": settings.rate_limit_namespace,
        "HARVEST_OFFLINE_WRITER_DELAY_SECONDS": writer_delay,
        "HARVEST_NO_WORKERS": "1",
    }
    log = (tmp_path / f"serve-{port}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "harvest.cli", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_until_up(url: str, log: Path) -> None:
    # Generous: a loaded CI machine can take long to import and migrate-check.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"{url} did not start:\n{tail}")


@pytest.fixture
def writer_delay() -> str:
    """Seconds the offline writer waits between chunks in both servers."""
    return "0"


@pytest.fixture
def two_servers(
    settings: Settings, tmp_path: Path, writer_delay: str
) -> Iterator[tuple[str, str]]:
    ports = (free_port(), free_port())
    processes = [serve(settings, tmp_path, port, writer_delay) for port in ports]
    urls = tuple(f"http://127.0.0.1:{port}" for port in ports)
    try:
        for url, port in zip(urls, ports, strict=True):
            wait_until_up(url, tmp_path / f"serve-{port}.log")
        yield urls[0], urls[1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


async def test_requests_are_counted_across_both_processes(
    app: Starlette, two_servers: tuple[str, str]
) -> None:
    user = await make_user(app, tier="free")

    answers = []
    async with httpx.AsyncClient(timeout=10) as client:
        for index in range(7):
            url = two_servers[index % 2]
            answers.append(
                await client.get(f"{url}/v1/openapi.json", headers=user.headers)
            )

    assert [a.status_code for a in answers] == [200] * 6 + [429]
    assert [a.headers["x-ratelimit-remaining"] for a in answers[:6]] == [
        "5",
        "4",
        "3",
        "2",
        "1",
        "0",
    ]


async def test_generation_starts_are_counted_across_both_processes(
    app: Starlette, two_servers: tuple[str, str]
) -> None:
    user = await make_user(app, tier="free")
    first, second = two_servers

    async with httpx.AsyncClient(timeout=30) as client:
        one = await client.post(f"{first}/v1/generate", json=BLOG, headers=user.headers)
        two = await client.post(
            f"{second}/v1/generate", json=BLOG, headers=user.headers
        )
        three = await client.post(
            f"{first}/v1/generate", json=BLOG, headers=user.headers
        )

    assert (one.status_code, two.status_code, three.status_code) == (200, 200, 429)
    assert three.headers["x-ratelimit-bucket"] == "generate"


async def test_graphql_and_rest_requests_share_one_count_across_processes(
    app: Starlette, two_servers: tuple[str, str]
) -> None:
    user = await make_user(app, tier="free")

    statuses = []
    async with httpx.AsyncClient(timeout=10) as client:
        for index in range(7):
            url = two_servers[index % 2]
            if index % 3:
                answer = await client.post(
                    f"{url}/graphql",
                    json={"query": "{ __typename }"},
                    headers=user.headers,
                )
            else:
                answer = await client.get(
                    f"{url}/v1/openapi.json", headers=user.headers
                )
            statuses.append(answer.status_code)

    assert statuses == [200] * 6 + [429]


@pytest.mark.parametrize("writer_delay", ["0.05"])
async def test_a_generation_running_on_one_process_holds_the_slot_on_the_other(
    app: Starlette, two_servers: tuple[str, str]
) -> None:
    user = await make_user(app, tier="free")
    first, second = two_servers
    start = {"query": START, "variables": {"i": BLOG}}

    async with httpx.AsyncClient(timeout=30) as client:
        running = await client.post(
            f"{first}/graphql", json=start, headers=user.headers
        )
        refused = await client.post(
            f"{second}/graphql", json=start, headers=user.headers
        )

    assert running.json()["data"]["generationStart"]["status"] == "queued"
    error = refused.json()["errors"][0]["extensions"]
    assert error["code"] == "RATE_LIMITED"
    assert error["details"]["bucket"] == "concurrent_generations"


async def test_websocket_connections_are_counted_across_processes(
    app: Starlette, two_servers: tuple[str, str]
) -> None:
    user = await make_user(app, tier="free")
    first, second = (url.replace("http://", "ws://") for url in two_servers)

    async with connect(f"{first}/v1?token={user.token}") as held:
        hello = orjson.loads(await asyncio.wait_for(held.recv(), 10))
        async with connect(f"{second}/v1?token={user.token}") as extra:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(extra.recv(), 10)
        refused_with = extra.close_code

    assert hello["type"] == "connected"
    assert refused_with == 4002
