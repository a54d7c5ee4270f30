"""One user reaches nothing of another's through the user and key routes."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from tests.auth.factories import graphql
from tests.factories import make_user

KEYS = "query { me { id email } apiKeys { id name } }"
ROTATE = """
mutation Rotate($id: ID!) {
  apiKeyRotate(input: {id: $id, gracePeriodSeconds: 60}) { apiKey { key } }
}
"""


async def test_user_a_cannot_see_or_touch_user_b_keys_or_profile(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    alice = await make_user(app)
    bob = await make_user(app)
    bobs_key = (
        await client.post(
            "/v1/users/me/api-keys", json={"name": "bob's"}, headers=bob.headers
        )
    ).json()["api_key"]

    listed = await client.get("/v1/users/me/api-keys", headers=alice.headers)
    me = await client.get("/v1/users/me", headers=alice.headers)
    deleted = await client.delete(
        f"/v1/users/me/api-keys/{bobs_key['id']}", headers=alice.headers
    )
    rotated = await client.post(
        f"/v1/users/me/api-keys/{bobs_key['id']}/rotate",
        json={"grace_period_seconds": 60},
        headers=alice.headers,
    )
    gql = await graphql(client, KEYS, headers=alice.headers)
    gql_rotate = await graphql(
        client, ROTATE, {"id": bobs_key["id"]}, headers=alice.headers
    )

    assert listed.json()["api_keys"] == []
    assert me.json()["user"]["id"] == alice.id
    assert bob.user.email not in me.text
    assert deleted.status_code == 404
    assert rotated.status_code == 404
    assert gql["data"] == {
        "me": {"id": alice.id, "email": alice.user.email},
        "apiKeys": [],
    }
    assert gql_rotate["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    still = await client.get(
        "/v1/users/me", headers={"Authorization": f"Bearer {bobs_key['key']}"}
    )
    assert still.status_code == 200
    assert still.json()["user"]["id"] == bob.id
