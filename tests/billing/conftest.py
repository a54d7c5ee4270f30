"""The loopback Stripe for the billing tests that use the Stripe provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harvest.settings import Settings
from tests.peers.stripe_server import API_KEY, WEBHOOK_SECRET, StripePeer


@pytest.fixture
def stripe_peer() -> Iterator[StripePeer]:
    peer = StripePeer().start()
    yield peer
    peer.stop()


def with_stripe(settings: Settings, peer: StripePeer) -> Settings:
    """``settings`` with Stripe enabled and its API pointed at ``peer``."""
    return settings.with_overrides(
        stripe_api_key=API_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_base_url=peer.url,
    )
