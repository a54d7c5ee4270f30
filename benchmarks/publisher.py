"""``harvest serve``'s application with one more route, for benchmark 8:
``POST /bench/publish?channel=C&messages=N&interval=S`` publishes N chunk
events on channel C through the process's hub, one every S seconds, the way
a runner in this process publishes them (with the send time in the event).

    python -m benchmarks.publisher --port P
"""

from __future__ import annotations

import argparse
import asyncio
import time

import orjson
import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harvest.app import create_app
from harvest.server import HarvestServer
from subscriptions import events

CHUNK = "The future of renewable energy is bright, "


async def publish(request: Request) -> Response:
    hub = request.app.state.parts.hub
    channel = request.query_params["channel"]
    messages = int(request.query_params.get("messages", "1"))
    interval = float(request.query_params.get("interval", "0"))
    generation_id = request.query_params.get("generation_id", "gen_bench")
    start = time.perf_counter()
    for index in range(messages):
        event = events.chunk(generation_id, index=index, text=CHUNK, tokens=9)
        await hub.publish(channel, {**event, "sent_ns": time.time_ns()})
        pause = start + (index + 1) * interval - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
    return Response(orjson.dumps({"published": messages}))


def app() -> object:
    application = create_app()
    application.router.routes.insert(
        0, Route("/bench/publish", publish, methods=["POST"])
    )
    return application


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    config = uvicorn.Config(
        "benchmarks.publisher:app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        log_config=None,
        access_log=False,
        ws_max_size=1024 * 1024,
        ws_per_message_deflate=False,  # as harvest serve by default
    )
    HarvestServer(config).run()


if __name__ == "__main__":
    main()
