"""POST /v1/auth/signup and authSignup."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from models.user import User
from tests.auth.factories import PASSWORD, bearer, error_code, graphql, unique_email

SIGNUP = """
mutation Signup($input: AuthSignupInput!) {
  authSignup(input: $input) {
    user { id email avatar subscriptionTier }
    tokens { accessToken refreshToken expiresIn }
  }
}
"""


async def test_signup_answers_201_with_the_spec_shape(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()

    response = await client.post(
        "/v1/auth/signup",
        json={
            "email": email,
            "password": PASSWORD,
            "name": "John Doe",
            "referral_code": "FRIEND2024",
            "marketing_consent": True,
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"user", "tokens"}
    user = body["user"]
    assert set(user) == {
        "id",
        "email",
        "name",
        "avatar",
        "subscription_tier",
        "created_at",
    }
    assert user["id"].startswith("usr_")
    assert user["email"] == email
    assert user["name"] == "John Doe"
    assert user["avatar"] == (
        f"https://api.dicebear.com/7.x/avataaars/svg?seed={email}"
    )
    assert user["subscription_tier"] == "free"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", user["created_at"])
    tokens = body["tokens"]
    assert set(tokens) == {"access_token", "refresh_token", "expires_in"}
    assert tokens["expires_in"] == 3600
    me = await client.get("/v1/users/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["user"]["id"] == user["id"]


async def test_signup_stores_normalised_email_and_argon2id_hash(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    local = unique_email().split("@")[0]

    response = await client.post(
        "/v1/auth/signup",
        json={"email": f"  {local.upper()}@EXAMPLE.COM ", "password": PASSWORD},
    )

    assert response.status_code == 201
    assert response.json()["user"]["email"] == f"{local}@example.com"
    async with app.state.parts.db.session() as session:
        row = (
            await session.execute(
                select(User).where(User.email == f"{local}@example.com")
            )
        ).scalar_one()
    assert row.password_hash is not None
    assert PASSWORD not in row.password_hash
    params = dict(
        part.split("=") for part in row.password_hash.split("$")[3].split(",")
    )
    assert row.password_hash.startswith("$argon2id$")
    assert int(params["m"]) >= 19 * 1024
    assert int(params["t"]) >= 2


async def test_cannot_sign_up_twice_with_one_email_in_any_case(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()
    first = await client.post(
        "/v1/auth/signup", json={"email": email, "password": PASSWORD}
    )

    second = await client.post(
        "/v1/auth/signup", json={"email": email.upper(), "password": PASSWORD}
    )

    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "CONFLICT"
    assert second.json()["error"]["details"]["field"] == "email"


async def test_signup_refuses_a_malformed_email(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/auth/signup", json={"email": "not-an-email", "password": PASSWORD}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["field"] == "email"
    assert error["details"]["reason"]


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Ab1!", "too_short"),
        ("onlyletterspassword", "too_simple"),
        ("password123", "too_common"),
        ("x" * 129 + "1", "too_long"),
    ],
)
async def test_signup_refuses_a_weak_password_naming_the_field(
    client: httpx.AsyncClient, password: str, reason: str
) -> None:
    response = await client.post(
        "/v1/auth/signup", json={"email": unique_email(), "password": password}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["field"] == "password"
    assert error["details"]["reason"] == reason


async def test_signup_refuses_a_missing_password(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/auth/signup", json={"email": unique_email()})

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "password"


async def test_graphql_signup_returns_user_and_tokens(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()

    body = await graphql(
        client, SIGNUP, {"input": {"email": email, "password": PASSWORD}}
    )

    payload = body["data"]["authSignup"]
    assert payload["user"]["email"] == email
    assert payload["user"]["subscriptionTier"] == "free"
    assert payload["tokens"]["expiresIn"] == 3600


async def test_graphql_signup_conflict_is_reported_in_extensions(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()
    await graphql(client, SIGNUP, {"input": {"email": email, "password": PASSWORD}})

    body = await graphql(
        client, SIGNUP, {"input": {"email": email, "password": PASSWORD}}
    )

    assert error_code(body) == "CONFLICT"
