"""AuthMutation: sign up, sign in, refresh, sign out, reset a password."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers import auth
from schema.auth.types import AuthOutcome, AuthPayload, AuthRefreshPayload
from schema.context import Context, call


@strawberry.input(description="A new account.")
class AuthSignupInput:
    email: str = strawberry.field(description="The sign-in email.")
    password: str = strawberry.field(
        description="At least 10 characters, mixing letters with digits or symbols."
    )
    name: str | None = strawberry.field(default=None, description="Display name.")
    referral_code: str | None = strawberry.field(
        default=None, description="A referral code, if you have one."
    )
    marketing_consent: bool = strawberry.field(
        default=False, description="Whether we may send product news."
    )


@strawberry.input(description="Sign in with email and password.")
class AuthLoginInput:
    email: str = strawberry.field(description="The sign-in email.")
    password: str = strawberry.field(description="The password.")
    remember_me: bool = strawberry.field(
        default=False,
        description="Keep the session for 30 days instead of 7.",
    )


@strawberry.input(description="A refresh token.")
class AuthRefreshInput:
    refresh_token: str = strawberry.field(description="The refresh token to spend.")


@strawberry.input(description="Ask for a password-reset mail.")
class AuthPasswordResetRequestInput:
    email: str = strawberry.field(description="The account's email.")


@strawberry.input(description="Set a new password with a mailed reset token.")
class AuthPasswordResetInput:
    token: str = strawberry.field(description="The rst_... token from the mail.")
    password: str = strawberry.field(description="The new password.")


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Create an account and sign it in.")
    async def auth_signup(
        self,
        info: Info[Context, Any],
        input: Annotated[
            AuthSignupInput, strawberry.argument(description="The new account.")
        ],
    ) -> AuthPayload:
        session = await call(
            info,
            auth.sign_up,
            email=input.email,
            password=input.password,
            name=input.name,
            referral_code=input.referral_code,
            marketing_consent=input.marketing_consent,
        )
        return AuthPayload.of(session)

    @strawberry.mutation(description="Sign in with email and password.")
    async def auth_login(
        self,
        info: Info[Context, Any],
        input: Annotated[
            AuthLoginInput, strawberry.argument(description="The credentials.")
        ],
    ) -> AuthPayload:
        session = await call(
            info,
            auth.log_in,
            email=input.email,
            password=input.password,
            remember_me=input.remember_me,
        )
        return AuthPayload.of(session)

    @strawberry.mutation(
        description="Spend a refresh token for a new access token and a new "
        "refresh token; spending one twice revokes the session."
    )
    async def auth_refresh(
        self,
        info: Info[Context, Any],
        input: Annotated[
            AuthRefreshInput, strawberry.argument(description="The refresh token.")
        ],
    ) -> AuthRefreshPayload:
        refreshed = await call(
            info, auth.refresh_access, refresh_token=input.refresh_token
        )
        return AuthRefreshPayload.of(refreshed)

    @strawberry.mutation(description="End the session the refresh token belongs to.")
    async def auth_logout(
        self,
        info: Info[Context, Any],
        input: Annotated[
            AuthRefreshInput, strawberry.argument(description="The refresh token.")
        ],
    ) -> AuthOutcome:
        await call(info, auth.log_out, refresh_token=input.refresh_token)
        return AuthOutcome(success=True, message="Logged out successfully")

    @strawberry.mutation(
        description="Mail a password-reset link; answers the same whether or "
        "not the account exists."
    )
    async def auth_password_reset_request(
        self,
        info: Info[Context, Any],
        input: Annotated[
            AuthPasswordResetRequestInput,
            strawberry.argument(description="The account's email."),
        ],
    ) -> AuthOutcome:
        await call(info, auth.request_password_reset, email=input.email)
        return AuthOutcome(success=True, message="Password reset email sent")

    @strawberry.mutation(
        description="Set a new password with a reset token; every session ends."
    )
    async def auth_password_reset(
        self,
        info: Info[Context, Any],
        input: Annotated[
            AuthPasswordResetInput,
            strawberry.argument(description="The token and the new password."),
        ],
    ) -> AuthOutcome:
        await call(
            info, auth.reset_password, token=input.token, password=input.password
        )
        return AuthOutcome(success=True, message="Password reset successfully")
