"""Fixtures for the generation tests: an app whose OpenAI-compatible models
are served by the loopback peer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette

from harvest.app import create_app
from harvest.settings import Settings
from tests.peers.openai_server import OpenAIPeer, running_openai_peer

PEER_MODELS = (
    "peer-echo",
    "peer-error",
    "peer-ratelimit",
    "peer-slow",
    "peer-filter",
    "peer-stall",
)


@pytest.fixture
def openai_peer() -> Iterator[OpenAIPeer]:
    with running_openai_peer() as peer:
        yield peer


@pytest.fixture
async def peer_app(
    settings: Settings, openai_peer: OpenAIPeer
) -> AsyncIterator[Starlette]:
    """The app with the peer's models configured (offline writer still default)."""
    configured = settings.with_overrides(
        openai_api_key="test-key",
        openai_base_url=openai_peer.url,
        openai_models=PEER_MODELS,
        default_model="offline-writer",
        model_timeout_seconds=0.5,
    )
    application = create_app(configured, auto_migrate=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def peer_client(peer_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=peer_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as c:
        yield c
