"""Resilience fixtures: every response a test receives goes through the canary
scan when the test ends."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
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


@pytest.fixture
async def client(
    app: Starlette, recorder: Recorder
) -> AsyncIterator[httpx.AsyncClient]:
    """The suite's in-process client, recorded for the canary scan."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as c:
        yield recorder.watch(c)
