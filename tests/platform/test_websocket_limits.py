"""Generation starts over the spec's WebSocket count like REST and GraphQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import connect

from harvest.settings import Settings
from tests.factories import make_user
from tests.subscriptions.wire import BLOG, close_code, receive, send, until
from tests.support import LiveServer

LIMITS = {"free": {"generations_per_hour": 2, "concurrent_generations": 5}}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(rate_limits=LIMITS, offline_writer_delay_seconds=0.0)


async def test_websocket_starts_are_refused_past_the_hourly_limit(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app, tier="free")

    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as ws:
        await receive(ws)
        ends = []
        for index in range(3):
            await send(
                ws,
                {"type": "generation_start", "request_id": f"r{index}", "data": BLOG},
            )
            frames = await until(ws, "generation_complete", "generation_error")
            ends.append(frames[-1])

    assert [end["type"] for end in ends] == [
        "generation_complete",
        "generation_complete",
        "generation_error",
    ]
    error = ends[2]["error"]
    assert error["code"] == "RATE_LIMITED"
    assert error["details"]["bucket"] == "generate"
    assert error["retry_after"] > 60


async def test_websocket_rest_and_graphql_starts_share_one_bucket(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app, tier="free")
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        await client.post("/v1/generate", json=BLOG, headers=user.headers)
        await client.post(
            "/graphql",
            json={
                "query": "mutation ($i: GenerateInput!) "
                "{ generationStart(input: $i) { id } }",
                "variables": {"i": BLOG},
            },
            headers=user.headers,
        )

    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as ws:
        await receive(ws)
        await send(ws, {"type": "generation_start", "request_id": "r", "data": BLOG})
        frame = (await until(ws, "generation_complete", "generation_error"))[-1]

    assert frame["type"] == "generation_error"
    assert frame["error"]["code"] == "RATE_LIMITED"


async def test_a_second_websocket_generation_at_once_is_refused(
    app: Starlette, live_server: LiveServer
) -> None:
    parts = live_server.app.state.parts
    parts.config.rate_limits["free"] = {
        "generations_per_hour": 10,
        "concurrent_generations": 1,
    }
    parts.services.models.resolve(None).provider.delay_seconds = 0.05
    user = await make_user(app, tier="free")

    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as ws:
        await receive(ws)
        for request_id in ("first", "second"):
            await send(
                ws,
                {"type": "generation_start", "request_id": request_id, "data": BLOG},
            )
        refused = (await until(ws, "generation_error"))[-1]
        finished = (await until(ws, "generation_complete", "generation_error"))[-1]

    error = refused["error"]
    assert error["code"] == "RATE_LIMITED"
    assert error["details"]["bucket"] == "concurrent_generations"
    assert finished["type"] == "generation_complete"


async def graphql_socket_init(live_server: LiveServer, token: str) -> Any:
    """Open a graphql-transport-ws socket and send ``connection_init``."""
    ws = await connect(
        f"{live_server.ws_url}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
    )
    await send(ws, {"type": "connection_init", "payload": {"token": token}})
    return ws


async def test_graphql_sockets_hold_the_same_connection_leases_as_the_spec_socket(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app, tier="free")

    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as spec_ws:
        await receive(spec_ws)
        refused = await graphql_socket_init(live_server, user.token)
        refused_with = await close_code(refused)
    first = await graphql_socket_init(live_server, user.token)
    accepted = await receive(first)
    second = await graphql_socket_init(live_server, user.token)
    second_closed_with = await close_code(second)
    await first.close()
    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as after:
        reconnected = await receive(after)

    assert refused_with == 4403
    assert accepted["type"] == "connection_ack"
    assert second_closed_with == 4403
    assert reconnected["type"] == "connected"
