"""Floor of benchmark 6: a bare Starlette streaming response relaying the
model server through the openai SDK, one SSE frame per content chunk; no
database, no auth, no broadcast."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import openai
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from benchmarks.floors.common import port_argument, serve

client = openai.AsyncOpenAI(
    api_key="sk-bench", base_url=os.environ["OPENAI_BASE_URL"], max_retries=0
)
MESSAGES = [{"role": "user", "content": "Write a blog post about renewable energy."}]


async def frames(model: str) -> AsyncIterator[bytes]:
    events = await client.chat.completions.create(
        model=model,
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    index = 0
    async for event in events:
        if event.choices and event.choices[0].delta.content:
            data = orjson.dumps({"chunk": event.choices[0].delta.content})
            yield (
                f"event: progress\nid: {index}\n".encode() + b"data: " + data + b"\n\n"
            )
            index += 1
    yield b"event: complete\ndata: {}\n\n"


async def relay(request: Request) -> Response:
    body = orjson.loads(await request.body())
    model = (body.get("options") or {}).get("model") or "peer-echo"
    return StreamingResponse(frames(model), media_type="text/event-stream")


async def healthz(request: Request) -> Response:
    return Response(b"ok")


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/v1/generate/stream", relay, methods=["POST"]),
    ]
)

if __name__ == "__main__":
    serve(app, port_argument().port)
