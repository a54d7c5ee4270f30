"""Auth types: credentials issued at sign-in and refresh."""

from __future__ import annotations

import strawberry

from resolvers.auth import AuthSession, RefreshedAccess
from schema.user.types import User


@strawberry.type(description="Credentials for a new session.")
class AuthTokens:
    access_token: str = strawberry.field(
        description="A JWT for 'Authorization: Bearer'; valid for expires_in seconds."
    )
    refresh_token: str = strawberry.field(
        description="An opaque token for authRefresh; each one works once."
    )
    expires_in: int = strawberry.field(description="Access token lifetime, seconds.")


@strawberry.type(description="A signed-in user and their new credentials.")
class AuthPayload:
    user: User = strawberry.field(description="The user who signed in.")
    tokens: AuthTokens = strawberry.field(description="The session's credentials.")

    @classmethod
    def of(cls, session: AuthSession) -> AuthPayload:
        return cls(
            user=User.of(session.user),
            tokens=AuthTokens(
                access_token=session.access_token,
                refresh_token=session.refresh_token,
                expires_in=session.expires_in,
            ),
        )


@strawberry.type(description="A new access token, and the refresh token to use next.")
class AuthRefreshPayload:
    access_token: str = strawberry.field(description="A fresh access token (JWT).")
    refresh_token: str = strawberry.field(
        description="Replaces the refresh token just spent; the old one is dead."
    )
    expires_in: int = strawberry.field(description="Access token lifetime, seconds.")

    @classmethod
    def of(cls, refreshed: RefreshedAccess) -> AuthRefreshPayload:
        return cls(
            access_token=refreshed.access_token,
            refresh_token=refreshed.refresh_token,
            expires_in=refreshed.expires_in,
        )


@strawberry.type(description="The answer to an auth action that returns no object.")
class AuthOutcome:
    success: bool = strawberry.field(description="True when it was done.")
    message: str = strawberry.field(description="What was done.")
