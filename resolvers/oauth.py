"""Signing in through an OAuth 2 provider.

The start hands the browser a signed cookie holding the state and the PKCE
verifier; the callback accepts only a state that matches the cookie of the
same browser, so a forged or replayed callback link is refused. The user is
found by their identity at the provider, else linked by verified email, else
created; the app then receives the tokens in the URL fragment.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import jwt
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import utcnow
from models.user import OAuthIdentity, User
from resolvers.auth import (
    clean_name,
    default_avatar,
    find_user_by_email,
    normalize_email,
    open_session,
)
from resolvers.auth_tokens import ALGORITHM, ISSUER
from resolvers.context import RequestContext
from resolvers.errors import Forbidden, NotFound, ServiceUnavailable, ValidationFailed
from resolvers.ports import OAuthProfile, OAuthProvider

PROVIDERS = ("google", "github", "microsoft", "linkedin")
STATE_COOKIE = "harvest_oauth"
STATE_AUDIENCE = "harvest-oauth-state"
STATE_LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True)
class OAuthStart:
    """Where to send the browser, and the cookie that binds the state to it."""

    redirect_url: str
    cookie_value: str
    max_age: int = int(STATE_LIFETIME.total_seconds())


def provider_for(ctx: RequestContext, name: str) -> OAuthProvider:
    """The configured provider ``name``; unknown is NOT_FOUND, unconfigured 503."""
    if name not in PROVIDERS:
        raise NotFound(
            f"Unknown OAuth provider '{name}': use one of {', '.join(PROVIDERS)}",
            details={"provider": name},
        )
    provider = ctx.services.oauth.get(name)
    if provider is None:
        upper = name.upper()
        raise ServiceUnavailable(
            f"Sign-in with {name} is not configured on this server: set "
            f"HARVEST_OAUTH_{upper}_CLIENT_ID and HARVEST_OAUTH_{upper}_CLIENT_SECRET",
            details={"provider": name, "reason": "not_configured"},
        )
    return provider


def callback_url(ctx: RequestContext, provider: str) -> str:
    return f"{ctx.config.public_url}/v1/auth/oauth/{provider}/callback"


def begin_oauth(*, ctx: RequestContext, provider: str) -> OAuthStart:
    """The provider's consent URL and the state cookie for this browser."""
    client = provider_for(ctx, provider)
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    now = utcnow()
    cookie = jwt.encode(
        {
            "iss": ISSUER,
            "aud": STATE_AUDIENCE,
            "typ": "oauth_state",
            "iat": int(now.timestamp()),
            "exp": int((now + STATE_LIFETIME).timestamp()),
            "prv": provider,
            "st": state,
            "cv": verifier,
        },
        ctx.config.secret_key,
        algorithm=ALGORITHM,
    )
    url = client.authorization_url(
        redirect_uri=callback_url(ctx, provider), state=state, code_verifier=verifier
    )
    return OAuthStart(redirect_url=url, cookie_value=cookie)


def _checked_verifier(
    ctx: RequestContext, *, provider: str, state: str | None, cookie: str | None
) -> str:
    """The PKCE verifier, once the returned state matches this browser's cookie."""
    refused = ValidationFailed(
        "OAuth state does not match this browser's sign-in: start again at "
        f"/v1/auth/oauth/{provider}",
        field="state",
        reason="state_mismatch",
    )
    if not state or not cookie:
        raise refused
    try:
        claims = jwt.decode(
            cookie,
            ctx.config.secret_key,
            algorithms=[ALGORITHM],
            audience=STATE_AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "aud", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise refused from exc
    same_state = hmac.compare_digest(str(claims.get("st", "")), state)
    if claims.get("typ") != "oauth_state" or claims.get("prv") != provider:
        raise refused
    if not same_state:
        raise refused
    return str(claims["cv"])


async def complete_oauth(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    provider: str,
    code: str | None,
    state: str | None,
    cookie: str | None,
    error: str | None = None,
) -> str:
    """Finish a sign-in; returns the app URL carrying tokens in its fragment."""
    client = provider_for(ctx, provider)
    verifier = _checked_verifier(ctx, provider=provider, state=state, cookie=cookie)
    if error:
        raise Forbidden(
            "Sign-in was not granted at the provider",
            details={"provider": provider, "reason": error[:100]},
        )
    if not code:
        raise ValidationFailed(field="code", reason="the provider sent no code")
    profile = await client.fetch_profile(
        redirect_uri=callback_url(ctx, provider), code=code, code_verifier=verifier
    )

    user = await _link_or_create(session, provider=provider, profile=profile)
    signed_in = await open_session(session, ctx=ctx, user=user, remember_me=False)
    fragment = urlencode(
        {
            "access_token": signed_in.access_token,
            "refresh_token": signed_in.refresh_token,
            "expires_in": signed_in.expires_in,
            "token_type": "Bearer",
        }
    )
    return f"{app_callback_url(ctx)}#{fragment}"


def app_callback_url(ctx: RequestContext) -> str:
    """The app page that receives the tokens: ``<app url>/auth/callback``."""
    base = (ctx.config.app_url or ctx.config.public_url).rstrip("/")
    return base + "/auth/callback"


async def _link_or_create(
    session: AsyncSession, *, provider: str, profile: OAuthProfile
) -> User:
    result = await session.execute(
        select(OAuthIdentity).where(
            col(OAuthIdentity.provider) == provider,
            col(OAuthIdentity.subject) == profile.subject,
        )
    )
    identity = result.scalars().first()
    if identity is not None:
        user = await session.get(User, identity.user_id)
        if user is not None:
            return user
    if not profile.email or not profile.email_verified:
        raise Forbidden(
            f"Your {provider} account has no verified email address: verify one "
            "there, or sign up with a password",
            details={"provider": provider, "reason": "email_not_verified"},
        )

    email = normalize_email(profile.email)
    user = await find_user_by_email(session, email)
    try:
        if user is None:
            user = User(
                email=email,
                name=clean_name(profile.name[:200]),
                avatar=profile.avatar or default_avatar(email),
            )
            session.add(user)
            await session.flush()
        session.add(
            OAuthIdentity(
                user_id=user.id, provider=provider, subject=profile.subject, email=email
            )
        )
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise ServiceUnavailable(
            "Another sign-in for this account is in progress: retry"
        ) from exc
    return user


def list_providers(*, ctx: RequestContext) -> list[tuple[str, bool]]:
    """Each supported provider and whether this server has a client for it."""
    return [(name, name in ctx.services.oauth) for name in PROVIDERS]
