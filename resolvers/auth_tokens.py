"""Access tokens: signed JWTs with one fixed algorithm, and bearer resolution.

An access token carries ``iss``, ``aud``, ``sub``, ``iat``, ``exp``, ``jti`` and
``typ=access``; anything else (another algorithm, ``none``, a bad signature,
expiry, a wrong audience or issuer) is UNAUTHORIZED.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import jwt
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, or_, select

from models.base import new_id, utcnow
from models.user import ApiKey, User
from resolvers.context import AppConfig, Principal
from resolvers.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "harvest"
AUDIENCE = "harvest-api"
ACCESS_TOKEN_SECONDS = 3600
API_KEY_PREFIX = "hv_"
LAST_USED_GRANULARITY = timedelta(minutes=5)


class TokenExpired(Unauthorized):
    """An access token that was valid but is past its ``exp``."""

    default_message = "Access token expired: refresh it with POST /v1/auth/refresh"


def issue_access_token(config: AppConfig, user: User) -> tuple[str, str]:
    """Sign an access token for ``user``; returns the token and its ``jti``."""
    now = utcnow()
    jti = new_id("jti", 20)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user.id,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ACCESS_TOKEN_SECONDS)).timestamp()),
        "jti": jti,
        "typ": "access",
        "tier": user.subscription_tier,
    }
    token = jwt.encode(
        claims, config.secret_key, algorithm=ALGORITHM, headers={"typ": "JWT"}
    )
    return token, jti


def decode_access_token(config: AppConfig, token: str) -> dict[str, object]:
    """Verify ``token`` and return its claims, or raise UNAUTHORIZED."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthorized("Invalid access token") from exc
    if header.get("alg") != ALGORITHM or set(header) - {"alg", "typ"}:
        raise Unauthorized("Invalid access token")
    try:
        claims = jwt.decode(
            token,
            config.secret_key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired() from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("Invalid access token") from exc
    if claims.get("typ") != "access":
        raise Unauthorized("Invalid access token")
    return claims


def hash_secret(config: AppConfig, value: str) -> str:
    """A keyed hash for stored secrets (API keys, refresh and reset tokens)."""
    return hmac.new(
        config.secret_key.encode(), value.encode(), hashlib.sha256
    ).hexdigest()


def new_api_key_secret() -> str:
    """A fresh API key: ``hv_`` and 40 random URL-safe characters."""
    return API_KEY_PREFIX + secrets.token_urlsafe(30)


async def authenticate_bearer(
    session: AsyncSession, *, config: AppConfig, token: str
) -> Principal:
    """Resolve a bearer credential (access token or API key) to a principal."""
    if token.startswith(API_KEY_PREFIX):
        return await _authenticate_api_key(session, config=config, secret=token)
    claims = decode_access_token(config, token)
    user = await session.get(User, str(claims["sub"]))
    if user is None or user.deletion_scheduled_at is not None:
        raise Unauthorized("Invalid access token")
    return Principal(
        user_id=user.id,
        tier=user.subscription_tier,
        kind="user",
        token_id=str(claims["jti"]),
    )


async def _authenticate_api_key(
    session: AsyncSession, *, config: AppConfig, secret: str
) -> Principal:
    digest = hash_secret(config, secret)
    now = utcnow()
    result = await session.execute(
        select(ApiKey, User)
        .join(User, col(User.id) == col(ApiKey.user_id))
        .where(
            or_(col(ApiKey.key_hash) == digest, col(ApiKey.previous_key_hash) == digest)
        )
    )
    row = result.first()
    if row is None:
        raise Unauthorized("Invalid API key")
    key, user = row
    if key.key_hash != digest and (
        key.previous_valid_until is None or key.previous_valid_until <= now
    ):
        raise Unauthorized("Invalid API key")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthorized("API key expired: create a new one")
    if user.deletion_scheduled_at is not None:
        raise Unauthorized("Invalid API key")
    if key.last_used is None or now - key.last_used > LAST_USED_GRANULARITY:
        # Recorded at a coarse granularity, so most requests write nothing.
        key.last_used = now
        session.add(key)
        await session.commit()
    return Principal(
        user_id=user.id,
        tier=user.subscription_tier,
        kind="api_key",
        api_key_id=key.id,
        permissions=frozenset(key.permissions),
    )
