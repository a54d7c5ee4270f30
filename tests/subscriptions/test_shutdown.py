"""SIGTERM: spec WebSocket clients are told 1001, running generations finish."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import connect

from harvest.settings import Settings
from models.generation import Generation
from tests.factories import make_user
from tests.subscriptions.processes import ServeProcess
from tests.subscriptions.wire import BLOG, close_code, receive, send, until


@pytest.fixture
def serve(settings: Settings, tmp_path: Path) -> Iterator[ServeProcess]:
    process = ServeProcess(
        settings, tmp_path / "serve", HARVEST_OFFLINE_WRITER_DELAY_SECONDS="0.03"
    )
    process.start()
    yield process
    process.stop()


async def test_sigterm_closes_with_1001_and_finishes_the_running_generation(
    app: Starlette, serve: ServeProcess
) -> None:
    user = await make_user(app, tier="pro")

    async with connect(f"{serve.ws_url}/v1?token={user.token}") as ws:
        await receive(ws)
        await send(ws, {"type": "generation_start", "request_id": "r", "data": BLOG})
        generation_id = (await until(ws, "generation_chunk"))[-1]["generation_id"]
        serve.terminate()
        code = await close_code(ws)

    assert code == 1001
    # uvicorn re-raises the signal once its graceful shutdown is done.
    assert await asyncio.to_thread(serve.wait) in (0, -15)
    async with app.state.parts.db.session() as session:
        row = await session.get(Generation, generation_id)
    assert row is not None
    assert row.status == "completed"
    assert row.content


async def test_sigterm_closes_graphql_subscription_connections_with_1001(
    app: Starlette, serve: ServeProcess
) -> None:
    user = await make_user(app, tier="pro")
    opened = []
    for protocol in ("graphql-transport-ws", "graphql-ws"):
        ws = await connect(
            f"{serve.ws_url}/graphql",
            subprotocols=[protocol],  # type: ignore[list-item]
        )
        await send(
            ws,
            {
                "type": "connection_init",
                "payload": {"Authorization": f"Bearer {user.token}"},
            },
        )
        assert (await receive(ws))["type"] == "connection_ack"
        kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
        query = "subscription { notificationReceived { id } }"
        await send(ws, {"id": "1", "type": kind, "payload": {"query": query}})
        opened.append(ws)
    await asyncio.sleep(0.3)

    serve.terminate()
    codes = [await close_code(ws) for ws in opened]

    assert codes == [1001, 1001]
