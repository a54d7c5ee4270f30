"""Access tokens: signed JWTs with one fixed algorithm, and bearer resolution.

An access token carries ``iss``, ``aud``, ``sub``, ``iat``, ``exp``, ``jti`` and
``typ=access``; anything else (another algorithm, ``none``, a bad signature,
expiry, a wrong audience or issuer) is UNAUTHORIZED.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from datetime import timedelta

import jwt
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, or_, select

from models.base import new_id, utcnow
from models.user import ApiKey, RefreshFamily, RefreshToken, User
from resolvers.context import AppConfig, Principal
from resolvers.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "harvest"
AUDIENCE = "harvest-api"
ACCESS_TOKEN_SECONDS = 3600
API_KEY_PREFIX = "hv_"
LAST_USED_GRANULARITY = timedelta(minutes=5)
REFRESH_PREFIX = "hrt_"
REFRESH_LIFETIME = timedelta(days=7)
REMEMBER_ME_LIFETIME = timedelta(days=30)

logger = logging.getLogger(__name__)


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
        "iat_us": int(now.timestamp() * 1_000_000),
        "tier": user.subscription_tier,
    }
    token = jwt.encode(
        claims, config.secret_key, algorithm=ALGORITHM, headers={"typ": "JWT"}
    )
    return token, jti


#: Access tokens already verified, with their claims, until they expire:
#: a request is checked by the rate limiter and by authentication, and a
#: client sends the same token many times. Only the signature and claim
#: checks are remembered; whether the token was revoked since is decided by
#: the database on every request (``authenticate_bearer``).
VERIFIED_CACHE_SIZE = 4096
_verified: OrderedDict[tuple[str, str], dict[str, object]] = OrderedDict()


def decode_access_token(config: AppConfig, token: str) -> dict[str, object]:
    """Verify ``token`` and return its claims, or raise UNAUTHORIZED."""
    key = (config.secret_key, token)
    known = _verified.get(key)
    if known is not None:
        expires = known.get("exp")
        if isinstance(expires, int | float) and time.time() < expires:
            return dict(known)
        _verified.pop(key, None)
    claims = _verify_access_token(config, token)
    _verified[key] = dict(claims)
    if len(_verified) > VERIFIED_CACHE_SIZE:
        _verified.popitem(last=False)
    return claims


def _verify_access_token(config: AppConfig, token: str) -> dict[str, object]:
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
    if _issued_before_revocation(user, claims):
        raise Unauthorized("Access token revoked: log in again")
    return Principal(
        user_id=user.id,
        tier=user.subscription_tier,
        kind="user",
        token_id=str(claims["jti"]),
    )


def _issued_before_revocation(user: User, claims: dict[str, object]) -> bool:
    """True for a token issued before the user's sessions were revoked; the
    microsecond claim keeps a token issued just after a reset valid."""
    if user.tokens_valid_after is None:
        return False
    issued_us = claims.get("iat_us")
    if not isinstance(issued_us, int):
        issued_at = claims.get("iat")
        if not isinstance(issued_at, int):
            return True
        issued_us = issued_at * 1_000_000
    return issued_us < int(user.tokens_valid_after.timestamp() * 1_000_000)


def new_refresh_secret() -> str:
    """A fresh opaque refresh token; only its keyed hash is stored."""
    return REFRESH_PREFIX + secrets.token_urlsafe(48)


def refresh_lifetime(remember_me: bool) -> timedelta:
    return REMEMBER_ME_LIFETIME if remember_me else REFRESH_LIFETIME


async def start_refresh_family(
    session: AsyncSession, *, config: AppConfig, user_id: str, remember_me: bool
) -> str:
    """Open a login session and return its first refresh token (caller commits)."""
    expires_at = utcnow() + refresh_lifetime(remember_me)
    family = RefreshFamily(
        user_id=user_id, remember_me=remember_me, expires_at=expires_at
    )
    secret = new_refresh_secret()
    session.add(family)
    await session.flush()
    session.add(
        RefreshToken(
            family_id=family.id,
            token_hash=hash_secret(config, secret),
            expires_at=expires_at,
        )
    )
    return secret


async def rotate_refresh_token(
    session: AsyncSession, *, config: AppConfig, secret: str
) -> tuple[User, str]:
    """Spend a refresh token: returns its user and the token that replaces it.

    A token that was already spent is a sign of theft: the whole family is
    revoked, so neither the thief nor the owner can keep using it. The spend is
    a conditional UPDATE, so of concurrent attempts exactly one wins.
    """
    row = await _find_refresh_token(session, config=config, secret=secret)
    if row is None:
        raise Unauthorized("Invalid refresh token: log in again")
    token, family = row
    token_id, family_id, user_id = token.id, family.id, family.user_id
    remember_me = family.remember_me
    now = utcnow()
    if family.revoked_at is not None:
        raise Unauthorized("Refresh token revoked: log in again")
    if token.rotated_at is not None:
        await _revoke_reused_family(session, family_id=family_id)
    if token.expires_at <= now:
        raise Unauthorized("Refresh token expired: log in again")

    spent = await session.execute(
        sa.update(RefreshToken)
        .where(col(RefreshToken.id) == token_id, col(RefreshToken.rotated_at).is_(None))
        .values(rotated_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        await _revoke_reused_family(session, family_id=family_id)
    user = await session.get(User, user_id)
    if user is None or user.deletion_scheduled_at is not None:
        await session.rollback()
        raise Unauthorized("Invalid refresh token: log in again")

    replacement = new_refresh_secret()
    expires_at = now + refresh_lifetime(remember_me)
    session.add(
        RefreshToken(
            family_id=family_id,
            token_hash=hash_secret(config, replacement),
            expires_at=expires_at,
        )
    )
    await session.execute(
        sa.update(RefreshFamily)
        .where(col(RefreshFamily.id) == family_id)
        .values(expires_at=expires_at)
    )
    await session.commit()
    return user, replacement


async def revoke_refresh_family(
    session: AsyncSession, *, config: AppConfig, secret: str
) -> bool:
    """Revoke the session ``secret`` belongs to; False for an unknown token."""
    row = await _find_refresh_token(session, config=config, secret=secret)
    if row is None:
        return False
    await _revoke_families(
        session, where=col(RefreshFamily.id) == row[1].id, reason="logout"
    )
    await session.commit()
    return True


async def revoke_user_sessions(
    session: AsyncSession, *, user: User, reason: str
) -> None:
    """Revoke every refresh family of ``user`` and the access tokens issued
    before now (caller commits)."""
    await _revoke_families(
        session, where=col(RefreshFamily.user_id) == user.id, reason=reason
    )
    user.tokens_valid_after = utcnow()
    session.add(user)


async def _find_refresh_token(
    session: AsyncSession, *, config: AppConfig, secret: str
) -> tuple[RefreshToken, RefreshFamily] | None:
    if not secret.startswith(REFRESH_PREFIX):
        return None
    result = await session.execute(
        select(RefreshToken, RefreshFamily)
        .join(RefreshFamily, col(RefreshFamily.id) == col(RefreshToken.family_id))
        .where(col(RefreshToken.token_hash) == hash_secret(config, secret))
    )
    row = result.first()
    return None if row is None else (row[0], row[1])


async def _revoke_reused_family(session: AsyncSession, *, family_id: str) -> None:
    await _revoke_families(
        session, where=col(RefreshFamily.id) == family_id, reason="reuse"
    )
    await session.commit()
    logger.warning("refresh token reused; family revoked", extra={"family": family_id})
    raise Unauthorized("Refresh token already used: this session is now revoked")


async def _revoke_families(
    session: AsyncSession, *, where: sa.ColumnElement[bool], reason: str
) -> None:
    await session.execute(
        sa.update(RefreshFamily)
        .where(where, col(RefreshFamily.revoked_at).is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
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
