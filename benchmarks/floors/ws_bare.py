"""Floor of benchmarks 7 and 8: a bare Starlette WebSocket endpoint that holds
every socket it accepts (``/ws``), and ``POST /broadcast?messages=N&interval=S``
that sends N pre-serialised payloads, each to every held socket, one every S
seconds (the payload carries its send time, like the hub's events)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from benchmarks.floors.common import port_argument, serve

held: set[WebSocket] = set()
CHUNK = "The future of renewable energy is bright, "


async def hold(websocket: WebSocket) -> None:
    await websocket.accept()
    held.add(websocket)
    try:
        while True:
            await websocket.receive_bytes()
    except (WebSocketDisconnect, KeyError, RuntimeError):
        pass
    finally:
        held.discard(websocket)


async def send_all(payload: str) -> None:
    for ws in list(held):
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await ws.send_text(payload)


async def broadcast(request: Request) -> Response:
    messages = int(request.query_params.get("messages", "1"))
    interval = float(request.query_params.get("interval", "0"))
    for index in range(messages):
        payload = orjson.dumps(
            {
                "type": "generation_chunk",
                "generation_id": "gen_bench",
                "chunk": CHUNK,
                "chunk_index": index,
                "tokens": 9,
                "sent_ns": time.time_ns(),
            }
        ).decode()
        await send_all(payload)
        if interval:
            await asyncio.sleep(interval)
    return Response(orjson.dumps({"sockets": len(held)}))


async def healthz(request: Request) -> Response:
    return Response(b"ok")


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/broadcast", broadcast, methods=["POST"]),
        WebSocketRoute("/ws", hold),
    ]
)

if __name__ == "__main__":
    serve(app, port_argument().port, ws_max_size=1024 * 1024)
