"""Access tokens: anything but a well-formed, unexpired, HS256 access token
signed by this server is UNAUTHORIZED, on REST and on GraphQL."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from starlette.applications import Starlette

from models.base import utcnow
from tests.auth.factories import bearer, error_code, graphql, sign_up
from tests.factories import make_user

ME = "query { me { id } }"


def claims_for(user_id: str, **changes: Any) -> dict[str, Any]:
    now = int(utcnow().timestamp())
    claims: dict[str, Any] = {
        "iss": "harvest",
        "aud": "harvest-api",
        "sub": user_id,
        "iat": now,
        "exp": now + 3600,
        "jti": "jti_test",
        "typ": "access",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def alg_none(secret: str, user_id: str) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims_for(user_id))}."


def tampered(secret: str, user_id: str) -> str:
    token = jwt.encode(claims_for(user_id), secret, algorithm="HS256")
    head, _, signature = token.rpartition(".")
    payload = claims_for(user_id, sub="usr_someoneelse")
    return f"{head.split('.')[0]}.{_b64(payload)}.{signature}"


def other_algorithm(secret: str, user_id: str) -> str:
    return jwt.encode(claims_for(user_id), secret, algorithm="HS512")


def other_key(secret: str, user_id: str) -> str:
    return jwt.encode(claims_for(user_id), "another-secret" * 4, algorithm="HS256")


def expired(secret: str, user_id: str) -> str:
    now = int(utcnow().timestamp())
    claims = claims_for(user_id, iat=now - 7200, exp=now - 3600)
    return jwt.encode(claims, secret, algorithm="HS256")


def wrong_audience(secret: str, user_id: str) -> str:
    return jwt.encode(claims_for(user_id, aud="someone-else"), secret, "HS256")


def wrong_issuer(secret: str, user_id: str) -> str:
    return jwt.encode(claims_for(user_id, iss="evil"), secret, "HS256")


def not_an_access_token(secret: str, user_id: str) -> str:
    return jwt.encode(claims_for(user_id, typ="refresh"), secret, "HS256")


def without_jti(secret: str, user_id: str) -> str:
    return jwt.encode(claims_for(user_id, jti=None), secret, "HS256")


def with_header(key: str) -> Callable[[str, str], str]:
    def make(secret: str, user_id: str) -> str:
        return jwt.encode(
            claims_for(user_id), secret, "HS256", headers={key: "attacker"}
        )

    return make


FORGERIES: dict[str, Callable[[str, str], str]] = {
    "alg_none": alg_none,
    "tampered_payload": tampered,
    "hs512": other_algorithm,
    "other_key": other_key,
    "expired": expired,
    "wrong_audience": wrong_audience,
    "wrong_issuer": wrong_issuer,
    "typ_refresh": not_an_access_token,
    "no_jti": without_jti,
    "kid_header": with_header("kid"),
    "jku_header": with_header("jku"),
    "x5u_header": with_header("x5u"),
    "jwk_header": with_header("jwk"),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
async def test_forged_or_stale_access_token_is_refused_on_rest_and_graphql(
    client: httpx.AsyncClient, app: Starlette, forgery: str
) -> None:
    handle = await make_user(app)
    token = FORGERIES[forgery](app.state.parts.config.secret_key, handle.id)

    rest = await client.get("/v1/users/me", headers=bearer(token))
    gql = await graphql(client, ME, headers=bearer(token))

    assert rest.status_code == 401
    assert rest.json()["error"]["code"] == "UNAUTHORIZED"
    assert error_code(gql) == "UNAUTHORIZED"
    assert gql.get("data") is None or gql["data"].get("me") is None


async def test_expired_token_says_to_refresh(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    handle = await make_user(app)
    token = expired(app.state.parts.config.secret_key, handle.id)

    response = await client.get("/v1/users/me", headers=bearer(token))

    assert "refresh" in response.json()["error"]["message"].lower()


async def test_a_genuine_token_is_accepted(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    handle = await make_user(app)
    token = jwt.encode(
        claims_for(handle.id), app.state.parts.config.secret_key, "HS256"
    )

    response = await client.get("/v1/users/me", headers=bearer(token))

    assert response.status_code == 200


async def test_missing_credentials_are_unauthorized(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/users/me")

    assert response.status_code == 401


async def test_access_token_carries_the_fixed_claims(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    token = account["tokens"]["access_token"]

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})

    assert header["alg"] == "HS256"
    assert {"exp", "iat", "iss", "aud", "sub", "jti"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["sub"] == account["user"]["id"]


async def test_revoking_sessions_refuses_tokens_issued_just_before_but_not_after(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    from models.user import User
    from resolvers.auth_tokens import issue_access_token, revoke_user_sessions

    handle = await make_user(app)
    parts = app.state.parts
    async with parts.db.session() as session:
        user = await session.get(User, handle.id)
        assert user is not None
        await revoke_user_sessions(session, user=user, reason="test")
        await session.commit()
        await session.refresh(user)
        fresh, _ = issue_access_token(parts.config, user)

    before = await client.get("/v1/users/me", headers=handle.headers)
    after = await client.get("/v1/users/me", headers=bearer(fresh))

    assert before.status_code == 401
    assert after.status_code == 200
