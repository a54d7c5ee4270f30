"""Verified access tokens are remembered (a request checks its token twice,
and clients resend it), but never past their expiry, and never in place of
the revocation check, which reads the database on every request."""

from __future__ import annotations

import asyncio
import time

import httpx
import jwt
from sqlmodel import select
from starlette.applications import Starlette

from models.base import utcnow
from models.user import User
from resolvers.auth_tokens import ALGORITHM, AUDIENCE, ISSUER
from tests.factories import make_user


def short_lived_token(secret: str, user_id: str, seconds: int) -> tuple[str, int]:
    now = int(time.time())
    expires = now + seconds
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user_id,
        "iat": now,
        "nbf": now,
        "exp": expires,
        "jti": f"jti_cachetest{now}",
        "typ": "access",
        "iat_us": int(time.time() * 1_000_000),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


async def test_a_remembered_token_is_refused_once_it_expires(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    token, expires = short_lived_token(app.state.settings.secret_key, user.id, 2)
    headers = {"Authorization": f"Bearer {token}"}

    assert (await client.get("/v1/users/me", headers=headers)).status_code == 200
    assert (await client.get("/v1/users/me", headers=headers)).status_code == 200
    deadline = time.monotonic() + 30
    while time.time() <= expires + 0.05:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)

    late = await client.get("/v1/users/me", headers=headers)
    assert late.status_code == 401
    assert late.json()["error"]["code"] == "UNAUTHORIZED"


async def test_a_remembered_token_is_refused_at_once_after_revocation(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    assert (await client.get("/v1/users/me", headers=user.headers)).status_code == 200

    async with app.state.parts.db.session() as session:
        stored = (await session.execute(select(User).where(User.id == user.id))).one()
        stored[0].tokens_valid_after = utcnow()
        session.add(stored[0])
        await session.commit()

    again = await client.get("/v1/users/me", headers=user.headers)
    assert again.status_code == 401
