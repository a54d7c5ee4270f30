"""``harvest serve --workers 2``: every worker's figures in one /metrics."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import free_port


def healthz_total(text: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for item in family.samples:
            if (
                item.name == "harvest_http_requests_total"
                and item.labels.get("route") == "/healthz"
            ):
                total += item.value
    return total


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    var = tmp_path / "var"
    stale = var / "prometheus" / "counter_999999.db"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left over from an earlier run")
    port = free_port()
    env = {
        **os.environ,
        "HARVEST_VAR_DIR": str(var),
        "HARVEST_DATABASE_URL": f"sqlite+aiosqlite:///{var / 'h.db'}",
        "HARVEST_REDIS_URL": "",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [sys.executable, "-m", "harvest.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", "2", "--grace", "2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(url + "/metrics", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url, var / "prometheus"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_metrics_add_up_across_workers(two_workers: tuple[str, Path]) -> None:
    url, folder = two_workers
    before = healthz_total(httpx.get(url + "/metrics", timeout=5).text)

    for _ in range(30):
        with httpx.Client() as fresh_connection:
            fresh_connection.get(url + "/healthz", timeout=5)
    scrapes = [healthz_total(httpx.get(url + "/metrics", timeout=5).text)]
    scrapes += [healthz_total(httpx.get(url + "/metrics", timeout=5).text)]

    assert scrapes == [before + 30, before + 30]
    assert not (folder / "counter_999999.db").exists()
    writers = {p.stem.rsplit("_", 1)[-1] for p in folder.glob("counter_*.db")}
    assert len(writers) == 2


def test_a_job_worker_serves_its_own_metrics_port(tmp_path: Path) -> None:
    port = free_port()
    var = tmp_path / "var"
    env = {
        **os.environ,
        "HARVEST_VAR_DIR": str(var),
        "HARVEST_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'h.db'}",
        "HARVEST_REDIS_URL": "",
    }
    subprocess.run(
        [sys.executable, "-m", "harvest.cli", "migrate"], env=env, check=True
    )
    command = [sys.executable, "-m", "harvest.cli", "worker", "--grace", "1"]
    process = subprocess.Popen(
        [*command, "--metrics-port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        text = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not text:
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
            except httpx.TransportError:
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)

    assert "# TYPE harvest_job_attempts_total counter" in text
    assert "# TYPE harvest_webhook_deliveries_total counter" in text
