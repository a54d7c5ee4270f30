"""Waiting on deliveries through the API, as a client would."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.factories import UserHandle

FINAL = ("succeeded", "failed", "cancelled")


async def wait_for_deliveries(
    client: httpx.AsyncClient,
    owner: UserHandle,
    endpoint_id: str,
    *,
    count: int = 1,
    timeout: float = 20.0,
) -> list[dict[str, Any]]:
    """Poll the endpoint's deliveries until ``count`` of them are final."""
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(
            f"/v1/webhooks/{endpoint_id}/deliveries", headers=owner.headers
        )
        deliveries = list(response.json()["deliveries"])
        done = [d for d in deliveries if d["status"] in FINAL]
        if len(done) >= count:
            return deliveries
        if time.monotonic() > deadline:
            raise TimeoutError(f"deliveries not final: {deliveries}")
        await asyncio.sleep(0.05)
