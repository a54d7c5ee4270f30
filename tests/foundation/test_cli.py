"""The harvest command: migrate, serve (one and several workers), production refusal."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from tests.support import free_port


def harvest(
    *args: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harvest.cli", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def base_env(tmp_path: Path) -> dict[str, str]:
    return {
        "HARVEST_VAR_DIR": str(tmp_path / "var"),
        "HARVEST_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'var' / 'h.db'}",
        "HARVEST_REDIS_URL": "",
    }


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    result = harvest("migrate", env=base_env(tmp_path), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "h.db").exists()
    assert "migrating: 100%" in result.stderr


def test_serve_refuses_production_without_a_secret_and_says_why(tmp_path: Path) -> None:
    env = {**base_env(tmp_path), "HARVEST_ENV": "production", "HARVEST_SECRET_KEY": ""}

    result = harvest("serve", "--port", str(free_port()), env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert "HARVEST_SECRET_KEY" in result.stderr
    assert "SQLite" in result.stderr


@contextlib.contextmanager
def serving(tmp_path: Path, workers: str, **env: str) -> Iterator[str]:
    """``harvest serve`` in a subprocess, answering health; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harvest.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            workers,
        ],
        env={**os.environ, **base_env(tmp_path), **env},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    with serving(tmp_path, str(request.param)) as url:
        yield url


@pytest.mark.parametrize("served", [1, 2], indirect=True)
def test_serve_answers_health_with_one_or_several_workers(served: str) -> None:
    responses = [httpx.get(served + "/healthz", timeout=5) for _ in range(4)]

    assert {r.status_code for r in responses} == {200}
    assert httpx.get(served + "/readyz", timeout=5).json()["checks"]["database"] == "ok"


@pytest.mark.parametrize(("flag", "offered"), [("", False), ("true", True)])
async def test_serve_compresses_websockets_only_when_asked(
    tmp_path: Path, flag: str, offered: bool
) -> None:
    with serving(tmp_path, "1", HARVEST_WS_PER_MESSAGE_DEFLATE=flag) as url:
        # The client offers permessage-deflate; the server takes it or not.
        async with connect(
            url.replace("http", "ws") + "/graphql",
            subprotocols=[Subprotocol("graphql-transport-ws")],
        ) as ws:
            assert ws.response is not None
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions") or ""

    assert ("permessage-deflate" in extensions) is offered
