"""UserQuery: the caller's own profile and API keys."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers import api_keys, users
from schema.context import Context, call
from schema.pagination import Pagination
from schema.user.types import ApiKey, ApiKeyList, User


@strawberry.type
class UserQuery:
    @strawberry.field(
        description="The signed-in user's profile, preferences and usage this month."
    )
    async def me(self, info: Info[Context, Any]) -> User:
        return User.of_profile(await call(info, users.get_me))

    @strawberry.field(
        description="All of the signed-in user's API keys (at most "
        f"{api_keys.MAX_KEYS_PER_USER}), masked, newest first."
    )
    async def api_keys(self, info: Info[Context, Any]) -> list[ApiKey]:
        rows, _ = await call(
            info, api_keys.list_api_keys, limit=api_keys.MAX_KEYS_PER_USER
        )
        return [ApiKey.of(row) for row in rows]

    @strawberry.field(description="A page of the signed-in user's API keys, masked.")
    async def api_key_list(
        self,
        info: Info[Context, Any],
        page: Annotated[
            int | None, strawberry.argument(description="Page number, from 1.")
        ] = None,
        limit: Annotated[
            int | None, strawberry.argument(description="Keys per page, at most 100.")
        ] = None,
        sort: Annotated[
            str | None, strawberry.argument(description="created_at or name.")
        ] = None,
        order: Annotated[
            str | None, strawberry.argument(description="asc or desc (the default).")
        ] = None,
    ) -> ApiKeyList:
        rows, page_info = await call(
            info,
            api_keys.list_api_keys,
            page=page,
            limit=limit,
            sort=sort,
            order=order,
        )
        return ApiKeyList(
            api_keys=[ApiKey.of(row) for row in rows],
            pagination=Pagination.of(page_info),
        )
