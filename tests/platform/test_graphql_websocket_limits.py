"""Operations sent over a GraphQL WebSocket count against the same request
limit as HTTP requests: a socket is no way around it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect

from harvest.settings import Settings
from subscriptions import channels
from tests.factories import make_user
from tests.support import LiveServer

LIMITS = {"free": {"requests_per_minute": 4}}
TYPENAME = "{ __typename }"
NOTIFICATIONS = "subscription { notificationReceived { id } }"
PROTOCOLS = {"graphql-transport-ws": "subscribe", "graphql-ws": "start"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(rate_limits=LIMITS)


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(message).decode())


async def frames_until_answered(ws: ClientConnection, op: str) -> list[dict[str, Any]]:
    """Every frame up to the first one that answers operation ``op``."""
    frames = []
    while True:
        frame = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        frames.append(frame)
        if frame.get("id") == op and frame["type"] in ("next", "data", "error"):
            return frames


async def until_listening(hub: Any, channel: str, count: int) -> None:
    async with asyncio.timeout(10):
        while hub.listener_count(channel) < count:
            await asyncio.sleep(0.01)


def errors_of(frame: dict[str, Any]) -> list[dict[str, Any]]:
    payload = frame.get("payload") or {}
    if isinstance(payload, list):
        return payload
    return list(
        payload.get("errors") or ([payload] if frame["type"] == "error" else [])
    )


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
async def test_websocket_operations_fill_the_same_bucket_as_http(
    app: Starlette, live_server: LiveServer, protocol: str
) -> None:
    user = await make_user(app, tier="free")
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        for _ in range(2):
            await client.post(
                "/graphql", json={"query": TYPENAME}, headers=user.headers
            )

    async with connect(
        f"{live_server.ws_url}/graphql",
        subprotocols=[protocol],  # type: ignore[list-item]
    ) as ws:
        await send(ws, {"type": "connection_init", "payload": {"token": user.token}})
        ack = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        hub = live_server.app.state.parts.hub
        for op in ("0", "1", "2"):
            if op == "2":
                # Operations sent together race for the bucket's last places
                # (as concurrent HTTP requests do); the third one is sent once
                # the first two are live, so it is the one over the limit.
                await until_listening(hub, channels.notifications(user.id), 2)
            await send(
                ws,
                {
                    "id": op,
                    "type": PROTOCOLS[protocol],
                    "payload": {"query": NOTIFICATIONS},
                },
            )
        frames = await frames_until_answered(ws, "2")

    assert ack["type"] == "connection_ack"
    refused = [frame for frame in frames if errors_of(frame)]
    assert [frame["id"] for frame in refused] == ["2"]
    error = errors_of(refused[0])[0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["limit"] == 4
