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
    log = tmp_path / "serve.log"
    process = subprocess.Popen(
        [*command, "--workers", "2", "--grace", "2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # Both workers must be serving, or every request may land on one.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if log.read_text().count("Application startup complete") >= 2:
                break
            time.sleep(0.2)
        yield url, var / "prometheus"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_metrics_add_up_across_workers(two_workers: tuple[str, Path]) -> None:
    url, folder = two_workers
    before = healthz_total(httpx.get(url + "/metrics", timeout=5).text)

    sent = 0
    # The kernel picks the worker per connection; send until both have counted.
    while sent < 30 or (len(writers(folder)) < 2 and sent < 400):
        with httpx.Client() as fresh_connection:
            fresh_connection.get(url + "/healthz", timeout=5)
        sent += 1
    scrapes = [healthz_total(httpx.get(url + "/metrics", timeout=5).text)]
    scrapes += [healthz_total(httpx.get(url + "/metrics", timeout=5).text)]

    assert scrapes == [before + sent, before + sent]
    assert not (folder / "counter_999999.db").exists()
    assert len(writers(folder)) == 2


def writers(folder: Path) -> set[str]:
    """The process ids that have written counters into the metrics folder."""
    return {p.stem.rsplit("_", 1)[-1] for p in folder.glob("counter_*.db")}


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
