"""AuthQuery: what sign-in methods this server offers."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from resolvers import oauth
from schema.context import Context


@strawberry.type(description="An OAuth provider and whether it can be used here.")
class OAuthProviderInfo:
    name: str = strawberry.field(description="google, github, microsoft or linkedin.")
    configured: bool = strawberry.field(
        description="True when this server has a client id for it."
    )
    start_url: str = strawberry.field(
        description="Send the browser here to sign in (REST, 302 to the provider)."
    )


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The OAuth providers, and which are configured.")
    def auth_providers(self, info: Info[Context, Any]) -> list[OAuthProviderInfo]:
        rc = info.context.rc
        return [
            OAuthProviderInfo(
                name=name,
                configured=configured,
                start_url=f"{rc.config.public_url}/v1/auth/oauth/{name}",
            )
            for name, configured in oauth.list_providers(ctx=rc)
        ]
