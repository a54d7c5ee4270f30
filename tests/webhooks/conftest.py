"""Fixtures for webhook tests: a receiver on loopback and fast retries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harvest.settings import Settings
from tests.peers.webhook_receiver import WebhookReceiver


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings with retries 500 times faster (10 ms base)."""
    return settings.with_overrides(webhook_retry_base_seconds=0.01)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    peer = WebhookReceiver()
    peer.start()
    yield peer
    peer.stop()
