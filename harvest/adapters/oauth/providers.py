"""The four providers Harvest signs in with, at their public endpoints."""

from __future__ import annotations

from harvest.adapters.oauth.base import Endpoints, ProviderSpec

PROVIDER_SPECS: dict[str, ProviderSpec] = {
    "google": ProviderSpec(
        name="google",
        endpoints=Endpoints(
            authorize="https://accounts.google.com/o/oauth2/v2/auth",
            token="https://oauth2.googleapis.com/token",
            userinfo="https://openidconnect.googleapis.com/v1/userinfo",
        ),
        scope="openid email profile",
        pkce=True,
        profile="oidc",
    ),
    "github": ProviderSpec(
        name="github",
        endpoints=Endpoints(
            authorize="https://github.com/login/oauth/authorize",
            token="https://github.com/login/oauth/access_token",
            userinfo="https://api.github.com/user",
            emails="https://api.github.com/user/emails",
        ),
        scope="read:user user:email",
        pkce=True,
        profile="github",
    ),
    "microsoft": ProviderSpec(
        name="microsoft",
        endpoints=Endpoints(
            authorize="https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
            token="https://login.microsoftonline.com/common/oauth2/v2.0/token",
            userinfo="https://graph.microsoft.com/oidc/userinfo",
        ),
        scope="openid email profile",
        pkce=True,
        profile="oidc",
    ),
    "linkedin": ProviderSpec(
        name="linkedin",
        endpoints=Endpoints(
            authorize="https://www.linkedin.com/oauth/v2/authorization",
            token="https://www.linkedin.com/oauth/v2/accessToken",
            userinfo="https://api.linkedin.com/v2/userinfo",
        ),
        scope="openid profile email",
        pkce=False,
        profile="oidc",
    ),
}
