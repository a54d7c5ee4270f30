"""Auth fixtures: the app wired to loopback SMTP and OAuth peers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette

from harvest.app import create_app
from harvest.settings import Settings
from tests.peers.oauth_provider import CLIENT_ID, CLIENT_SECRET, OAuthProviderPeer
from tests.peers.smtp import SmtpPeer

APP_URL = "https://app.example.test"


@pytest.fixture
def smtp_peer() -> Iterator[SmtpPeer]:
    peer = SmtpPeer()
    peer.start()
    yield peer
    peer.stop()


@pytest.fixture
def oauth_peer() -> Iterator[OAuthProviderPeer]:
    peer = OAuthProviderPeer()
    peer.start()
    yield peer
    peer.stop()


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application: Starlette = create_app(settings, auto_migrate=False)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver"
        ) as client:
            client.app = application  # type: ignore[attr-defined]
            yield client


@pytest.fixture
async def mail_client(
    settings: Settings, smtp_peer: SmtpPeer
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that sends mail to the loopback SMTP server."""
    async for client in _client(settings.with_overrides(smtp_url=smtp_peer.url)):
        yield client


@pytest.fixture
async def oauth_client(
    settings: Settings, oauth_peer: OAuthProviderPeer
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose google and github point at the loopback peer;
    microsoft has no client id."""
    configured = settings.with_overrides(
        oauth_clients={
            "google": (CLIENT_ID, CLIENT_SECRET),
            "github": (CLIENT_ID, CLIENT_SECRET),
            "linkedin": (CLIENT_ID, CLIENT_SECRET),
        },
        oauth_endpoints={
            "google": oauth_peer.url,
            "github": oauth_peer.url,
            "linkedin": oauth_peer.url,
        },
        app_url=APP_URL,
    )
    async for client in _client(configured):
        yield client
