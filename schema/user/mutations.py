"""UserMutation: the profile, account deletion and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers import api_keys, users
from schema.context import Context, call
from schema.user.types import (
    ApiKeyIssued,
    ApiKeyPermission,
    MeDeletePayload,
    MeUpdatePayload,
    User,
    UserOutcome,
)


@strawberry.input(description="Profile changes; fields left out stay as they are.")
class MeUpdateInput:
    name: str | None = strawberry.field(default=None, description="Display name.")
    bio: str | None = strawberry.field(default=None, description="A short bio.")
    avatar: str | None = strawberry.field(
        default=None, description="An http(s) URL of an avatar image."
    )
    preferences: JSON | None = strawberry.field(
        default=None,
        description="Merged into the stored preferences; a null value restores "
        "that preference's default.",
    )


@strawberry.input(description="Confirm the account's deletion.")
class MeDeleteInput:
    password: str | None = strawberry.field(
        default=None,
        description="The current password (accounts that only use OAuth omit it).",
    )
    reason: str | None = strawberry.field(default=None, description="Why you leave.")
    feedback: str | None = strawberry.field(
        default=None, description="Anything else you want to tell us."
    )


@strawberry.input(description="A new API key.")
class ApiKeyCreateInput:
    name: str = strawberry.field(description="A name to recognise the key by.")
    permissions: list[ApiKeyPermission] | None = strawberry.field(
        default=None, description="read, write or both (the default)."
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the key stops working; never when omitted."
    )


@strawberry.input(description="Give a key a new secret.")
class ApiKeyRotateInput:
    id: strawberry.ID = strawberry.field(description="The key to rotate.")
    grace_period_seconds: int = strawberry.field(
        default=0,
        description="How long the previous secret keeps working, up to 604800 "
        "(7 days); 0 stops it at once.",
    )


@strawberry.type
class UserMutation:
    @strawberry.mutation(description="Change the profile and merge preferences.")
    async def me_update(
        self,
        info: Info[Context, Any],
        input: Annotated[
            MeUpdateInput, strawberry.argument(description="The changes.")
        ],
    ) -> MeUpdatePayload:
        profile = await call(
            info,
            users.update_me,
            name=input.name,
            bio=input.bio,
            avatar=input.avatar,
            preferences=cast(dict[str, Any] | None, input.preferences),
        )
        return MeUpdatePayload(
            user=User.of_profile(profile), message="Profile updated successfully"
        )

    @strawberry.mutation(
        description="Schedule the account's deletion in 30 days; every session "
        "and API key stops working at once."
    )
    async def me_delete(
        self,
        info: Info[Context, Any],
        input: Annotated[
            MeDeleteInput, strawberry.argument(description="Password and reason.")
        ],
    ) -> MeDeletePayload:
        when = await call(
            info,
            users.schedule_my_deletion,
            password=input.password,
            reason=input.reason,
            feedback=input.feedback,
        )
        return MeDeletePayload(
            success=True,
            message="Account scheduled for deletion",
            deletion_date=when,
        )

    @strawberry.mutation(description="Create an API key; its secret is shown once.")
    async def api_key_create(
        self,
        info: Info[Context, Any],
        input: Annotated[
            ApiKeyCreateInput,
            strawberry.argument(description="Name, permissions and expiry."),
        ],
    ) -> ApiKeyIssued:
        permissions = None
        if input.permissions is not None:
            permissions = [p.value for p in input.permissions]
        issued = await call(
            info,
            api_keys.create_api_key,
            name=input.name,
            permissions=permissions,
            expires_at=input.expires_at,
        )
        return ApiKeyIssued.of(issued)

    @strawberry.mutation(description="Delete an API key; it stops working at once.")
    async def api_key_delete(
        self,
        info: Info[Context, Any],
        id: Annotated[strawberry.ID, strawberry.argument(description="The key id.")],
    ) -> UserOutcome:
        await call(info, api_keys.delete_api_key, key_id=str(id))
        return UserOutcome(success=True, message="API key deleted successfully")

    @strawberry.mutation(
        description="Give an API key a new secret (shown once); the previous "
        "secret works for the grace period chosen."
    )
    async def api_key_rotate(
        self,
        info: Info[Context, Any],
        input: Annotated[
            ApiKeyRotateInput,
            strawberry.argument(description="The key and the grace period."),
        ],
    ) -> ApiKeyIssued:
        issued = await call(
            info,
            api_keys.rotate_api_key,
            key_id=str(input.id),
            grace_seconds=input.grace_period_seconds,
        )
        return ApiKeyIssued.of(issued)
