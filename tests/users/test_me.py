"""GET and PATCH /v1/users/me, and the me / meUpdate GraphQL fields."""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette

from tests.auth.factories import bearer, error_code, graphql, sign_up
from tests.factories import make_user

ME = """
query { me { id email preferences usage { tokensLimit generationsLimit } } }
"""

ME_UPDATE = """
mutation Update($input: MeUpdateInput!) {
  meUpdate(input: $input) { user { name preferences } message }
}
"""


def model_name(app: Starlette) -> str:
    registry = app.state.parts.services.models
    return str(registry.names[0])


async def test_me_answers_the_spec_shape(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    headers = bearer(account["tokens"]["access_token"])

    response = await client.get("/v1/users/me", headers=headers)

    assert response.status_code == 200
    user = response.json()["user"]
    assert set(user) == {
        "id",
        "email",
        "name",
        "avatar",
        "bio",
        "subscription_tier",
        "subscription_status",
        "preferences",
        "usage",
        "created_at",
        "updated_at",
    }
    assert user["subscription_status"] == "active"
    assert set(user["preferences"]) == {
        "default_model",
        "default_tone",
        "email_notifications",
        "theme",
    }
    assert user["usage"] == {
        "tokens_used": 0,
        "tokens_limit": 10_000,
        "generations_count": 0,
        "generations_limit": 100,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", user["updated_at"])


async def test_usage_limits_follow_the_tier(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    handle = await make_user(app, tier="pro")

    body = await graphql(client, ME, headers=handle.headers)

    assert body["data"]["me"]["usage"] == {
        "tokensLimit": 100_000,
        "generationsLimit": 1_000,
    }


async def test_patch_updates_the_profile_and_merges_preferences(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = await sign_up(client)
    headers = bearer(account["tokens"]["access_token"])
    await client.patch(
        "/v1/users/me",
        json={"preferences": {"theme": "dark", "email_notifications": False}},
        headers=headers,
    )

    response = await client.patch(
        "/v1/users/me",
        json={
            "name": "Jane Doe",
            "bio": "Content creator",
            "preferences": {"theme": "light", "default_model": model_name(app)},
        },
        headers=headers,
    )

    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Profile updated successfully"
    assert body["user"]["name"] == "Jane Doe"
    assert body["user"]["bio"] == "Content creator"
    assert body["user"]["preferences"] == {
        "default_model": model_name(app),
        "default_tone": "professional",
        "email_notifications": False,
        "theme": "light",
    }
    again = await client.get("/v1/users/me", headers=headers)
    assert again.json()["user"]["preferences"]["email_notifications"] is False


async def test_patch_refuses_an_unknown_theme(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)

    response = await client.patch(
        "/v1/users/me",
        json={"preferences": {"theme": "neon"}},
        headers=bearer(account["tokens"]["access_token"]),
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["field"] == "preferences.theme"


async def test_patch_refuses_an_unknown_model(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)

    response = await client.patch(
        "/v1/users/me",
        json={"preferences": {"default_model": "gpt-99-imaginary"}},
        headers=bearer(account["tokens"]["access_token"]),
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == ("preferences.default_model")


async def test_patch_refuses_an_unknown_preference_and_a_bad_name(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    headers = bearer(account["tokens"]["access_token"])

    unknown = await client.patch(
        "/v1/users/me", json={"preferences": {"font": "comic"}}, headers=headers
    )
    blank = await client.patch("/v1/users/me", json={"name": "   "}, headers=headers)
    tone = await client.patch(
        "/v1/users/me", json={"preferences": {"default_tone": 5}}, headers=headers
    )

    assert unknown.json()["error"]["details"]["field"] == "preferences.font"
    assert blank.json()["error"]["details"]["field"] == "name"
    assert tone.json()["error"]["details"]["field"] == "preferences.default_tone"


async def test_graphql_me_update_validates_like_rest(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    handle = await make_user(app)

    ok = await graphql(
        client,
        ME_UPDATE,
        {"input": {"name": "Graph", "preferences": {"default_tone": "casual"}}},
        headers=handle.headers,
    )
    bad = await graphql(
        client,
        ME_UPDATE,
        {"input": {"preferences": {"theme": "neon"}}},
        headers=handle.headers,
    )

    assert ok["data"]["meUpdate"]["user"]["name"] == "Graph"
    assert ok["data"]["meUpdate"]["user"]["preferences"]["default_tone"] == "casual"
    assert error_code(bad) == "VALIDATION_ERROR"
    assert bad["errors"][0]["extensions"]["details"]["field"] == "preferences.theme"


async def test_me_needs_a_credential(client: httpx.AsyncClient) -> None:
    rest = await client.get("/v1/users/me")
    gql = await graphql(client, ME)

    assert rest.status_code == 401
    assert error_code(gql) == "UNAUTHORIZED"
