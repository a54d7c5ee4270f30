"""Resilience fixtures: responses of live-server clients go through the canary
scan when the test ends (the suite's ``client`` fixture already does)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette

from tests.resilience.canary import Recorder


@pytest.fixture
async def recorder(app: Starlette) -> AsyncIterator[Recorder]:
    """Records responses; the test fails if any carries a stored secret."""
    kept = Recorder()
    yield kept
    leaks = await kept.leaks(app)
    assert leaks == [], "secrets in responses: " + "; ".join(leaks)
