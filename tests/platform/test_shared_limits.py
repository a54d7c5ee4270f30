"""Two server processes sharing Redis count every limit together."""

from __future__ import annotations

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

from harvest.settings import Settings
from tests.conftest import REDIS_URL
from tests.factories import make_user
from tests.support import free_port

pytestmark = pytest.mark.skipif(
    REDIS_URL is None, reason="needs HARVEST_TEST_REDIS_URL"
)

LIMITS = {"free": {"requests_per_minute": 6, "generations_per_hour": 2}}
BLOG = {"format": "blog", "input": "Tidal energy", "options": {"length": "short"}}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(rate_limits=LIMITS)


def serve(settings: Settings, tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HARVEST_DATABASE_URL": settings.database_url,
        "HARVEST_REDIS_URL": REDIS_URL or "",
        "HARVEST_SECRET_KEY": settings.secret_key,
        "HARVEST_VAR_DIR": str(tmp_path / f"var-{port}"),
        "HARVEST_RATE_LIMITS": orjson.dumps(LIMITS).decode(),
        "HARVEST_RATE_LIMIT_NAMESPACE": settings.rate_limit_namespace,
        "HARVEST_OFFLINE_WRITER_DELAY_SECONDS": "0",
        "HARVEST_NO_WORKERS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "harvest.cli", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@pytest.fixture
def two_servers(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, str]]:
    ports = (free_port(), free_port())
    processes = [serve(settings, tmp_path, port) for port in ports]
    urls = tuple(f"http://127.0.0.1:{port}" for port in ports)
    try:
        for url in urls:
            wait_until_up(url)
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
