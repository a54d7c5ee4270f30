"""API keys: created with the secret shown once, listed masked, deleted,
rotated with a grace period for the previous secret."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import utcnow
from models.user import ApiKey
from resolvers.auth_tokens import hash_secret, new_api_key_secret
from resolvers.context import RequestContext
from resolvers.errors import Conflict, NotFound, ValidationFailed
from resolvers.pagination import PageInfo, PageRequest, paginate

PERMISSIONS = ("read", "write")
MAX_KEYS_PER_USER = 50
MAX_GRACE = timedelta(days=7)
PREFIX_CHARS = 9
CREATE_WARNING = "Store this key securely. It won't be shown again."


@dataclass(frozen=True)
class IssuedKey:
    """A key with its full secret, returned once at creation or rotation."""

    key: ApiKey
    secret: str
    warning: str = CREATE_WARNING


def masked(key: ApiKey) -> str:
    """The key as lists show it: its first characters and its last four."""
    return f"{key.key_prefix}...{key.last_4}"


def _permissions(values: Sequence[str] | None) -> list[str]:
    chosen = list(dict.fromkeys(values if values is not None else PERMISSIONS))
    unknown = [p for p in chosen if p not in PERMISSIONS]
    if unknown or not chosen:
        raise ValidationFailed(
            field="permissions", reason="choose one or more of: read, write"
        )
    return [p for p in PERMISSIONS if p in chosen]


async def create_api_key(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    name: str,
    permissions: Sequence[str] | None = None,
    expires_at: datetime | None = None,
) -> IssuedKey:
    """Create a key for the caller; only a hash of its secret is stored."""
    principal = ctx.require_writer()
    label = name.strip()
    if not label or len(label) > 200:
        raise ValidationFailed(
            field="name", reason="give a name of 1 to 200 characters"
        )
    chosen = _permissions(permissions)
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed(field="expires_at", reason="must be in the future")
    count = await session.scalar(
        select(sa.func.count())
        .select_from(ApiKey)
        .where(col(ApiKey.user_id) == principal.user_id)
    )
    if (count or 0) >= MAX_KEYS_PER_USER:
        raise Conflict(
            f"At most {MAX_KEYS_PER_USER} API keys per account: delete one first",
            details={"limit": MAX_KEYS_PER_USER},
        )

    secret = new_api_key_secret()
    key = ApiKey(
        user_id=principal.user_id,
        name=label,
        key_hash=hash_secret(ctx.config, secret),
        key_prefix=secret[:PREFIX_CHARS],
        last_4=secret[-4:],
        permissions=chosen,
        expires_at=expires_at,
    )
    session.add(key)
    await session.commit()
    await session.refresh(key)
    return IssuedKey(key=key, secret=secret)


async def list_api_keys(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    page: int | None = None,
    limit: int | None = None,
    sort: str | None = None,
    order: str | None = None,
) -> tuple[list[ApiKey], PageInfo]:
    """A page of the caller's keys, newest first unless ``sort``/``order`` say
    (secrets never included)."""
    principal = ctx.require_principal()
    request = PageRequest.of(
        page=page, limit=limit, sort=sort, order=order, sortable=("created_at", "name")
    )
    return await paginate(
        session,
        select(ApiKey).where(col(ApiKey.user_id) == principal.user_id),
        page=request,
        columns={
            "created_at": col(ApiKey.created_at),
            "name": col(ApiKey.name),
            "id": col(ApiKey.id),
        },
    )


async def _own_key(session: AsyncSession, *, user_id: str, key_id: str) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None or key.user_id != user_id:
        raise NotFound(f"API key '{key_id}' not found", details={"id": key_id})
    return key


async def delete_api_key(
    session: AsyncSession, *, ctx: RequestContext, key_id: str
) -> None:
    """Delete one of the caller's keys; it stops working at once."""
    principal = ctx.require_writer()
    key = await _own_key(session, user_id=principal.user_id, key_id=key_id)
    await session.delete(key)
    await session.commit()


async def rotate_api_key(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    key_id: str,
    grace_seconds: int = 0,
) -> IssuedKey:
    """Give a key a new secret; the previous one works for ``grace_seconds``."""
    principal = ctx.require_writer()
    if grace_seconds < 0 or grace_seconds > MAX_GRACE.total_seconds():
        raise ValidationFailed(
            field="grace_period_seconds",
            reason=f"between 0 and {int(MAX_GRACE.total_seconds())} (7 days)",
        )
    key = await _own_key(session, user_id=principal.user_id, key_id=key_id)

    secret = new_api_key_secret()
    key.previous_key_hash = key.key_hash if grace_seconds else None
    key.previous_valid_until = (
        utcnow() + timedelta(seconds=grace_seconds) if grace_seconds else None
    )
    key.key_hash = hash_secret(ctx.config, secret)
    key.key_prefix = secret[:PREFIX_CHARS]
    key.last_4 = secret[-4:]
    session.add(key)
    await session.commit()
    await session.refresh(key)
    return IssuedKey(key=key, secret=secret)


async def revoke_user_api_keys(session: AsyncSession, *, user_id: str) -> None:
    """Delete every key of a user (caller commits)."""
    await session.execute(sa.delete(ApiKey).where(col(ApiKey.user_id) == user_id))
