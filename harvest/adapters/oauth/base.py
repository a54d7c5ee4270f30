"""An OAuth 2 provider spoken to with authlib: the consent URL, the code
exchange (with PKCE where the provider takes it) and the user's profile."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import httpx
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from resolvers.errors import ServiceUnavailable, Unauthorized
from resolvers.ports import OAuthProfile

logger = logging.getLogger(__name__)

ProfileReader = Callable[[AsyncOAuth2Client, "Endpoints"], Any]


@dataclass(frozen=True)
class Endpoints:
    """Where one provider's OAuth 2 endpoints live."""

    authorize: str
    token: str
    userinfo: str
    emails: str | None = None

    def under(self, base: str, *, github_paths: bool = False) -> Endpoints:
        """The same endpoints served under ``base`` (a stand-in provider)."""
        root = base.rstrip("/")
        return replace(
            self,
            authorize=root + "/authorize",
            token=root + "/token",
            userinfo=root + ("/user" if github_paths else "/userinfo"),
            emails=root + "/user/emails" if github_paths else None,
        )


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    endpoints: Endpoints
    scope: str
    pkce: bool
    profile: str  # "oidc" (standard claims) or "github"


class OAuth2Provider:
    """One configured provider (client id and secret known)."""

    def __init__(
        self, spec: ProviderSpec, *, client_id: str, client_secret: str
    ) -> None:
        self.name = spec.name
        self.spec = spec
        self.client_id = client_id
        self.client_secret = client_secret

    def _client(self, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            scope=self.spec.scope,
            redirect_uri=redirect_uri,
            token_endpoint_auth_method="client_secret_post",
            code_challenge_method="S256" if self.spec.pkce else None,
            timeout=10.0,
        )

    def authorization_url(
        self, *, redirect_uri: str, state: str, code_verifier: str
    ) -> str:
        client = self._client(redirect_uri)
        url, _ = client.create_authorization_url(
            self.spec.endpoints.authorize,
            state=state,
            code_verifier=code_verifier if self.spec.pkce else None,
        )
        return str(url)

    async def fetch_profile(
        self, *, redirect_uri: str, code: str, code_verifier: str
    ) -> OAuthProfile:
        async with self._client(redirect_uri) as client:
            await self._exchange(client, code=code, code_verifier=code_verifier)
            if self.spec.profile == "github":
                return await self._github_profile(client)
            claims = await self._get_json(client, self.spec.endpoints.userinfo)
            return oidc_profile(claims)

    async def _exchange(
        self, client: AsyncOAuth2Client, *, code: str, code_verifier: str
    ) -> None:
        started = time.perf_counter()
        extra: dict[str, Any] = (
            {"code_verifier": code_verifier} if self.spec.pkce else {}
        )
        try:
            await client.fetch_token(
                self.spec.endpoints.token,
                code=code,
                headers={"Accept": "application/json"},
                **extra,
            )
        except OAuthError as exc:
            self._log("token", "refused", started)
            raise Unauthorized(
                "The OAuth provider refused the authorization code: sign in again",
                details={"provider": self.name},
            ) from exc
        except (httpx.HTTPError, ValueError) as exc:
            self._log("token", "unreachable", started)
            raise ServiceUnavailable(
                "The OAuth provider could not be reached: retry shortly",
                details={"provider": self.name},
            ) from exc
        self._log("token", "ok", started)

    async def _get_json(self, client: AsyncOAuth2Client, url: str) -> Any:
        started = time.perf_counter()
        try:
            response = await client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            self._log("userinfo", "failed", started)
            raise ServiceUnavailable(
                "The OAuth provider did not return the user's profile",
                details={"provider": self.name},
            ) from exc
        self._log("userinfo", str(response.status_code), started)
        return body

    async def _github_profile(self, client: AsyncOAuth2Client) -> OAuthProfile:
        user = await self._get_json(client, self.spec.endpoints.userinfo)
        emails = []
        if self.spec.endpoints.emails:
            emails = await self._get_json(client, self.spec.endpoints.emails)
        verified = [e for e in emails if isinstance(e, dict) and e.get("verified")]
        verified.sort(key=lambda e: not e.get("primary"))
        return OAuthProfile(
            subject=str(user.get("id", "")),
            email=str(verified[0]["email"]) if verified else None,
            email_verified=bool(verified),
            name=str(user.get("name") or user.get("login") or ""),
            avatar=user.get("avatar_url"),
        )

    def _log(self, operation: str, status: str, started: float) -> None:
        logger.info(
            "oauth call",
            extra={
                "provider": self.name,
                "operation": operation,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )


def oidc_profile(claims: Any) -> OAuthProfile:
    """A profile from standard OpenID Connect claims."""
    if not isinstance(claims, dict) or not claims.get("sub"):
        raise ServiceUnavailable("The OAuth provider returned no subject")
    verified = claims.get("email_verified")
    return OAuthProfile(
        subject=str(claims["sub"]),
        email=claims.get("email"),
        email_verified=verified is True or str(verified).lower() == "true",
        name=str(claims.get("name") or ""),
        avatar=claims.get("picture"),
    )
