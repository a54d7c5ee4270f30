"""A `harvest worker` process killed with SIGKILL in the middle of a webhook
delivery does not lose it: its lease runs out and another worker sends it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from harvest.settings import Settings
from harvest.worker import Worker
from models.job import Job
from tests.factories import make_user
from tests.peers.webhook_receiver import WebhookReceiver
from tests.webhooks.factories import make_endpoint
from tests.webhooks.helpers import wait_for_deliveries

LEASE_SECONDS = 1


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    peer = WebhookReceiver()
    peer.start()
    yield peer
    peer.stop()


def start_worker_process(settings: Settings, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HARVEST_DATABASE_URL": settings.database_url,
        "HARVEST_SECRET_KEY": settings.secret_key,
        "HARVEST_VAR_DIR": str(tmp_path / "worker-var"),
        "HARVEST_WEBHOOK_ALLOW_PRIVATE": "true",
        "HARVEST_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "HARVEST_ENV": "test",
    }
    if settings.redis_url:
        env["HARVEST_REDIS_URL"] = settings.redis_url
    return subprocess.Popen(
        [sys.executable, "-m", "harvest.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_a_job_of_a_killed_worker_process_is_run_by_another(
    app: Starlette,
    client: httpx.AsyncClient,
    settings: Settings,
    receiver: WebhookReceiver,
    tmp_path: Path,
) -> None:
    owner = await make_user(app)
    endpoint = await make_endpoint(client, owner, receiver.url)
    receiver.trust(endpoint["secret"])
    receiver.hold(30)
    process = start_worker_process(settings, tmp_path)
    try:
        await client.post(f"/v1/webhooks/{endpoint['id']}/test", headers=owner.headers)
        await receiver.wait_for(1, timeout=30)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    receiver.hold(0)
    killed_at = time.monotonic()

    survivor = Worker(
        app.state.parts.contexts,
        poll_seconds=0.05,
        lease=timedelta(seconds=LEASE_SECONDS),
    )
    task = asyncio.create_task(survivor.run())
    try:
        requests = await receiver.wait_for(2, timeout=20)
        [delivery] = await wait_for_deliveries(client, owner, endpoint["id"])
    finally:
        await survivor.stop()
        task.cancel()
    async with app.state.parts.db.session() as session:
        [job] = (await session.execute(select(Job))).scalars().all()

    assert process.returncode == -signal.SIGKILL
    assert time.monotonic() - killed_at < 15
    assert [r.harvest_valid and r.standard_valid for r in requests] == [True, True]
    assert requests[0].headers["x-harvest-delivery"] == delivery["id"]
    assert requests[1].headers["x-harvest-delivery"] == delivery["id"]
    assert delivery["status"] == "succeeded"
    assert job.status == "succeeded"
    assert job.attempts == 2
    assert job.locked_by == survivor.worker_id
