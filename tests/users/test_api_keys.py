"""API keys: create (shown once), list (masked), permissions, expiry,
deletion, rotation with a grace period."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import sqlalchemy as sa
from sqlmodel import select
from starlette.applications import Starlette

from models.base import isoformat, utcnow
from models.user import ApiKey
from tests.auth.factories import bearer, error_code, graphql
from tests.factories import UserHandle, make_user

ME_UPDATE = """
mutation { meUpdate(input: {name: "Changed"}) { message } }
"""
ROTATE = """
mutation Rotate($id: ID!, $grace: Int!) {
  apiKeyRotate(input: {id: $id, gracePeriodSeconds: $grace}) {
    apiKey { id key previousValidUntil }
  }
}
"""


async def create_key(
    client: httpx.AsyncClient, owner: UserHandle, **body: object
) -> httpx.Response:
    payload = {"name": "Development Key", **body}
    return await client.post(
        "/v1/users/me/api-keys", json=payload, headers=owner.headers
    )


async def test_create_shows_the_full_key_once_with_the_spec_warning(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    owner = await make_user(app)
    expires = isoformat(utcnow() + timedelta(days=30))

    response = await create_key(
        client, owner, permissions=["read", "write"], expires_at=expires
    )

    assert response.status_code == 201
    body = response.json()
    assert body["warning"] == "Store this key securely. It won't be shown again."
    key = body["api_key"]
    assert {"id", "name", "key", "permissions", "expires_at"} <= set(key)
    assert key["id"].startswith("key_")
    assert re.fullmatch(r"hv_[A-Za-z0-9_\-]{32,}", key["key"])
    assert key["permissions"] == ["read", "write"]
    assert key["expires_at"] == expires
    async with app.state.parts.db.session() as session:
        row = await session.get(ApiKey, key["id"])
    assert row is not None
    assert key["key"] not in (row.key_hash, row.key_prefix)
    assert len(row.key_prefix) < 16


async def test_list_masks_keys_and_shows_last_4(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    owner = await make_user(app)
    secret = (await create_key(client, owner)).json()["api_key"]["key"]

    response = await client.get("/v1/users/me/api-keys", headers=owner.headers)

    assert response.status_code == 200
    [listed] = response.json()["api_keys"]
    assert {
        "id",
        "name",
        "key",
        "last_4",
        "permissions",
        "last_used",
        "created_at",
    } <= set(listed)
    assert listed["last_4"] == secret[-4:]
    assert listed["key"] != secret
    assert listed["key"].endswith("..." + secret[-4:])
    assert listed["key"].startswith("hv_")
    assert secret not in response.text


async def test_a_key_authenticates_and_records_last_used(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    owner = await make_user(app)
    secret = (await create_key(client, owner)).json()["api_key"]["key"]

    me = await client.get("/v1/users/me", headers=bearer(secret))
    gql = await graphql(client, "query { me { id } }", headers=bearer(secret))
    listed = await client.get("/v1/users/me/api-keys", headers=owner.headers)

    assert me.status_code == 200
    assert me.json()["user"]["id"] == owner.id
    assert gql["data"]["me"]["id"] == owner.id
    assert listed.json()["api_keys"][0]["last_used"] is not None


async def test_a_read_only_key_cannot_mutate_on_rest_or_graphql(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    owner = await make_user(app)
    secret = (await create_key(client, owner, permissions=["read"])).json()["api_key"][
        "key"
    ]
    headers = bearer(secret)

    read = await client.get("/v1/users/me", headers=headers)
    patch = await client.patch("/v1/users/me", json={"name": "X"}, headers=headers)
    make = await client.post(
        "/v1/users/me/api-keys", json={"name": "escalate"}, headers=headers
    )
    gql = await graphql(client, ME_UPDATE, headers=headers)

    assert read.status_code == 200
    assert patch.status_code == 403
    assert patch.json()["error"]["code"] == "FORBIDDEN"
    assert make.status_code == 403
    assert error_code(gql) == "FORBIDDEN"


async def test_an_expired_key_is_refused(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    owner = await make_user(app)
    created = (await create_key(client, owner)).json()["api_key"]
    async with app.state.parts.db.session() as session:
        await session.execute(
            sa.update(ApiKey)
            .where(ApiKey.id == created["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()

    response = await client.get("/v1/users/me", headers=bearer(created["key"]))

    assert response.status_code == 401


async def test_create_refuses_bad_input(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    owner = await make_user(app)

    past = await create_key(client, owner, expires_at="2020-01-01T00:00:00Z")
    unknown = await create_key(client, owner, permissions=["admin"])
    empty = await create_key(client, owner, permissions=[])
    nameless = await client.post(
        "/v1/users/me/api-keys", json={"name": " "}, headers=owner.headers
    )

    assert past.json()["error"]["details"]["field"] == "expires_at"
    assert unknown.status_code == 400
    assert unknown.json()["error"]["details"]["field"].startswith("permissions")
    assert empty.json()["error"]["details"]["field"] == "permissions"
    assert nameless.json()["error"]["details"]["field"] == "name"


async def test_a_deleted_key_stops_working_at_once(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    owner = await make_user(app)
    created = (await create_key(client, owner)).json()["api_key"]
    assert (
        await client.get("/v1/users/me", headers=bearer(created["key"]))
    ).status_code == 200

    deleted = await client.delete(
        f"/v1/users/me/api-keys/{created['id']}", headers=owner.headers
    )
    after = await client.get("/v1/users/me", headers=bearer(created["key"]))

    assert deleted.status_code == 200
    assert deleted.json() == {
        "success": True,
        "message": "API key deleted successfully",
    }
    assert after.status_code == 401


async def test_rotation_keeps_the_old_secret_for_the_grace_period(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    owner = await make_user(app)
    created = (await create_key(client, owner)).json()["api_key"]

    rotated = await client.post(
        f"/v1/users/me/api-keys/{created['id']}/rotate",
        json={"grace_period_seconds": 3600},
        headers=owner.headers,
    )

    new = rotated.json()["api_key"]
    assert rotated.status_code == 200
    assert new["id"] == created["id"]
    assert new["key"] != created["key"]
    assert new["previous_valid_until"] is not None
    for secret in (created["key"], new["key"]):
        me = await client.get("/v1/users/me", headers=bearer(secret))
        assert me.status_code == 200
    async with app.state.parts.db.session() as session:
        await session.execute(
            sa.update(ApiKey).values(
                previous_valid_until=utcnow() - timedelta(seconds=1)
            )
        )
        await session.commit()
    old = await client.get("/v1/users/me", headers=bearer(created["key"]))
    assert old.status_code == 401
    assert (
        await client.get("/v1/users/me", headers=bearer(new["key"]))
    ).status_code == 200


async def test_rotation_without_grace_stops_the_old_secret_at_once(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    owner = await make_user(app)
    created = (await create_key(client, owner)).json()["api_key"]

    body = await graphql(
        client, ROTATE, {"id": created["id"], "grace": 0}, headers=owner.headers
    )

    new = body["data"]["apiKeyRotate"]["apiKey"]
    assert new["previousValidUntil"] is None
    assert (
        await client.get("/v1/users/me", headers=bearer(created["key"]))
    ).status_code == 401
    assert (
        await client.get("/v1/users/me", headers=bearer(new["key"]))
    ).status_code == 200


async def test_rotation_refuses_a_grace_period_over_seven_days(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    owner = await make_user(app)
    created = (await create_key(client, owner)).json()["api_key"]

    body = await graphql(
        client,
        ROTATE,
        {"id": created["id"], "grace": 7 * 86400 + 1},
        headers=owner.headers,
    )

    assert error_code(body) == "VALIDATION_ERROR"
    assert body["errors"][0]["extensions"]["details"]["field"] == (
        "grace_period_seconds"
    )


async def test_only_hashes_of_keys_are_stored(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    owner = await make_user(app)
    secret = (await create_key(client, owner)).json()["api_key"]["key"]

    async with app.state.parts.db.session() as session:
        row = (await session.execute(select(ApiKey))).scalars().one()

    stored = " ".join(str(v) for v in row.model_dump().values())
    assert secret not in stored
    assert secret[10:-4] not in stored
