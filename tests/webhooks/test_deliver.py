"""Deliveries reach a real receiver on loopback, signed in both schemes."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from models.notification import Notification
from resolvers.webhook_delivery import DISABLE_AFTER_FAILURES
from tests.factories import make_user
from tests.peers.webhook_receiver import WebhookReceiver
from tests.webhooks.factories import make_endpoint
from tests.webhooks.helpers import wait_for_deliveries


async def test_test_event_arrives_with_valid_signatures_and_headers(
    app: Starlette, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    owner = await make_user(app)
    endpoint = await make_endpoint(client, owner, receiver.url)
    receiver.trust(endpoint["secret"])

    sent = await client.post(
        f"/v1/webhooks/{endpoint['id']}/test", headers=owner.headers
    )
    [request] = await receiver.wait_for(1)
    [delivery] = await wait_for_deliveries(client, owner, endpoint["id"])

    assert sent.status_code == 202
    assert sent.json()["id"].startswith("dlv_")
    assert request.harvest_valid
    assert request.standard_valid
    body = request.json
    assert set(body) == {"id", "type", "created_at", "data"}
    assert body["id"].startswith("evt_")
    assert body["type"] == "webhook.test"
    assert body["created_at"].endswith("Z")
    headers = request.headers
    assert headers["x-harvest-event"] == "webhook.test"
    assert headers["x-harvest-delivery"] == sent.json()["id"]
    assert headers["webhook-id"] == body["id"]
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"
    assert delivery["status"] == "succeeded"
    assert delivery["response_status"] == 200
    assert delivery["event_type"] == "webhook.test"


async def test_delivery_survives_a_receiver_that_fails_twice(
    app: Starlette, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    owner = await make_user(app)
    endpoint = await make_endpoint(client, owner, receiver.url)
    receiver.trust(endpoint["secret"])
    receiver.fail(2)

    await client.post(f"/v1/webhooks/{endpoint['id']}/test", headers=owner.headers)
    requests = await receiver.wait_for(3)
    [delivery] = await wait_for_deliveries(client, owner, endpoint["id"])

    assert [r.status for r in requests] == [500, 500, 200]
    assert all(r.harvest_valid and r.standard_valid for r in requests)
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    assert len({r.headers["x-harvest-delivery"] for r in requests}) == 1
    assert delivery["status"] == "succeeded"
    assert delivery["attempts"] == 3


@pytest.mark.parametrize("status", [307, 308])
async def test_a_redirect_is_a_failure_and_is_not_followed(
    app: Starlette, client: httpx.AsyncClient, receiver: WebhookReceiver, status: int
) -> None:
    owner = await make_user(app)
    endpoint = await make_endpoint(client, owner, receiver.url)
    elsewhere = receiver.url.replace("/hooks", "/elsewhere")
    receiver.fail(1, status=status, location=elsewhere)

    await client.post(f"/v1/webhooks/{endpoint['id']}/test", headers=owner.headers)
    requests = await receiver.wait_for(2)
    [delivery] = await wait_for_deliveries(client, owner, endpoint["id"])
    await asyncio.sleep(0.3)

    assert [r.status for r in requests] == [status, 200]
    assert [r.path for r in receiver.received] == ["/hooks", "/hooks"]
    assert delivery["attempts"] == 2


async def test_rotation_signs_with_both_secrets_during_the_overlap(
    app: Starlette, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    owner = await make_user(app)
    endpoint = await make_endpoint(client, owner, receiver.url)
    old = endpoint["secret"]
    rotated = await client.post(
        f"/v1/webhooks/{endpoint['id']}/rotate-secret",
        json={"overlap_hours": 2},
        headers=owner.headers,
    )
    new = rotated.json()["secret"]

    receiver.trust(old)
    await client.post(f"/v1/webhooks/{endpoint['id']}/test", headers=owner.headers)
    [with_old] = await receiver.wait_for(1)
    receiver.trust(new)
    await client.post(f"/v1/webhooks/{endpoint['id']}/test", headers=owner.headers)
    [_, with_new] = await receiver.wait_for(2)

    assert new != old
    assert len(with_old.headers["webhook-signature"].split(" ")) == 2
    assert with_old.standard_valid
    assert not with_old.harvest_valid
    assert with_old.headers["x-harvest-signature-previous"].startswith("sha256=")
    assert with_new.standard_valid
    assert with_new.harvest_valid


async def test_redeliver_sends_the_same_event_again(
    app: Starlette, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    owner = await make_user(app)
    endpoint = await make_endpoint(client, owner, receiver.url)
    first = await client.post(
        f"/v1/webhooks/{endpoint['id']}/test", headers=owner.headers
    )
    await receiver.wait_for(1)
    await wait_for_deliveries(client, owner, endpoint["id"])

    again = await client.post(
        f"/v1/webhooks/{endpoint['id']}/deliveries/{first.json()['id']}/redeliver",
        headers=owner.headers,
    )
    requests = await receiver.wait_for(2)

    assert again.status_code == 202
    assert again.json()["id"] != first.json()["id"]
    assert again.json()["event_id"] == first.json()["event_id"]
    assert requests[0].json == requests[1].json


async def test_gone_disables_the_endpoint_at_once_and_notifies_the_owner(
    app: Starlette, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    owner = await make_user(app)
    endpoint = await make_endpoint(client, owner, receiver.url)
    receiver.answer(410)

    await client.post(f"/v1/webhooks/{endpoint['id']}/test", headers=owner.headers)
    [delivery] = await wait_for_deliveries(client, owner, endpoint["id"])
    shown = await client.get(f"/v1/webhooks/{endpoint['id']}", headers=owner.headers)
    refused = await client.post(
        f"/v1/webhooks/{endpoint['id']}/test", headers=owner.headers
    )
    async with app.state.parts.db.session() as session:
        notes = list(
            (
                await session.execute(
                    select(Notification).where(Notification.user_id == owner.id)
                )
            ).scalars()
        )

    assert delivery["status"] == "failed"
    assert len(receiver.received) == 1
    assert shown.json()["enabled"] is False
    assert shown.json()["disabled_at"] is not None
    assert refused.status_code == 409
    assert [n.type for n in notes] == ["webhook.disabled"]


async def test_repeated_failures_disable_the_endpoint(
    app: Starlette, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    owner = await make_user(app)
    endpoint = await make_endpoint(client, owner, receiver.url)
    receiver.answer(503)

    for _ in range(6):
        await client.post(f"/v1/webhooks/{endpoint['id']}/test", headers=owner.headers)
    await wait_for_deliveries(client, owner, endpoint["id"], count=6, timeout=30)
    shown = await client.get(f"/v1/webhooks/{endpoint['id']}", headers=owner.headers)
    re_enabled = await client.patch(
        f"/v1/webhooks/{endpoint['id']}",
        json={"enabled": True},
        headers=owner.headers,
    )

    async with app.state.parts.db.session() as session:
        notes = list(
            (
                await session.execute(
                    select(Notification).where(Notification.user_id == owner.id)
                )
            ).scalars()
        )

    assert shown.json()["enabled"] is False
    assert shown.json()["consecutive_failures"] >= DISABLE_AFTER_FAILURES
    assert len(receiver.received) >= DISABLE_AFTER_FAILURES
    assert [n.type for n in notes] == ["webhook.disabled"]
    assert notes[0].data["endpoint_id"] == endpoint["id"]
    assert re_enabled.json()["enabled"] is True
    assert re_enabled.json()["consecutive_failures"] == 0
