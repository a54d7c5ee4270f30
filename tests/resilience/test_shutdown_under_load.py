"""SIGTERM to ``harvest serve`` holding many streams: every spec WebSocket
client is told 1001, plain requests in flight are answered, every generation
streamed over SSE is finished and stored, and the process exits within its
grace period. The CI pass holds ``WEBSOCKETS`` sockets and ``STREAMS`` SSE
streams; ``HARVEST_LONG=1`` holds 200 of each, as the issue asks."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from sqlmodel import col, select
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from harvest.settings import Settings
from models.generation import Generation
from tests.factories import make_user
from tests.subscriptions.processes import ServeProcess

LONG = os.environ.get("HARVEST_LONG") == "1"
WEBSOCKETS = 200 if LONG else 40
STREAMS = 200 if LONG else 20
PLAIN = 10
GRACE_SECONDS = 20
MANY = 100_000
LIMITS = {
    "free": {
        "requests_per_minute": MANY,
        "generations_per_hour": MANY,
        "concurrent_generations": MANY,
        "websocket_connections": MANY,
    }
}
STREAMED = {
    "format": "blog",
    "input": "Heat pumps for small offices, explained step by step",
    "options": {"length": "short"},
}


@pytest.fixture
def serve(settings: Settings, tmp_path: Path) -> Iterator[ServeProcess]:
    process = ServeProcess(
        settings,
        tmp_path / "serve",
        HARVEST_OFFLINE_WRITER_DELAY_SECONDS="0.05",
        HARVEST_RATE_LIMITS=json.dumps(LIMITS),
    )
    process.start()
    yield process
    process.stop()


async def open_socket(url: str) -> ClientConnection:
    ws = await connect(url, open_timeout=30)
    frame = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
    assert frame["type"] == "connected"
    return ws


async def close_code(ws: ClientConnection) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 30)
    except ConnectionClosed:
        return ws.close_code


async def stream_to_end(http: httpx.AsyncClient, started: asyncio.Event) -> str:
    """Follow one SSE stream; returns the last event's name."""
    last = ""
    async with http.stream("POST", "/v1/generate/stream", json=STREAMED) as response:
        assert response.status_code == 200
        try:
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    last = line.split(":", 1)[1].strip()
                    started.set()
        except httpx.HTTPError:
            pass
    return last


async def test_sigterm_with_many_streams_closes_cleanly_within_the_grace_period(
    app: Starlette, serve: ServeProcess
) -> None:
    user = await make_user(app)
    headers = {"Authorization": f"Bearer {user.token}"}
    limits = httpx.Limits(max_connections=STREAMS + PLAIN + 5)
    sockets = await asyncio.gather(
        *(
            open_socket(f"{serve.ws_url}/v1?token={user.token}")
            for _ in range(WEBSOCKETS)
        )
    )

    async with httpx.AsyncClient(
        base_url=serve.url, headers=headers, timeout=60, limits=limits
    ) as http:
        flags = [asyncio.Event() for _ in range(STREAMS)]
        streams = [asyncio.create_task(stream_to_end(http, f)) for f in flags]
        await asyncio.wait_for(asyncio.gather(*(f.wait() for f in flags)), 60)
        plain = [asyncio.create_task(http.get("/v1/users/me")) for _ in range(PLAIN)]
        await asyncio.sleep(0.05)
        signalled = time.monotonic()
        serve.terminate()

        codes = await asyncio.gather(*(close_code(ws) for ws in sockets))
        answered = await asyncio.gather(*plain, return_exceptions=True)
        await asyncio.gather(*streams, return_exceptions=True)
    exit_code = await asyncio.to_thread(serve.wait, GRACE_SECONDS + 10)
    exited_after = time.monotonic() - signalled

    assert codes == [1001] * WEBSOCKETS
    assert [getattr(a, "status_code", a) for a in answered] == [200] * PLAIN
    assert exit_code in (0, -15)
    assert exited_after < GRACE_SECONDS + 5
    async with app.state.parts.db.session() as session:
        rows = (
            await session.execute(
                select(Generation).where(col(Generation.user_id) == user.id)
            )
        ).scalars()
        statuses = sorted(row.status for row in rows)
    assert statuses == ["completed"] * STREAMS
