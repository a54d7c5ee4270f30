"""Small helpers for speaking JSON over a websockets client connection."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

BLOG = {
    "format": "blog",
    "input": "How small teams can adopt renewable energy at the office",
    "options": {"length": "short", "tone": "friendly"},
}


async def receive(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    return dict(orjson.loads(await asyncio.wait_for(ws.recv(), timeout)))


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(message).decode())


async def close_code(ws: ClientConnection, timeout: float = 10) -> int | None:
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    return ws.close_code


async def until(
    ws: ClientConnection, *types: str, timeout: float = 20
) -> list[dict[str, Any]]:
    """Every frame up to and including the first whose type is in ``types``."""
    frames = []
    while True:
        frame = await receive(ws, timeout)
        frames.append(frame)
        if frame["type"] in types:
            return frames
