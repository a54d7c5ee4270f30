"""The signed-in user's profile: read, update (with validated preferences),
and deletion, scheduled 30 days out and carried out by a durable job."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import utcnow
from models.billing import Subscription
from models.user import OAuthIdentity, PasswordReset, RefreshFamily, User
from resolvers.api_keys import revoke_user_api_keys
from resolvers.auth_throttle import (
    check_login_allowed,
    clear_login_failures,
    record_login_failure,
)
from resolvers.auth_tokens import revoke_user_sessions
from resolvers.context import RequestContext
from resolvers.errors import Forbidden, Unauthorized, ValidationFailed
from resolvers.jobs import enqueue_job, job_handler
from resolvers.passwords import verify_password
from resolvers.tiers import get_tier
from resolvers.usage import month_period, usage_between

logger = logging.getLogger(__name__)

DELETION_GRACE = timedelta(days=30)
PURGE_JOB = "user.purge"
THEMES = ("light", "dark", "system")
TONES = (
    "professional",
    "casual",
    "friendly",
    "formal",
    "persuasive",
    "informative",
    "enthusiastic",
    "humorous",
    "empathetic",
    "confident",
    "neutral",
)
DEFAULT_PREFERENCES: dict[str, Any] = {
    "default_model": None,
    "default_tone": "professional",
    "email_notifications": True,
    "theme": "light",
}


@dataclass(frozen=True)
class MonthUsage:
    tokens_used: int
    tokens_limit: int
    generations_count: int
    generations_limit: int


@dataclass(frozen=True)
class Profile:
    """A user as ``/users/me`` shows them."""

    user: User
    subscription_status: str
    preferences: dict[str, Any]
    usage: MonthUsage


async def _current_user(session: AsyncSession, ctx: RequestContext) -> User:
    principal = ctx.require_principal()
    user = await session.get(User, principal.user_id)
    if user is None:
        raise Unauthorized("Invalid credentials: the account no longer exists")
    return user


def effective_preferences(
    ctx: RequestContext, stored: dict[str, Any]
) -> dict[str, Any]:
    """Stored preferences over the defaults (the default model from the registry)."""
    merged = dict(DEFAULT_PREFERENCES)
    registry = ctx.services.models
    if registry is not None:
        merged["default_model"] = registry.default
    merged.update(stored)
    return merged


async def _profile(session: AsyncSession, ctx: RequestContext, user: User) -> Profile:
    start, end = month_period()
    usage = await usage_between(session, scope_id=user.id, start=start, end=end)
    tier = get_tier(user.subscription_tier)
    status = await session.scalar(
        select(Subscription.status).where(col(Subscription.user_id) == user.id)
    )
    return Profile(
        user=user,
        subscription_status=status or "active",
        preferences=effective_preferences(ctx, user.preferences or {}),
        usage=MonthUsage(
            tokens_used=usage.tokens,
            tokens_limit=tier.tokens_per_month,
            generations_count=usage.generations,
            generations_limit=tier.generations_per_month,
        ),
    )


async def get_me(session: AsyncSession, *, ctx: RequestContext) -> Profile:
    """The caller's own profile, with preferences and this month's usage."""
    return await _profile(session, ctx, await _current_user(session, ctx))


def validate_preferences(
    ctx: RequestContext, changes: dict[str, Any]
) -> dict[str, Any]:
    """Check each given preference; ``null`` puts one back to its default."""
    if not isinstance(changes, dict):
        raise ValidationFailed(field="preferences", reason="must be an object")
    checked: dict[str, Any] = {}
    for key, value in changes.items():
        field = f"preferences.{key}"
        if key not in DEFAULT_PREFERENCES:
            raise ValidationFailed(
                field=field,
                reason="unknown preference: use " + ", ".join(DEFAULT_PREFERENCES),
            )
        if value is None:
            checked[key] = None
        elif key == "theme" and value not in THEMES:
            raise ValidationFailed(field=field, reason="one of " + ", ".join(THEMES))
        elif key == "default_tone" and value not in TONES:
            raise ValidationFailed(field=field, reason="one of " + ", ".join(TONES))
        elif key == "email_notifications" and not isinstance(value, bool):
            raise ValidationFailed(field=field, reason="true or false")
        elif key == "default_model":
            _check_model(ctx, field, value)
        checked[key] = value
    return checked


def _check_model(ctx: RequestContext, field: str, value: Any) -> None:
    names = ctx.services.models.names if ctx.services.models is not None else []
    if value not in names:
        raise ValidationFailed(
            field=field,
            reason="unknown model: use one of " + (", ".join(names) or "none"),
            details={"supported_models": names},
        )


def _check_avatar(value: str) -> str:
    url = value.strip()
    if not url.startswith(("https://", "http://")) or len(url) > 2048:
        raise ValidationFailed(
            field="avatar", reason="an http(s) URL of at most 2048 characters"
        )
    return url


async def update_me(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    name: str | None = None,
    bio: str | None = None,
    avatar: str | None = None,
    preferences: dict[str, Any] | None = None,
) -> Profile:
    """Change the caller's profile; preferences merge into the stored ones."""
    ctx.require_writer()
    user = await _current_user(session, ctx)
    if name is not None:
        cleaned = name.strip()
        if not cleaned or len(cleaned) > 200:
            raise ValidationFailed(field="name", reason="1 to 200 characters")
        user.name = cleaned
    if bio is not None:
        if len(bio) > 2000:
            raise ValidationFailed(field="bio", reason="at most 2000 characters")
        user.bio = bio.strip()
    if avatar is not None:
        user.avatar = _check_avatar(avatar)
    if preferences is not None:
        merged = dict(user.preferences or {})
        for key, value in validate_preferences(ctx, preferences).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        user.preferences = merged

    user.updated_at = utcnow()
    session.add(user)
    await session.commit()
    await session.refresh(user)
    return await _profile(session, ctx, user)


