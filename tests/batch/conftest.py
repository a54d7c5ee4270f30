"""Fixtures for batch tests: a webhook receiver on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harvest.settings import Settings
from tests.peers.webhook_receiver import WebhookReceiver


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Fast webhook retries, so a failed delivery does not hold a test up."""
    return settings.with_overrides(webhook_retry_base_seconds=0.01)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    peer = WebhookReceiver()
    peer.start()
    yield peer
    peer.stop()
