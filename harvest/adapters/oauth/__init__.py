"""OAuth sign-in providers (authlib), built from the settings."""

from __future__ import annotations

from dataclasses import replace

from harvest.adapters.oauth.base import OAuth2Provider
from harvest.adapters.oauth.providers import PROVIDER_SPECS
from harvest.settings import Settings
from resolvers.ports import OAuthProvider


def make_oauth_providers(settings: Settings) -> dict[str, OAuthProvider]:
    """A provider for each one with a client id; ``oauth_endpoints`` moves a
    provider's endpoints under another base URL (a stand-in server)."""
    providers: dict[str, OAuthProvider] = {}
    for name, (client_id, client_secret) in settings.oauth_clients.items():
        spec = PROVIDER_SPECS.get(name)
        if spec is None or not client_id:
            continue
        base = settings.oauth_endpoints.get(name)
        if base:
            endpoints = spec.endpoints.under(
                base, github_paths=spec.profile == "github"
            )
            spec = replace(spec, endpoints=endpoints)
        providers[name] = OAuth2Provider(
            spec, client_id=client_id, client_secret=client_secret
        )
    return providers


__all__ = ["make_oauth_providers"]
