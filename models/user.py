"""Accounts and what authenticates them: users, refresh-token families, API keys,
OAuth identities and password-reset tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import created_field, fk, id_field, json_field, updated_field


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: str = id_field("usr")
    email: str = Field(max_length=320, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    password_hash: str | None = Field(default=None, max_length=255)
    avatar: str | None = Field(default=None, max_length=2048)
    bio: str = Field(default="", max_length=2000)
    subscription_tier: str = Field(default="free", max_length=20, index=True)
    preferences: dict[str, Any] = json_field({})
    referral_code: str | None = Field(default=None, max_length=64)
    marketing_consent: bool = False
    stripe_customer_id: str | None = Field(default=None, max_length=255)
    is_admin: bool = False
    last_login: datetime | None = None
    deletion_scheduled_at: datetime | None = Field(default=None, index=True)
    deletion_reason: str | None = Field(default=None, max_length=2000)
    deletion_feedback: str | None = Field(default=None, max_length=4000)
    tokens_valid_after: datetime | None = None
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()


class RefreshFamily(SQLModel, table=True):
    """A login session: every refresh token rotated from one login shares it."""

    __tablename__ = "refresh_families"

    id: str = id_field("rfam")
    user_id: str = fk("users.id")
    remember_me: bool = False
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_field()


class RefreshToken(SQLModel, table=True):
    """One refresh token of a family, stored only as a hash."""

    __tablename__ = "refresh_tokens"

    id: str = id_field("rtk")
    family_id: str = fk("refresh_families.id")
    token_hash: str = Field(max_length=128, unique=True, index=True)
    expires_at: datetime
    rotated_at: datetime | None = None
    created_at: datetime = created_field()


class ApiKey(SQLModel, table=True):
    """A long-lived key (``hv_...``); only hashes of its secrets are kept."""

    __tablename__ = "api_keys"

    id: str = id_field("key")
    user_id: str = fk("users.id")
    name: str = Field(max_length=200)
    key_hash: str = Field(max_length=128, unique=True, index=True)
    key_prefix: str = Field(max_length=16)
    last_4: str = Field(max_length=4)
    permissions: list[str] = json_field(["read", "write"])
    previous_key_hash: str | None = Field(default=None, max_length=128, index=True)
    previous_valid_until: datetime | None = None
    expires_at: datetime | None = None
    last_used: datetime | None = None
    created_at: datetime = created_field()


class OAuthIdentity(SQLModel, table=True):
    """A user's account at an OAuth provider, linked by the provider's subject."""

    __tablename__ = "oauth_identities"
    __table_args__ = (sa.UniqueConstraint("provider", "subject"),)

    id: str = id_field("oid")
    user_id: str = fk("users.id")
    provider: str = Field(max_length=32)
    subject: str = Field(max_length=255)
    email: str = Field(max_length=320)
    created_at: datetime = created_field()


class PasswordReset(SQLModel, table=True):
    """A single-use password-reset token (``rst_...``), stored as a hash."""

    __tablename__ = "password_resets"

    id: str = id_field("rst")
    user_id: str = fk("users.id")
    token_hash: str = Field(max_length=128, unique=True, index=True)
    expires_at: datetime
    used_at: datetime | None = None
    created_at: datetime = created_field()
