"""Webhook endpoints are managed over REST and GraphQL; secrets are shown once."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette

from tests.factories import make_user
from tests.peers.webhook_receiver import WebhookReceiver
from tests.webhooks.factories import make_endpoint
from tests.webhooks.helpers import wait_for_deliveries

CREATE = """
mutation Create($input: WebhookEndpointCreateInput!) {
  webhookEndpointCreate(input: $input) { id url events secret enabled }
}
"""

LIST = """
query {
  webhookEndpoints(limit: 20) { items { id secret } pagination { totalItems hasNext } }
}
"""

ROTATE = """
mutation Rotate($id: String!) {
  webhookEndpointRotateSecret(id: $id, overlapHours: 1) {
    secret previousSecretExpiresAt
  }
}
"""


async def test_create_shows_the_secret_once(
    app: object, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)  # type: ignore[arg-type]

    created = await make_endpoint(
        client, owner, "https://93.184.215.14/hooks", events=["generation.completed"]
    )
    shown = await client.get(f"/v1/webhooks/{created['id']}", headers=owner.headers)

    assert created["id"].startswith("whk_")
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["generation.completed"]
    assert created["enabled"] is True
    assert shown.status_code == 200
    assert "secret" not in shown.json()
    assert shown.json()["url"] == "https://93.184.215.14/hooks"


async def test_list_update_and_delete_over_rest(
    app: object, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)  # type: ignore[arg-type]
    first = await make_endpoint(client, owner, "https://93.184.215.14/a")
    await make_endpoint(client, owner, "https://93.184.215.14/b")

    listed = await client.get("/v1/webhooks?limit=1", headers=owner.headers)
    changed = await client.patch(
        f"/v1/webhooks/{first['id']}",
        json={"description": "orders", "events": ["payment.failed"], "enabled": False},
        headers=owner.headers,
    )
    deleted = await client.delete(f"/v1/webhooks/{first['id']}", headers=owner.headers)
    gone = await client.get(f"/v1/webhooks/{first['id']}", headers=owner.headers)

    assert listed.status_code == 200
    assert len(listed.json()["webhooks"]) == 1
    assert listed.json()["pagination"]["total_items"] == 2
    assert listed.json()["pagination"]["has_next"] is True
    assert changed.json()["description"] == "orders"
    assert changed.json()["events"] == ["payment.failed"]
    assert changed.json()["enabled"] is False
    assert deleted.json() == {"id": first["id"], "deleted": True}
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "NOT_FOUND"


async def test_cannot_see_another_users_endpoint(
    app: object, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)  # type: ignore[arg-type]
    stranger = await make_user(app)  # type: ignore[arg-type]
    created = await make_endpoint(client, owner, "https://93.184.215.14/a")

    seen = await client.get(f"/v1/webhooks/{created['id']}", headers=stranger.headers)
    deleted = await client.delete(
        f"/v1/webhooks/{created['id']}", headers=stranger.headers
    )

    assert seen.status_code == 404
    assert deleted.status_code == 404


async def test_unknown_event_type_is_a_validation_error(
    app: object, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)  # type: ignore[arg-type]

    response = await client.post(
        "/v1/webhooks",
        json={"url": "https://93.184.215.14/a", "events": ["generation.exploded"]},
        headers=owner.headers,
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "events"


async def test_graphql_creates_lists_and_rotates(
    app: object, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)  # type: ignore[arg-type]

    created = await client.post(
        "/graphql",
        json={
            "query": CREATE,
            "variables": {"input": {"url": "https://93.184.215.14/"}},
        },
        headers=owner.headers,
    )
    endpoint = created.json()["data"]["webhookEndpointCreate"]
    listed = await client.post("/graphql", json={"query": LIST}, headers=owner.headers)
    rotated = await client.post(
        "/graphql",
        json={"query": ROTATE, "variables": {"id": endpoint["id"]}},
        headers=owner.headers,
    )

    assert endpoint["secret"].startswith("whsec_")
    page = listed.json()["data"]["webhookEndpoints"]
    assert page["items"] == [{"id": endpoint["id"], "secret": None}]
    assert page["pagination"] == {"totalItems": 1, "hasNext": False}
    fresh = rotated.json()["data"]["webhookEndpointRotateSecret"]
    assert fresh["secret"].startswith("whsec_")
    assert fresh["secret"] != endpoint["secret"]
    assert fresh["previousSecretExpiresAt"] is not None


async def test_anonymous_caller_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/webhooks")

    assert response.status_code == 401


GET_ONE = "query ($id: String!) { webhookEndpoint(id: $id) { id url enabled } }"
UPDATE = """
mutation ($id: String!, $input: WebhookEndpointUpdateInput!) {
  webhookEndpointUpdate(id: $id, input: $input) { id description events }
}
"""
SEND_TEST = "mutation ($id: String!) { webhookEndpointTest(id: $id) { id eventType } }"
DELIVERIES = """
query ($id: String!) {
  webhookDeliveries(endpointId: $id, limit: 10) {
    items { id status eventType attempts }
    pagination { totalItems }
  }
}
"""
REDELIVER = """
mutation ($id: String!, $delivery: String!) {
  webhookDeliveryRedeliver(endpointId: $id, deliveryId: $delivery) { id eventId }
}
"""
DELETE = "mutation ($id: String!) { webhookEndpointDelete(id: $id) { id deleted } }"


async def test_graphql_serves_every_management_operation(
    app: Starlette, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    owner = await make_user(app)

    async def run(query: str, **variables: Any) -> dict[str, Any]:
        answer = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=owner.headers,
        )
        body = answer.json()
        assert "errors" not in body, body
        return dict(body["data"])

    created = (await run(CREATE, input={"url": receiver.url}))["webhookEndpointCreate"]
    receiver.trust(created["secret"])
    endpoint_id = created["id"]
    shown = (await run(GET_ONE, id=endpoint_id))["webhookEndpoint"]
    changed = await run(
        UPDATE,
        id=endpoint_id,
        input={"description": "billing hooks", "events": ["payment.failed"]},
    )
    sent = (await run(SEND_TEST, id=endpoint_id))["webhookEndpointTest"]
    await receiver.wait_for(1)
    await wait_for_deliveries(client, owner, endpoint_id)
    again = await run(REDELIVER, id=endpoint_id, delivery=sent["id"])
    await receiver.wait_for(2)
    await wait_for_deliveries(client, owner, endpoint_id, count=2)
    listed = (await run(DELIVERIES, id=endpoint_id))["webhookDeliveries"]
    deleted = (await run(DELETE, id=endpoint_id))["webhookEndpointDelete"]
    gone = await client.post(
        "/graphql",
        json={"query": GET_ONE, "variables": {"id": endpoint_id}},
        headers=owner.headers,
    )

    assert shown == {"id": endpoint_id, "url": receiver.url, "enabled": True}
    assert changed["webhookEndpointUpdate"]["events"] == ["payment.failed"]
    assert sent["eventType"] == "webhook.test"
    assert again["webhookDeliveryRedeliver"]["id"] != sent["id"]
    assert listed["pagination"]["totalItems"] == 2
    assert {d["status"] for d in listed["items"]} == {"succeeded"}
    assert all(r.harvest_valid and r.standard_valid for r in receiver.received)
    assert deleted == {"id": endpoint_id, "deleted": True}
    assert gone.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