async def schedule_my_deletion(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    password: str | None = None,
    reason: str | None = None,
    feedback: str | None = None,
) -> datetime:
    """Schedule the caller's account for deletion in 30 days.

    The password is checked when the account has one; accounts that only sign
    in through OAuth confirm with their session alone. API keys cannot delete
    an account. Every session and key stops working at once.
    """
    principal = ctx.require_writer()
    if principal.kind == "api_key":
        raise Forbidden(
            "Deleting an account needs a signed-in session, not an API key",
            details={"reason": "api_key_not_allowed"},
        )
    user = await _current_user(session, ctx)
    await _confirm_password(ctx, user, password)

    when = utcnow() + DELETION_GRACE
    user.deletion_scheduled_at = when
    user.deletion_reason = (reason or "").strip()[:2000] or None
    user.deletion_feedback = (feedback or "").strip()[:4000] or None
    await revoke_user_sessions(session, user=user, reason="account_deletion")
    await revoke_user_api_keys(session, user_id=user.id)
    enqueue_job(session, kind=PURGE_JOB, payload={"user_id": user.id}, run_at=when)
    await session.commit()
    logger.info("account deletion scheduled", extra={"user": user.id})
    return when


async def _confirm_password(
    ctx: RequestContext, user: User, password: str | None
) -> None:
    if user.password_hash is None:
        return
    attempts = ctx.services.attempts
    await check_login_allowed(attempts, email=user.email, client_ip=ctx.client_ip)
    if not password or not await verify_password(user.password_hash, password):
        await record_login_failure(attempts, email=user.email, client_ip=ctx.client_ip)
        raise Forbidden(
            "Incorrect password: confirm the deletion with your current password",
            details={"field": "password", "reason": "incorrect_password"},
        )
    await clear_login_failures(attempts, email=user.email)


@job_handler(PURGE_JOB)
async def purge_user(
    session: AsyncSession, ctx: RequestContext, payload: dict[str, Any]
) -> None:
    """Delete an account whose grace period has passed (a no-op if cancelled)."""
    user = await session.get(User, str(payload.get("user_id")))
    if user is None or user.deletion_scheduled_at is None:
        return
    if user.deletion_scheduled_at > utcnow():
        enqueue_job(
            session,
            kind=PURGE_JOB,
            payload={"user_id": user.id},
            run_at=user.deletion_scheduled_at,
        )
        await session.commit()
        return
    for table in (PasswordReset, OAuthIdentity, RefreshFamily):
        await session.execute(sa.delete(table).where(col(table.user_id) == user.id))
    await session.delete(user)
    await session.commit()
    logger.info("account purged", extra={"user": user.id})
