"""UserQuery: the caller's own profile and API keys."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from resolvers import api_keys, users
from schema.context import Context, call
from schema.user.types import ApiKey, User


@strawberry.type
class UserQuery:
    @strawberry.field(
        description="The signed-in user's profile, preferences and usage this month."
    )
    async def me(self, info: Info[Context, Any]) -> User:
        return User.of_profile(await call(info, users.get_me))

    @strawberry.field(description="The signed-in user's API keys, masked.")
    async def api_keys(self, info: Info[Context, Any]) -> list[ApiKey]:
        return [ApiKey.of(row) for row in await call(info, api_keys.list_api_keys)]
