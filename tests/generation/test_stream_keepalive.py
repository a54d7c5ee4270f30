"""SSE keep-alives: while the model is silent, POST /v1/generate/stream (and
its resume route) sends ``: keep-alive`` comments at the configured interval,
then carries on with the model's next chunk and ends normally.

The model peer really stalls mid-stream (``peer-stall``); the interval is
shrunk from 15 s to 0.1 s so a one-second silence must carry several."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette

from tests.factories import make_user
from tests.peers.openai_server import ANSWER, OpenAIPeer
from tests.support import LiveServer

INTERVAL = 0.1
STALL = 1.0
STALL_BODY = {
    "format": "blog",
    "input": "The future of renewable energy",
    "options": {"model": "peer-stall"},
}


@pytest.fixture
def stalling_server(app: Starlette, openai_peer: OpenAIPeer) -> Iterator[LiveServer]:
    openai_peer.stall_seconds = STALL
    server = LiveServer(
        app.state.settings.with_overrides(
            openai_api_key="test-key",
            openai_base_url=openai_peer.url,
            openai_models=("peer-stall",),
            default_model="offline-writer",
            model_timeout_seconds=30.0,
            sse_keepalive_seconds=INTERVAL,
        )
    )
    server.start()
    yield server
    server.stop()


async def timed_lines(response: httpx.Response) -> AsyncIterator[tuple[float, str]]:
    """Each non-empty line of the stream with the time it arrived."""
    async for line in response.aiter_lines():
        if line:
            yield time.monotonic(), line


def silence_between_chunks(
    lines: list[tuple[float, str]],
) -> tuple[list[float], float, float]:
    """Keep-alive times, and the arrival of the chunks around the longest gap."""
    chunks = [t for t, line in lines if line.startswith("event: progress")]
    gaps = [(b - a, a, b) for a, b in itertools.pairwise(chunks)]
    _, before, after = max(gaps)
    keepalives = [t for t, line in lines if line == ": keep-alive"]
    return keepalives, before, after


async def test_a_silent_model_gets_keepalives_and_the_stream_goes_on(
    app: Starlette, stalling_server: LiveServer
) -> None:
    user = await make_user(app, tier="pro")

    async with (
        httpx.AsyncClient(base_url=stalling_server.url, timeout=30) as client,
        client.stream(
            "POST", "/v1/generate/stream", json=STALL_BODY, headers=user.headers
        ) as response,
    ):
        assert response.status_code == 200
        lines = [item async for item in timed_lines(response)]

    keepalives, before, after = silence_between_chunks(lines)
    assert after - before >= STALL * 0.9
    during = [t for t in keepalives if before < t < after]
    assert len(during) >= 3, (len(during), after - before)
    events = [line for _, line in lines if line.startswith("event: ")]
    assert events[-1] == "event: complete"
    progress = events.count("event: progress")
    assert progress == len(ANSWER.split(" "))


async def test_a_resumed_stream_gets_keepalives_during_the_silence(
    app: Starlette, stalling_server: LiveServer
) -> None:
    user = await make_user(app, tier="pro")

    async with httpx.AsyncClient(base_url=stalling_server.url, timeout=30) as client:
        async with client.stream(
            "POST", "/v1/generate/stream", json=STALL_BODY, headers=user.headers
        ) as first:
            async for line in first.aiter_lines():
                if line.startswith("data: ") and "generation_id" in line:
                    generation_id = line.split('"generation_id":"')[1].split('"')[0]
                    break
        async with client.stream(
            "GET", f"/v1/generate/stream/{generation_id}", headers=user.headers
        ) as resumed:
            assert resumed.status_code == 200
            lines = [item async for item in timed_lines(resumed)]

    keepalives, before, after = silence_between_chunks(lines)
    assert len([t for t in keepalives if before < t < after]) >= 3
    assert [line for _, line in lines if line.startswith("event: ")][-1] == (
        "event: complete"
    )
