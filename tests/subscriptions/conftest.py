"""A live server whose offline writer is slow enough to watch a stream."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harvest.settings import Settings
from tests import support

CHUNK_DELAY_SECONDS = 0.03


@pytest.fixture
def slow_server(settings: Settings) -> Iterator[support.LiveServer]:
    """A live server writing one chunk every CHUNK_DELAY_SECONDS."""
    server = support.LiveServer(
        settings.with_overrides(offline_writer_delay_seconds=CHUNK_DELAY_SECONDS)
    )
    server.start()
    yield server
    server.stop()
