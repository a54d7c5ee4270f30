"""POST /v1/auth/refresh and /v1/auth/logout: rotation, reuse, revocation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import sqlalchemy as sa
from sqlmodel import select
from starlette.applications import Starlette

from models.base import utcnow
from models.user import RefreshFamily, RefreshToken
from tests.auth.factories import bearer, error_code, graphql, sign_up

REFRESH = """
mutation Refresh($token: String!) {
  authRefresh(input: {refreshToken: $token}) { accessToken refreshToken expiresIn }
}
"""


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/v1/auth/refresh", json={"refresh_token": token})


async def test_refresh_returns_a_new_access_token_and_rotates(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    first = account["tokens"]["refresh_token"]

    response = await refresh(client, first)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "expires_in"}
    assert body["expires_in"] == 3600
    assert body["refresh_token"] != first
    me = await client.get("/v1/users/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert (await refresh(client, body["refresh_token"])).status_code == 200


async def test_refresh_tokens_are_opaque_and_stored_only_as_hashes(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = await sign_up(client)
    token = account["tokens"]["refresh_token"]

    async with app.state.parts.db.session() as session:
        hashes = (await session.execute(select(RefreshToken.token_hash))).scalars()
        stored = list(hashes)

    assert token.count(".") == 0
    assert len(token) >= 40
    assert stored
    assert all(token not in value and value != token for value in stored)


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    stolen = account["tokens"]["refresh_token"]
    rotated = (await refresh(client, stolen)).json()["refresh_token"]

    replay = await refresh(client, stolen)
    after = await refresh(client, rotated)

    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "UNAUTHORIZED"
    assert after.status_code == 401


async def test_of_fifty_concurrent_refreshes_of_one_token_exactly_one_succeeds(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    token = account["tokens"]["refresh_token"]

    responses = await asyncio.gather(*(refresh(client, token) for _ in range(50)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 1
    assert statuses.count(401) == 49


async def test_an_expired_refresh_token_is_refused(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = await sign_up(client)
    async with app.state.parts.db.session() as session:
        await session.execute(
            sa.update(RefreshToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()

    response = await refresh(client, account["tokens"]["refresh_token"])

    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


async def test_an_unknown_refresh_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await refresh(client, "hrt_" + "x" * 64)
    missing = await client.post("/v1/auth/refresh", json={})

    assert response.status_code == 401
    assert missing.status_code == 400
    assert missing.json()["error"]["details"]["field"] == "refresh_token"


async def test_logout_answers_the_spec_and_revokes_the_family(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = await sign_up(client)
    token = account["tokens"]["refresh_token"]

    response = await client.post("/v1/auth/logout", json={"refresh_token": token})

    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Logged out successfully"}
    assert (await refresh(client, token)).status_code == 401
    async with app.state.parts.db.session() as session:
        family = (await session.execute(select(RefreshFamily))).scalars().one()
    assert family.revoked_at is not None
    assert family.revoked_reason == "logout"


async def test_logout_revokes_tokens_rotated_from_the_same_login(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    rotated = (await refresh(client, account["tokens"]["refresh_token"])).json()

    await client.post(
        "/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]}
    )

    assert (await refresh(client, rotated["refresh_token"])).status_code == 401


async def test_graphql_refresh_rotates_and_refuses_reuse(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    token = account["tokens"]["refresh_token"]

    first = await graphql(client, REFRESH, {"token": token})
    second = await graphql(client, REFRESH, {"token": token})

    assert first["data"]["authRefresh"]["expiresIn"] == 3600
    assert error_code(second) == "UNAUTHORIZED"
