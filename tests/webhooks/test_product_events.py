"""Product events reach the endpoints that subscribe to them, and only those."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette

from tests.factories import make_user
from tests.peers.webhook_receiver import WebhookReceiver
from tests.webhooks.factories import make_endpoint


async def test_a_finished_generation_raises_generation_completed(
    app: Starlette, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    owner = await make_user(app, tier="pro")
    endpoint = await make_endpoint(
        client, owner, receiver.url, events=["generation.completed"]
    )
    await make_endpoint(
        client, owner, receiver.url + "/failed-only", events=["generation.failed"]
    )
    receiver.trust(endpoint["secret"])

    generated = await client.post(
        "/v1/generate",
        json={"format": "summary", "input": "Wind power grew fast last year. " * 5},
        headers=owner.headers,
    )
    [request] = await receiver.wait_for(1, timeout=20)
    await asyncio.sleep(0.3)

    assert generated.status_code == 200, generated.text
    assert request.path == "/hooks"
    assert request.harvest_valid and request.standard_valid
    event = request.json
    assert event["type"] == "generation.completed"
    assert event["data"]["generation_id"] == generated.json()["generation"]["id"]
    assert event["data"]["format"] == "summary"
    assert event["data"]["tokens_used"] > 0
    assert len(receiver.received) == 1


async def test_another_users_events_do_not_reach_my_endpoint(
    app: Starlette, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    owner = await make_user(app, tier="pro")
    other = await make_user(app, tier="pro")
    await make_endpoint(client, owner, receiver.url)

    await client.post(
        "/v1/generate",
        json={"format": "summary", "input": "Tidal power is steady. " * 5},
        headers=other.headers,
    )
    await asyncio.sleep(1.0)

    assert receiver.received == []
