"""The harvest command: migrate, serve (one and several workers), production refusal."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

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


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    port = free_port()
    workers = str(request.param)
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
        env={**os.environ, **base_env(tmp_path)},
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


@pytest.mark.parametrize("served", [1, 2], indirect=True)
def test_serve_answers_health_with_one_or_several_workers(served: str) -> None:
    responses = [httpx.get(served + "/healthz", timeout=5) for _ in range(4)]

    assert {r.status_code for r in responses} == {200}
    assert httpx.get(served + "/readyz", timeout=5).json()["checks"]["database"] == "ok"
