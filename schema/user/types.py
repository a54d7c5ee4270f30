"""User types: the profile, its usage and preferences, and API keys."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import cast

import strawberry
from strawberry.scalars import JSON

from models.user import ApiKey as ApiKeyRow
from models.user import User as UserRow
from resolvers import api_keys
from resolvers.users import MonthUsage, Profile
from schema.pagination import Pagination


@strawberry.enum(description="What an API key may do.")
class ApiKeyPermission(Enum):
    read = "read"
    write = "write"


@strawberry.type(description="The user's usage in the current calendar month (UTC).")
class UserUsage:
    tokens_used: int = strawberry.field(description="Tokens used this month.")
    tokens_limit: int = strawberry.field(description="Tokens the tier allows a month.")
    generations_count: int = strawberry.field(description="Generations this month.")
    generations_limit: int = strawberry.field(
        description="Generations the tier allows a month."
    )

    @classmethod
    def of(cls, usage: MonthUsage) -> UserUsage:
        return cls(
            tokens_used=usage.tokens_used,
            tokens_limit=usage.tokens_limit,
            generations_count=usage.generations_count,
            generations_limit=usage.generations_limit,
        )


@strawberry.type(description="A Harvest account, as its owner sees it.")
class User:
    id: strawberry.ID = strawberry.field(description="The user id (usr_...).")
    email: str = strawberry.field(description="The sign-in email, normalised.")
    name: str = strawberry.field(description="The display name.")
    avatar: str | None = strawberry.field(description="URL of the avatar image.")
    bio: str = strawberry.field(description="A short text about the user.")
    subscription_tier: str = strawberry.field(
        description="The tier: free, pro or enterprise."
    )
    subscription_status: str | None = strawberry.field(
        default=None, description="The subscription's status, e.g. active."
    )
    preferences: JSON | None = strawberry.field(
        default=None,
        description="default_model, default_tone, email_notifications and theme.",
    )
    usage: UserUsage | None = strawberry.field(
        default=None, description="This month's usage against the tier's limits."
    )
    last_login: datetime | None = strawberry.field(
        description="When the user last signed in."
    )
    deletion_scheduled_at: datetime | None = strawberry.field(
        description="When the account will be deleted, if that is scheduled."
    )
    created_at: datetime = strawberry.field(description="When the account was made.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def of(cls, row: UserRow, profile: Profile | None = None) -> User:
        return cls(
            id=strawberry.ID(row.id),
            email=row.email,
            name=row.name,
            avatar=row.avatar,
            bio=row.bio,
            subscription_tier=row.subscription_tier,
            subscription_status=profile.subscription_status if profile else None,
            preferences=cast(JSON, profile.preferences) if profile else None,
            usage=UserUsage.of(profile.usage) if profile else None,
            last_login=row.last_login,
            deletion_scheduled_at=row.deletion_scheduled_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    def of_profile(cls, profile: Profile) -> User:
        return cls.of(profile.user, profile)


@strawberry.type(description="An API key as listed: its secret is never shown again.")
class ApiKey:
    id: strawberry.ID = strawberry.field(description="The key id (key_...).")
    name: str = strawberry.field(description="The name given at creation.")
    key: str = strawberry.field(description="The masked key: hv_xxxxxx...last4.")
    last_4: str = strawberry.field(description="The key's last four characters.")
    permissions: list[ApiKeyPermission] = strawberry.field(
        description="What the key may do."
    )
    last_used: datetime | None = strawberry.field(
        description="When the key was last used (to within five minutes)."
    )
    expires_at: datetime | None = strawberry.field(
        description="When the key stops working, if ever."
    )
    previous_valid_until: datetime | None = strawberry.field(
        description="Until when the secret replaced by the last rotation still works."
    )
    created_at: datetime = strawberry.field(description="When the key was created.")

    @classmethod
    def of(cls, row: ApiKeyRow) -> ApiKey:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            key=api_keys.masked(row),
            last_4=row.last_4,
            permissions=[ApiKeyPermission(p) for p in row.permissions],
            last_used=row.last_used,
            expires_at=row.expires_at,
            previous_valid_until=row.previous_valid_until,
            created_at=row.created_at,
        )


@strawberry.type(description="A key with its full secret: shown only this once.")
class ApiKeySecret:
    id: strawberry.ID = strawberry.field(description="The key id (key_...).")
    name: str = strawberry.field(description="The name given at creation.")
    key: str = strawberry.field(description="The full key (hv_...): store it now.")
    permissions: list[ApiKeyPermission] = strawberry.field(
        description="What the key may do."
    )
    expires_at: datetime | None = strawberry.field(
        description="When the key stops working, if ever."
    )
    previous_valid_until: datetime | None = strawberry.field(
        description="Until when the previous secret still works (rotation)."
    )
    created_at: datetime = strawberry.field(description="When the key was created.")


@strawberry.type(description="A new or rotated key, and a reminder to store it.")
class ApiKeyIssued:
    api_key: ApiKeySecret = strawberry.field(description="The key and its secret.")
    warning: str = strawberry.field(description="It will not be shown again.")

    @classmethod
    def of(cls, issued: api_keys.IssuedKey) -> ApiKeyIssued:
        row = issued.key
        return cls(
            api_key=ApiKeySecret(
                id=strawberry.ID(row.id),
                name=row.name,
                key=issued.secret,
                permissions=[ApiKeyPermission(p) for p in row.permissions],
                expires_at=row.expires_at,
                previous_valid_until=row.previous_valid_until,
                created_at=row.created_at,
            ),
            warning=issued.warning,
        )


@strawberry.type(description="The answer to an action that returns no object.")
class UserOutcome:
    success: bool = strawberry.field(description="True when it was done.")
    message: str = strawberry.field(description="What was done.")


@strawberry.type(description="The profile after an update.")
class MeUpdatePayload:
    user: User = strawberry.field(description="The updated profile.")
    message: str = strawberry.field(description="What was done.")


@strawberry.type(description="The account's scheduled deletion.")
class MeDeletePayload:
    success: bool = strawberry.field(description="True when it was scheduled.")
    message: str = strawberry.field(description="What was done.")
    deletion_date: datetime = strawberry.field(
        description="When the account and its data will be deleted."
    )


@strawberry.type(description="A page of API keys.")
class ApiKeyList:
    api_keys: list[ApiKey] = strawberry.field(description="The keys on this page.")
    pagination: Pagination = strawberry.field(
        description="Where this page sits among all pages."
    )
