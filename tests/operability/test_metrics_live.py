"""Gauges of open connections, on a real server."""

from __future__ import annotations

import asyncio

import httpx
import websockets

from tests.operability.test_metrics import sample
from tests.support import LiveServer


async def open_sockets(server: LiveServer, route: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(server.url + "/metrics")).text
    return sample(text, "harvest_websocket_connections_open", route=route)


async def test_an_open_websocket_is_counted_until_it_closes(
    live_server: LiveServer,
) -> None:
    before = await open_sockets(live_server, "/graphql")

    async with websockets.connect(
        live_server.ws_url + "/graphql", subprotocols=["graphql-transport-ws"]
    ):
        await asyncio.sleep(0.2)
        during = await open_sockets(live_server, "/graphql")
    await asyncio.sleep(0.5)
    after = await open_sockets(live_server, "/graphql")

    assert during == before + 1
    assert after == before
