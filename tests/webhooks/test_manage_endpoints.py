"""Webhook endpoints are managed over REST and GraphQL; secrets are shown once."""

from __future__ import annotations

import httpx

from tests.factories import make_user
from tests.webhooks.factories import make_endpoint

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
